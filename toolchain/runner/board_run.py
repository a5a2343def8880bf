"""`tinyctl run BUILD_DIR`: the build's test split through the board (or its QEMU stand-in) over the
runner protocol; on-device metrics, cycles and latency (under QEMU: instructions and estimated cycles),
and the element-wise comparison with the host's TFLite-Micro outputs."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..build_results import BOARD_RUN_FILE as RESULT_FILE
from ..clocks import firmware_clock_hz
from ..codegen.model_info import model_digest
from ..cycle_model import cycle_model, estimated_cycles, estimates_cycles, mean_counts
from ..data_spec import parse_data_spec
from ..datasets import generated_inputs, labelled_split
from ..errors import TinyctlError
from ..firmware import emulated_image
from ..graph import read_graph
from ..qemu import per_inference
from ..runtimes import RuntimeOutput, quantize_input, tflm_int8_outputs
from ..targets import board_of_build
from ..model_source import with_data
from ..task_metrics import classification_metrics
from ..validate import GENERATED_SAMPLES, _agreement, _scores
from ..validate_build import read_build
from .emulate import QemuBoard
from .link import open_link
from .session import BoardSession


@dataclass(frozen=True)
class RunOptions:
    port: str | None = None      # a pyserial URL; None with emulate
    emulate: bool = False
    limit: int | None = None     # only the first `limit` test images
    timeout_s: float = 2.0
    infer_timeout_s: float = 30.0
    out: Path | None = None      # the result's JSON file; None: BUILD_DIR/board_run.json
    data: str | None = None      # --data / --test-data: other inputs than the build's own test split
    test_data: str | None = None


def _check_board(info, tflite: bytes, board_name: str) -> None:
    if info.model_digest != model_digest(tflite):
        raise TinyctlError(f"the board runs another model (digest {info.model_digest.hex()}, this build's is "
                           f"{model_digest(tflite).hex()})", "flash this build first: tinyctl flash BUILD_DIR")
    if info.board != board_name:
        raise TinyctlError(f"the board's firmware was built for {info.board}, this build is for {board_name}",
                           "flash this build first: tinyctl flash BUILD_DIR")


def _stream(session: BoardSession, inputs: np.ndarray, progress) -> tuple[np.ndarray, list[int]]:
    task = progress.add_task("run on the board", total=len(inputs)) if progress else None
    outputs, cycles = [], []
    for x in inputs:
        out, n = session.infer(x.tobytes())
        outputs.append(np.frombuffer(out, np.int8))
        cycles.append(n)
        if progress:
            progress.update(task, advance=1, description=f"run on the board ({session.stats.retries} retries)")
    return np.stack(outputs), cycles


@contextlib.contextmanager
def _connect(build_dir: Path, options: RunOptions):
    """(session, QemuBoard or None); QEMU is stopped and the link closed on leaving."""
    qemu = QemuBoard(build_dir) if options.emulate else None
    try:
        link = qemu.open() if qemu else open_link(options.port)
        yield BoardSession(link, options.timeout_s, options.infer_timeout_s), qemu
    finally:
        if qemu:
            qemu.stop(timeout_s=0)


def _profile(marks: list[dict] | None, inferences: int, layers: int) -> list[dict] | None:
    """Counts per inference ({"instructions": n, timing class: n}) from the plugin's marks; None when there
    are none or a board reset cut an inference short (the marks no longer line up with the inferences)."""
    if not marks or len(marks) != inferences * (layers + 1):
        return None
    return [{name: sum(layer[name] for layer in run) for name in run[0]} for run in per_inference(marks, layers)]


def _mhz(hz: int) -> str:
    return f"{hz / 1e6:g} MHz"


def run_clock(board, reported_hz: int | None, stand_in: bool) -> dict:
    """The clock the run's milliseconds use: the one the firmware reports in its handshake (it falls back to
    the reset clock when its set-up fails), with a warning when that is not the build's planned clock. A QEMU
    stand-in sets no clock: its estimate is the silicon image's, at that image's plan."""
    planned = firmware_clock_hz(board)
    clock = {"clock_hz": None, "planned_hz": planned, "reported_hz": reported_hz, "warning": None}
    if stand_in:
        source = ("none: QEMU runs a stand-in image that sets no clock, and no figure is in time"
                  if planned is None else "the silicon image's clock plan: QEMU runs a stand-in image that sets no clock")
        return {**clock, "clock_hz": planned, "source": source}
    if reported_hz is None:
        return {**clock, "source": "not reported by the firmware",
                "warning": "the firmware does not report its clock (built before tinyctl's handshake carried it): "
                           "no milliseconds; rebuild and reflash it for them"}
    if reported_hz == 0:
        warning = None if planned is None else f"the firmware sets no clock, yet the build planned {_mhz(planned)}"
        return {**clock, "source": "none: the firmware sets no clock", "warning": warning}
    warning = None if reported_hz == planned else (
        f"the firmware runs at {_mhz(reported_hz)}, not the build's planned "
        f"{_mhz(planned) if planned else 'clock (none)'}: its clock set-up failed (its console says why); "
        f"milliseconds are at {_mhz(reported_hz)}")
    return {**clock, "clock_hz": reported_hz, "source": "reported by the firmware", "warning": warning}


def _latency(board, cycles: list[int], has_counter: bool, profile: list[dict] | None, clock: dict) -> dict:
    """Milliseconds only at the clock the firmware runs at (run_clock), never at a board file's figure."""
    clock_hz = clock["clock_hz"]
    if has_counter:
        per = float(np.mean(cycles))
        return {"source": "DWT cycle counter", "cycles_per_inference": per, "clock_hz": clock_hz, "clock": clock,
                "ms_at_board_clock": 1e3 * per / clock_hz if clock_hz else None}
    latency = {"source": "none: the board has no cycle counter", "cycles_per_inference": None, "clock": clock}
    if profile:
        per = float(np.mean([run["instructions"] for run in profile]))
        latency.update(source="QEMU instruction count (instructions, not cycles)", instructions_per_inference=per,
                       ms_at_board_clock_if_1_ipc=1e3 * per / clock_hz if clock_hz else None)
    if profile and estimates_cycles(board):
        estimate = estimated_cycles(mean_counts(profile), board)
        latency.update(estimated_cycles_per_inference=estimate,
                       estimated_ms_at_board_clock=1e3 * estimate / clock_hz if clock_hz else None,
                       cycle_model=cycle_model(board))
    return latency


