"""`tinyctl build`: the pipeline as a list of stages, each checked after it runs."""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .compress.artifact import write_compressed_checkpoint
from .compress.calibration import Calibration, correct_biases
from .compress.finetune import TrainingData
from .compress.search import Target
from .data_spec import parse_data_spec
from .datasets import calibration_set
from .engine.optimize import DEFAULT_MODE, check_mode, weight_layouts, wide_layers
from .errors import TinyctlError
from .firmware_run import selftest
from .graph import Graph, read_graph
from .model_source import ModelSource, load_source
from .paths import DEFAULT_BUILD_ROOT, REPO_ROOT
from .planner import Plan, lower_bound_record, plan_record
from .runtimes import channels_last
from .report import manifest, render_html, report, write_json
from .staging import failed_logs_dir, owned_temp_dir, staged_directory
from .stages.baseline import build_figures, unfit_figures
from .stages.compress import BIAS_CORRECTED_ONNX, COMPRESSED_CHECKPOINT, CompressionOptions, compressed_label
from .stages.engine import build_engine, engine_support, golden_io, plan_engine_arena
from .stages.export import export_float_onnx
from .stages.firmware import build_firmware
from .stages.keras_int8 import KERAS_COPY, convert_keras_int8
from .stages.memory import DoesNotFit, check_fit, tflm_budget
from .stages.prune import prune_and_fine_tune, ratio_for_budget, ratio_for_target
from .stages.qat import qat_stage
from .stages.quantize import FLOAT_TFLITE, check_fully_int8, convert_int8_tflite, quantize_qdq_onnx
from .stages.sensitivity import int8_sensitivity
from .stages.tflm import emit_tflm_sources, measure_arena, tflm_array_bytes
from .staged_weights import staged_weights
from .targets import BUILD_BOARD_FILE, Board, resolve_board
from .tflm_ops import check_tflm_ops
from .tools import require_tool, tool_versions
from .validate import evaluate


@dataclass(frozen=True)
class BuildOptions:
    target: str = "stm32"
    model: str | None = None           # None: the shipped default detector
    out: str | None = None             # None: build/<model>-<board>
    calibration_samples: int = 200
    seed: int = 0
    compression: CompressionOptions = CompressionOptions()
    synthetic_data: bool = False       # the same as data "synthetic"
    data: str | None = None            # --data SPEC (data_spec.py); None: a checkpoint's own data, else none
    test_data: str | None = None       # --test-data SPEC: validate on it instead of data's test split
    task: str | None = None            # --task: the metrics to report; None: guessed from outputs and labels
    optimize: str = DEFAULT_MODE       # --optimize: int16 weights where they fit (engine/optimize.py)

    def __post_init__(self):
        if self.calibration_samples < 1:
            raise TinyctlError("--calibration-samples must be at least 1", "200 is a good default")
        check_mode(self.optimize)


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


def _recorded_options(options: BuildOptions) -> dict:
    """The options as the manifest records them: the data choice is in its inputs (calibration dataset)."""
    recorded = asdict(options)
    del recorded["synthetic_data"]
    for name in ("data", "test_data", "task"):   # the default build's manifest stays as it was
        if recorded[name] is None:
            del recorded[name]
    if recorded["optimize"] == DEFAULT_MODE:
        del recorded["optimize"]
    return recorded


def _calibration(log: StageLog, source: ModelSource, options: BuildOptions) -> np.ndarray | None:
    """The calibration set; an int8 TFLite with no known data needs none (a float model without data is
    refused by the data's loader)."""
    if source.kind == "tflite" and source.dataset is None:
        return None
    return log.run("calibration set", calibration_set, source, options.calibration_samples, options.seed)


def load_options_source(options: BuildOptions) -> ModelSource:
    """The model and the data the options name."""
    data = parse_data_spec(options.data) if options.data else None
    test_data = parse_data_spec(options.test_data, "--test-data") if options.test_data else None
    return load_source(Path(options.model) if options.model else None, options.synthetic_data, data, test_data,
                       options.task)


