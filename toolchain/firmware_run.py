"""Running a build's engine app: its self-test (under QEMU with instructions counted per inference and per
layer, or natively on the host target) and batch runs of the firmware under QEMU. The build, `validate`
and the benchmarks all run firmware through here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from statistics import mean

import numpy as np

from .cycle_model import cycle_model, estimated_cycles, estimates_cycles, mean_counts, milliseconds
from .errors import TinyctlError
from .firmware import STACK_BYTES, emulated_elf, emulated_image, symbol_address
from .graph import Graph
from .hostrun import output_rows
from .qemu import MARK_SYMBOL, per_inference, run_firmware
from .staging import owned_temp_dir
from .targets import Board

FIRMWARE_ELF = Path("firmware.elf")
HOST_EXECUTABLE = Path("host") / "model_host"
STACK_PEAK = re.compile(r"^stack peak: (\d+) bytes$", re.MULTILINE)   # inference_app.c's self-test line


def selftest(board: Board, build_dir: Path, graph: Graph) -> dict:
    """Run the embedded golden inputs on the firmware (QEMU) or the host app; fail the build on any
    mismatch with TFLite-Micro's outputs."""
    if board.platform == "host":
        result = subprocess.run([str(build_dir / HOST_EXECUTABLE), "selftest"], capture_output=True, text=True)
        return _verdict(board, "host", result.returncode, result.stdout)
    elf = emulated_elf(build_dir, board)
    run = run_firmware(board, elf, ["selftest"], mark_address=symbol_address(elf, MARK_SYMBOL))
    verdict = {**_verdict(board, f"QEMU {board.qemu_machine}", run.exit_code, run.console),
               "stack": stack_peak(run.console)}
    verdict["image"] = emulated_image(board)
    layers = per_inference(run.marks, len(graph.operators))
    per_layer = [round(mean(counts)) for counts in zip(*layers)]
    totals = [sum(counts) for counts in layers]
    verdict["instructions"] = {
        "per_inference": round(mean(totals)), "min": min(totals), "max": max(totals),
        "inferences": len(totals), "boot_to_exit": run.instructions,
        "per_layer": [{"index": op.index, "opcode": op.opcode, "layer": graph.layer_name(op), "instructions": n}
                      for op, n in zip(graph.operators, per_layer)]}
    if estimates_cycles(board):
        _add_estimate(verdict, board, per_inference(run.class_marks, len(graph.operators)))
    return verdict


def _add_estimate(verdict: dict, board: Board, layers: list[list[dict]]) -> None:
    """Estimated cycles (cycle_model) per layer and per inference beside the exact instruction counts."""
    classes = [mean_counts(runs) for runs in zip(*layers)]
    cycles = [estimated_cycles(c, board) for c in classes]
    for layer, n in zip(verdict["instructions"]["per_layer"], cycles):
        layer.update(estimated_cycles=n, estimated_ms=milliseconds(n, board))
    totals = {name: round(sum(c[name] for c in classes)) for name in classes[0]}
    verdict["estimated_cycles"] = {"per_inference": sum(cycles), "ms_at_board_clock": milliseconds(sum(cycles), board),
                                   "classes_per_inference": totals, "model": cycle_model(board)}


def _verdict(board: Board, where: str, exit_code: int, console: str) -> dict:
    passed = exit_code == 0 and "\nPASS" in console.replace("\r", "")
    if not passed:
        raise TinyctlError(f"the firmware self-test failed on {where} (exit {exit_code}):\n{console.strip()[-1500:]}",
                           "the engine disagrees with TFLite-Micro on the golden inputs; this is a tinyctl bug, "
                           "please report it with the build directory")
    return {"ran_on": where, "passed": True, "console": console.replace("\r", "")}


def stack_peak(console: str) -> dict:
    """The self-test's stack high-water mark against the stack the memory check reserved (linker.ld): a peak
    above it fails the build, since on the board those frames would overwrite static data."""
    found = STACK_PEAK.search(console.replace("\r", ""))
    if not found:
        raise TinyctlError("the firmware self-test printed no stack peak",
                           "the firmware does not match this tinyctl; rebuild it with `tinyctl build`")
    peak = int(found.group(1))
    if peak > STACK_BYTES:
        raise TinyctlError(f"the firmware's stack peaked at {peak:,} B in its self-test, over the {STACK_BYTES:,} B "
                           "reserved for it", "a kernel's frames outgrew the reservation; this is a tinyctl bug, "
                           "please report it with the build directory")
    return {"peak_bytes": peak, "reserved_bytes": STACK_BYTES, "measured": "high-water mark of a painted stack"}


def run_firmware_batch(board: Board, build_dir: Path, inputs: np.ndarray) -> np.ndarray:
    """Int8 inputs [N, ...] through the firmware under QEMU (batch mode over semihosting files)."""
    x = np.ascontiguousarray(inputs, dtype=np.int8).reshape(len(inputs), -1)
    with owned_temp_dir("tinyctl-batch-") as tmp:
        (Path(tmp) / "in.bin").write_bytes(x.tobytes())
        run = run_firmware(board, emulated_elf(build_dir, board).resolve(), ["batch", "in.bin", "out.bin"],
                           workdir=Path(tmp), timeout_s=60 + 0.5 * len(x))
        if run.exit_code != 0:
            raise TinyctlError(f"the firmware's batch run failed under QEMU (exit {run.exit_code}): "
                               f"{run.console.strip()[-500:]}", "rebuild the firmware with `tinyctl build`")
        out = np.fromfile(Path(tmp) / "out.bin", dtype=np.int8)
    return output_rows(out, len(x), "the firmware")