def run_on_board(build_dir: Path, options: RunOptions, progress=None) -> dict:
    """Stream the test split through the board; the result is also written to options.out (default
    BUILD_DIR/board_run.json), never into the build's report."""
    if options.emulate == (options.port is not None):
        raise TinyctlError("give either --port or --emulate", "e.g. --port /dev/ttyACM0 or --emulate")
    build_dir = Path(build_dir)
    report, source = read_build(build_dir)
    if options.data or options.test_data:
        source = with_data(source, parse_data_spec(options.data) if options.data else None,
                           parse_data_spec(options.test_data, "--test-data") if options.test_data else None)
    board = board_of_build(build_dir, report["board"]["name"])
    tflite = (build_dir / "model_int8.tflite").read_bytes()
    graph = read_graph(tflite)
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    images, labels = _test_split(source, inp)
    images, labels = images[:options.limit], None if labels is None else labels[:options.limit]
    inputs = quantize_input(images, inp.shape, inp.scale[0], inp.zero_point[0])
    with _connect(build_dir, options) as (session, qemu):
        info = session.handshake()
        _check_board(info, tflite, board.name)
        raw, cycles = _stream(session, inputs, progress)
        session.close(goodbye=qemu is not None)   # a board in the field stays in runner mode
        marks = qemu.stop() if qemu else None
    profile = _profile(marks, len(inputs), len(graph.operators))
    clock = run_clock(board, info.clock_hz, stand_in=qemu is not None and not emulated_image(board)["silicon_image"])
    expected = tflm_int8_outputs(tflite, inputs)
    scale, zero_point = out.scale[0], out.zero_point[0]
    device = RuntimeOutput((raw.astype(np.float32) - zero_point) * np.float32(scale), raw)
    result = {"board": board.name, "link": "QEMU " + board.qemu_machine if qemu else options.port,
              "emulated_image": emulated_image(board) if qemu else None,
              "samples": len(inputs), "agreement_vs_tflm": _agreement(device, RuntimeOutput(expected, expected)),
              "latency": _latency(board, cycles, info.has_cycle_counter, profile, clock),
              "link_stats": dict(vars(session.stats)),
              "metrics": _metrics(device, labels, report)}
    written = Path(options.out) if options.out is not None else build_dir / RESULT_FILE
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return {**result, "written": str(written)}


def _test_split(source, tensor) -> tuple[np.ndarray, np.ndarray | None]:
    """The inputs validation used: the data's test split, or for a model with no data the generated inputs."""
    if source.dataset is None:
        return generated_inputs(tensor, GENERATED_SAMPLES, seed=0), None
    return labelled_split(source, "test")


def _metrics(device: RuntimeOutput, labels: np.ndarray | None, report: dict) -> dict | None:
    """The board's metrics as the build's validation had them: top-1 of a classifier, or detector metrics at
    the build's TFLite-Micro threshold (chosen on val)."""
    from tinyctl.models.metrics import detector_metrics

    if labels is None:
        return None
    if report.get("validation", {}).get("task") == "classification":
        return {"top1": classification_metrics(device.values, labels)["top1"]}
    scores = _scores(device)
    threshold = report.get("validation", {}).get("runtimes", {}).get("tflm", {}).get("threshold")
    if scores is None or threshold is None or len(set(labels.tolist())) < 2:
        return None
    return {**detector_metrics(scores, labels, threshold), "threshold": threshold}