def build(options: BuildOptions, progress=None) -> tuple[Path, dict]:
    board = resolve_board(options.target)
    source = compressed_label(load_options_source(options), options.compression)
    require_tool("gcc")   # every build validates on the host: say so before any work
    final = Path(options.out) if options.out else default_output(source, board.name)
    log = StageLog(progress)
    with staged_directory(final) as work:
        (work / "logs").mkdir()
        shutil.copyfile(board.source, work / BUILD_BOARD_FILE)   # validate, run and flash read the board here
        tflite_path = work / "model_int8.tflite"
        calibration = _calibration(log, source, options)
        source, compression = compress_model(log, source, options.compression, calibration, work, progress)
        if source.kind == "tflite":
            shutil.copyfile(source.path, tflite_path)
        elif source.kind == "keras":
            shutil.copyfile(source.path, work / KERAS_COPY)   # validate re-runs the float model from here
            log.run("int8 TFLite (TFLite converter)", convert_keras_int8, source.path, tflite_path,
                    channels_last(calibration))
        else:
            log.run("float ONNX", export_float_onnx, source, work / "model.onnx", calibration[:16])
            to_quantize, percentile = _quantization_input(log, compression, work / "model.onnx", calibration)
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
            engine = _build_engine(log, board, source, graph, model_bytes, arena, work, options.optimize)
            memory.update(backend="engine", engine=engine.pop("budget", None))
        validation = log.run("validate", evaluate, work, source, arena, board, progress)
        if options.compression.changes_model:
            compression["savings"] = {"before": log.run("uncompressed baseline", measure_uncompressed, options),
                                       "after": build_figures(memory, engine, validation)}
        sensitivity = None
        if (work / FLOAT_TFLITE).is_file():
            sensitivity = log.run("int8 sensitivity per layer", int8_sensitivity, work, source)
        opts = {**_recorded_options(options), "model": _recorded_model_path(options, source), "out": str(final)}
        write_json(work / "manifest.json", manifest(source, board, opts, list(log.timings), tool_versions(), work))
        data = report(source, board, graph, memory, engine, validation, log.timings, work,
                      compression=compression, sensitivity=sensitivity)
        write_json(work / "report.json", data)
        (work / "report.html").write_text(render_html(data))
    return final, data


def _build_engine(log: StageLog, board: Board, source: ModelSource, graph: Graph, model_bytes: bytes,
                  tflm_arena: int, work: Path, optimize: str) -> dict:
    """Plan the engine, make its golden data, then the one engine -> firmware -> self-test chain."""
    plan = log.run("engine memory plan", plan_engine_arena, graph)
    golden = log.run("golden data (TFLite-Micro)", golden_io, source, graph, model_bytes, tflm_arena)
    built = build_engine_firmware(graph, plan, golden, source.name, board, work, log, optimize)
    engine = {"supported": True, "arena_bytes": plan.peak_bytes, **lower_bound_record(graph), "plan": plan_record(plan),
              "optimize": optimize, "layers": weight_layouts(graph, built["wide"], built["staged"])}
    if board.platform != "host":
        engine.update(firmware=built["sizes"], budget=built["budget"])
    engine["selftest"] = built["selftest"]
    return engine


def build_engine_firmware(graph: Graph, plan: Plan, golden: tuple[np.ndarray, np.ndarray], model_name: str,
                          board: Board, build_dir: Path, log: StageLog | None = None,
                          optimize: str = DEFAULT_MODE) -> dict:
    """The engine for a planned graph with its golden (inputs, expected outputs), built into build_dir: engine/
    sources and the host app; for a board with a core, firmware.elf and its fit; then the self-test there.
    `optimize` picks the layers whose weights go pre-widened to int16 (engine/optimize.py): balanced takes
    them all when that firmware fits, else measures the flash the all-int8 one leaves and fills it (with less
    room by what a choice overshot, where the wide kernels' code outgrew optimize.WIDE_CODE_BYTES).
    {"sizes", "budget", "staged", "selftest", "wide"} (sizes and budget None on the host; wide: the widened op
    indices; staged: those whose weights are copied into the arena, staged_weights.py).
    The build and the benchmarks run this."""
    log = log or StageLog()
    dsp = board.dsp and board.platform != "host"
    wide = wide_layers(graph, optimize, dsp)
    try:
        firmware = _engine_firmware(graph, plan, golden, model_name, board, build_dir, log, wide)
    except DoesNotFit:
        if optimize != "balanced" or not wide:
            raise
        firmware = _engine_firmware(graph, plan, golden, model_name, board, build_dir, log, frozenset())
        firmware, wide = _balanced_firmware(graph, plan, golden, model_name, board, build_dir, log, firmware)
    return {**firmware, "selftest": log.run("firmware self-test", selftest, board, build_dir, graph),
            "wide": sorted(wide)}


def _balanced_firmware(graph: Graph, plan: Plan, golden: tuple[np.ndarray, np.ndarray], model_name: str,
                       board: Board, build_dir: Path, log: StageLog, int8: dict) -> tuple[dict, frozenset[int]]:
    """--optimize balanced where the all-int16 firmware does not fit: the layers wide_layers picks for the flash
    the all-int8 firmware (`int8`, built in build_dir) leaves, a choice that overshoots retried in that much less
    room; the int8 firmware rebuilt where no choice fits. (firmware, wide)"""
    room, overshot = int8["budget"]["flash_margin_bytes"], False
    wide = wide_layers(graph, "balanced", True, room)
    while wide:
        try:
            return _engine_firmware(graph, plan, golden, model_name, board, build_dir, log, wide), wide
        except DoesNotFit as exc:
            room, overshot = room + min(exc.budget["flash_margin_bytes"], -1), True   # less by the shortfall
            wide = wide_layers(graph, "balanced", True, room)
    if overshot:
        int8 = _engine_firmware(graph, plan, golden, model_name, board, build_dir, log, frozenset())
    return int8, wide


