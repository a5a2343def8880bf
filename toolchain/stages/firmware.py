"""Stage `firmware`: the board's firmware project built with arm-none-eabi-gcc, its fit measured from
the linked image, and its self-test run under QEMU with instructions counted per inference and per
layer. On the host target the same app runs natively."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from statistics import mean

import numpy as np

from ..errors import TinyctlError
from ..firmware import RegionOverflow, compile_firmware, elf_sizes, emit_project, publish, symbol_address
from ..graph import Graph
from ..hostrun import output_rows
from ..planner import Plan
from ..qemu import MARK_SYMBOL, per_inference, run_firmware
from ..targets import Board
from .engine import HOST_EXECUTABLE, build_engine
from .memory import check_fit, engine_budget

FIRMWARE_ELF = Path("firmware.elf")


def build_firmware(board: Board, build_dir: Path, arena_bytes: int) -> dict:
    """firmware/ project, firmware.elf/.bin/.hex, and the engine's memory budget from the linked sizes;
    a firmware that does not fit stops the build with the numbers."""
    project = emit_project(board, build_dir)
    try:
        compile_firmware(board, project)
    except RegionOverflow:
        sizes = _unbounded_sizes(board, project)
        check_fit(board, engine_budget(board, arena_bytes, sizes["flash_bytes"], sizes["ram_bytes"],
                                       sizes["stack_bytes"]))
        raise
    publish(project, build_dir)
    sizes = elf_sizes(build_dir / FIRMWARE_ELF)
    budget = engine_budget(board, arena_bytes, sizes["flash_bytes"], sizes["ram_bytes"], sizes["stack_bytes"])
    check_fit(board, budget)
    return {"sizes": sizes, "budget": budget}


def build_engine_firmware(graph: Graph, plan: Plan, golden: tuple[np.ndarray, np.ndarray], model_name: str,
                          board: Board, build_dir: Path) -> dict:
    """The engine for an already planned graph, with the given golden (inputs, expected outputs), built
    into build_dir: engine/ sources, the host app, and for a board with a core firmware.elf, then
    self-tested there. {"sizes", "budget", "selftest"} (sizes and budget None on the host)."""
    build_engine(graph, plan, golden, model_name, board.name, build_dir)
    firmware = {"sizes": None, "budget": None}
    if board.platform != "host":
        firmware = build_firmware(board, build_dir, plan.peak_bytes)
    return {**firmware, "selftest": selftest(board, build_dir, graph)}


def _unbounded_sizes(board: Board, project: Path) -> dict:
    """What the firmware needs, measured by linking a scratch copy with unlimited regions."""
    with tempfile.TemporaryDirectory(prefix="tinyctl-fit-") as tmp:
        scratch = Path(tmp) / "firmware"
        shutil.copytree(project, scratch, ignore=shutil.ignore_patterns("obj", "firmware.*"))
        linker = scratch / "linker.ld"
        linker.write_text(re.sub(r"LENGTH = \d+", "LENGTH = 0x10000000", linker.read_text()))
        return elf_sizes(compile_firmware(board, scratch))


def selftest(board: Board, build_dir: Path, graph: Graph) -> dict:
    """Run the embedded golden inputs on the firmware (QEMU) or the host app; fail the build on any
    mismatch with TFLite-Micro's outputs."""
    if board.platform == "host":
        result = subprocess.run([str(build_dir / HOST_EXECUTABLE), "selftest"], capture_output=True, text=True)
        return _verdict(board, "host", result.returncode, result.stdout)
    elf = build_dir / FIRMWARE_ELF
    run = run_firmware(board, elf, ["selftest"], mark_address=symbol_address(elf, MARK_SYMBOL))
    verdict = _verdict(board, f"QEMU {board.qemu_machine}", run.exit_code, run.console)
    layers = per_inference(run.marks, len(graph.operators))
    per_layer = [round(mean(counts)) for counts in zip(*layers)]
    totals = [sum(counts) for counts in layers]
    verdict["instructions"] = {
        "per_inference": round(mean(totals)), "min": min(totals), "max": max(totals),
        "inferences": len(totals), "boot_to_exit": run.instructions,
        "per_layer": [{"index": op.index, "opcode": op.opcode, "layer": graph.layer_name(op), "instructions": n}
                      for op, n in zip(graph.operators, per_layer)]}
    return verdict


def _verdict(board: Board, where: str, exit_code: int, console: str) -> dict:
    passed = exit_code == 0 and "\nPASS" in console.replace("\r", "")
    if not passed:
        raise TinyctlError(f"the firmware self-test failed on {where} (exit {exit_code}):\n{console.strip()[-1500:]}",
                           "the engine disagrees with TFLite-Micro on the golden inputs; this is a tinyctl bug, "
                           "please report it with the build directory")
    return {"ran_on": where, "passed": True, "console": console.replace("\r", "")}


def run_firmware_batch(board: Board, build_dir: Path, inputs: np.ndarray) -> np.ndarray:
    """Int8 inputs [N, ...] through the firmware under QEMU (batch mode over semihosting files)."""
    x = np.ascontiguousarray(inputs, dtype=np.int8).reshape(len(inputs), -1)
    with tempfile.TemporaryDirectory(prefix="tinyctl-batch-") as tmp:
        (Path(tmp) / "in.bin").write_bytes(x.tobytes())
        run = run_firmware(board, (build_dir / FIRMWARE_ELF).resolve(), ["batch", "in.bin", "out.bin"],
                           workdir=Path(tmp), timeout_s=60 + 0.5 * len(x))
        if run.exit_code != 0:
            raise TinyctlError(f"the firmware's batch run failed under QEMU (exit {run.exit_code}): "
                               f"{run.console.strip()[-500:]}", "rebuild the firmware with `tinyctl build`")
        out = np.fromfile(Path(tmp) / "out.bin", dtype=np.int8)
    return output_rows(out, len(x), "the firmware")
