"""`tinyctl build`: the pipeline as a list of stages, each checked after it runs."""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .graph import read_graph
from .paths import DEFAULT_BUILD_ROOT, REPO_ROOT
from .report import manifest, render_html, report, write_json
from .staging import failed_logs_dir, staged_directory
from .stages.baseline import compressed_figures, measure_uncompressed
from .stages.data import calibration_set
from .stages.engine import build_engine, engine_support, golden_io, plan_engine_arena
from .stages.export import export_float_onnx
from .stages.firmware import build_firmware, selftest
from .stages.memory import check_fit, tflm_budget
from .stages.quantize import FLOAT_TFLITE, check_fully_int8, convert_int8_tflite, quantize_qdq_onnx
from .stages.sensitivity import int8_sensitivity
from .stages.source import ModelSource, load_source
from .stages.tflm import emit_tflm_sources, measure_arena, tflm_array_bytes
from .targets import BUILD_BOARD_FILE, resolve_board
from .tflm_ops import check_tflm_ops
from .tools import require_tool, tool_versions
from .validate import evaluate
from .errors import TinyctlError
from .stages.compress import CompressionOptions, compress, compressed_label, quantization_input


@dataclass(frozen=True)
class BuildOptions:
    target: str = "stm32"
    model: str | None = None           # None: the shipped default detector
    out: str | None = None             # None: build/<model>-<board>
    calibration_samples: int = 200
    seed: int = 0
    compression: CompressionOptions = CompressionOptions()

    def __post_init__(self):
        if self.calibration_samples < 1:
            raise TinyctlError("--calibration-samples must be at least 1", "200 is a good default")


@dataclass
class StageLog:
    """Runs named stages, times them, and shows progress."""
    progress: object | None = None
    timings: dict = field(default_factory=dict)

    def run(self, name: str, fn, *args):
        task = self.progress.add_task(name, total=None) if self.progress else None
        start = time.perf_counter()
        result = fn(*args)
        self.timings[name] = time.perf_counter() - start
        if self.progress:
            self.progress.update(task, total=1, completed=1)
        return result


def default_output(source: ModelSource, board_name: str) -> Path:
    return DEFAULT_BUILD_ROOT / f"{source.name}-{board_name}"


def _recorded_model_path(options: BuildOptions, source: ModelSource) -> str:
    """The model as the manifest names it: stable across checkouts for the shipped default."""
    if options.model is None:
        return str(source.path.relative_to(REPO_ROOT))
    return options.model


def build(options: BuildOptions, progress=None) -> tuple[Path, dict]:
    board = resolve_board(options.target)
    uncompressed = load_source(Path(options.model) if options.model else None)
    source = compressed_label(uncompressed, options.compression)
    require_tool("onnxsim")
    final = Path(options.out) if options.out else default_output(source, board.name)
    log = StageLog(progress)
    with staged_directory(final) as work:
        (work / "logs").mkdir()
        shutil.copyfile(board.source, work / BUILD_BOARD_FILE)   # validate, run and flash read the board here
        tflite_path = work / "model_int8.tflite"
        calibration = log.run("calibration set", calibration_set, source, options.calibration_samples, options.seed)
        source, compression = compress(log, source, options.compression, calibration, work, progress)
        if source.kind == "tflite":
            shutil.copyfile(source.path, tflite_path)
        else:
            log.run("float ONNX", export_float_onnx, source, work / "model.onnx", calibration[:16])
            to_quantize, percentile = quantization_input(log, compression, work / "model.onnx", calibration)
            log.run("int8 QDQ ONNX", quantize_qdq_onnx, to_quantize, work / "model_int8.onnx", calibration, percentile)
            log.run("int8 TFLite", convert_int8_tflite, to_quantize, tflite_path, calibration,
                    work / "logs" / "onnx2tf.log", failed_logs_dir(final) / "onnx2tf.log", percentile)
        if source.kind == "checkpoint" and not (work / "model.pt").is_file():
            shutil.copyfile(source.path, work / "model.pt")   # validate re-runs the float model from here
        graph = log.run("read int8 graph", read_graph, tflite_path)
        log.run("TFLite-Micro op check", check_tflm_ops, graph)
        log.run("int8 check", check_fully_int8, graph)
        model_bytes = tflite_path.read_bytes()
        arena = log.run("TFLite-Micro arena", measure_arena, model_bytes)
        memory = {"backend": "tflm", "tflm": tflm_budget(board, arena, len(model_bytes), len(graph.opcodes())),
                  "engine": None}
        engine = {"supported": False, "reason": engine_support(graph)}
        if engine["reason"] is not None:   # TFLite-Micro is the backend: its budget decides the fit
            log.run("memory fit (TFLite-Micro)", check_fit, board, memory["tflm"])
        log.run("TFLite-Micro sources", emit_tflm_sources, model_bytes, source.sha256, graph, arena,
                board.name, source.name, work / "tflm")
        _check_tflm_array(work / "tflm" / "model_data.cc", model_bytes)
        if engine["reason"] is None:
            engine = _build_engine(log, board, source, graph, model_bytes, arena, work)
            memory.update(backend="engine", engine=engine.pop("budget", None))
        validation = log.run("validate", evaluate, work, source, arena, board, progress)
        if options.compression.changes_model:
            compression["savings"] = {
                "before": log.run("uncompressed baseline", measure_uncompressed, uncompressed, board, calibration,
                                  options.compression.calibration_options().range_percentile),
                "after": compressed_figures(memory, engine, validation)}
        sensitivity = None
        if (work / FLOAT_TFLITE).is_file():
            sensitivity = log.run("int8 sensitivity per layer", int8_sensitivity, work, source)
        opts = {**asdict(options), "model": _recorded_model_path(options, source), "out": str(final)}
        write_json(work / "manifest.json", manifest(source, board, opts, list(log.timings), tool_versions(), work))
        data = report(source, board, graph, memory, engine, validation, log.timings, work,
                      compression=compression, sensitivity=sensitivity)
        write_json(work / "report.json", data)
        (work / "report.html").write_text(render_html(data))
    return final, data


def _build_engine(log: StageLog, board, source: ModelSource, graph, model_bytes: bytes, tflm_arena: int,
                  work: Path) -> dict:
    """Plan, generate, build for the host and the board, fit, and self-test the engine."""
    plan = log.run("engine memory plan", plan_engine_arena, graph)
    golden = log.run("golden data (TFLite-Micro)", golden_io, source, graph, model_bytes, tflm_arena)
    log.run("engine C sources and host build", build_engine, graph, plan, golden, source.name, board.name, work)
    engine = {"supported": True, "arena_bytes": plan.peak_bytes}
    if board.platform != "host":
        firmware = log.run("firmware build and fit", build_firmware, board, work, plan.peak_bytes)
        engine.update(firmware=firmware["sizes"], budget=firmware["budget"])
    engine["selftest"] = log.run("firmware self-test", selftest, board, work, graph)
    return engine


def _check_tflm_array(model_data_cc: Path, model_bytes: bytes) -> None:
    if tflm_array_bytes(model_data_cc) != model_bytes:
        raise TinyctlError("the generated TFLite-Micro C array does not hold the model's bytes",
                           "this is a tinyctl bug; please report it")