def _engine_firmware(graph: Graph, plan: Plan, golden: tuple[np.ndarray, np.ndarray], model_name: str,
                     board: Board, build_dir: Path, log: StageLog, wide: frozenset[int]) -> dict:
    """engine/ sources (the ops in `wide` on int16 weights, staged in the arena where that pays on the board), the
    host app and, for a board with a core, the firmware and its fit: {"sizes", "budget", "staged"}."""
    staged = staged_weights(graph, plan, wide, board)
    log.run("engine C sources and host build", build_engine, graph, plan, golden, model_name, board.name, build_dir,
            wide, staged)
    if board.platform == "host":
        return {"sizes": None, "budget": None, "staged": staged}
    return {**log.run("firmware build and fit", build_firmware, board, build_dir, plan.peak_bytes), "staged": staged}


def compress_model(log: StageLog, source: ModelSource, options: CompressionOptions, calibration: np.ndarray,
                   work: Path, progress=None) -> tuple[ModelSource, dict]:
    """The compression stages the options ask for, in order (`tinyctl prune` runs them too); the compressed
    checkpoint goes to work/model.pt. The record becomes report.json's `compression`."""
    record = {"calibration": asdict(options.calibration_options())}
    if not options.changes_model:
        return source, record
    data = log.run("training data", TrainingData.of, source)
    model, ratio = source.torch_model, options.prune
    if options.max_drop is not None:
        ratio, chosen, model, record["prune"], record["budget"] = log.run(
            "accuracy-drop budget search", ratio_for_budget, source, data, calibration, options.max_drop,
            options.fine_tune_epochs, 0, progress, options.prune_steps)
        record["calibration"] = asdict(options.calibration_options(chosen.method))
    if options.prune_target is not None:
        ratio, record["target"] = log.run("pruning target search", ratio_for_target, source,
                                          Target.parse(options.prune_target), calibration, progress)
    if ratio and options.max_drop is None:
        model, record["prune"] = log.run("prune and fine-tune", prune_and_fine_tune, source, ratio, data,
                                         options.fine_tune_epochs, 0, progress, options.prune_steps)
    if options.qat_epochs:
        model, record["qat"] = log.run("quantization-aware training", qat_stage, model, data, calibration,
                                       options.qat_epochs, progress)
    source = log.run("compressed checkpoint", write_compressed_checkpoint, source, model, data,
                     work / COMPRESSED_CHECKPOINT, {k: v for k, v in record.items() if k != "calibration"})
    return source, record


def _quantization_input(log: StageLog, record: dict, float_onnx: Path,
                        calibration: np.ndarray) -> tuple[Path, float | None]:
    """The float ONNX the quantizers read (bias-corrected when asked) and the percentile of the ranges (None: MinMax)."""
    options = Calibration(**record["calibration"])
    if options.bias_correction:
        corrected = float_onnx.parent / BIAS_CORRECTED_ONNX
        record["calibration"]["bias_corrections"] = log.run("bias correction", correct_biases, float_onnx, corrected,
                                                            calibration)
        float_onnx = corrected
    return float_onnx, options.range_percentile


def measure_uncompressed(options: BuildOptions) -> dict:
    """The savings' baseline: the model before compression built by this same pipeline (plain options, same
    board, calibration set and ranges) in a scratch directory, its FIGURES read from that build's report. A
    model that does not fit the board is not fatal here (that is often the reason to compress): its board-free
    figures come from a host build, with `fits` false and the reason."""
    plain = replace(options, compression=options.compression.uncompressed())
    with owned_temp_dir("tinyctl-baseline-") as tmp:
        try:
            _, data = build(replace(plain, out=str(Path(tmp) / "board")))
        except DoesNotFit as exc:
            _, host = build(replace(plain, target="host", out=str(Path(tmp) / "host")))
            return unfit_figures(host, exc.message)
    return build_figures(data["memory"], data["engine"], data["validation"])


def _check_tflm_array(model_data_cc: Path, model_bytes: bytes) -> None:
    if tflm_array_bytes(model_data_cc) != model_bytes:
        raise TinyctlError("the generated TFLite-Micro C array does not hold the model's bytes",
                           "this is a tinyctl bug; please report it")
