"""Run firmware under qemu-system-arm on the board's stand-in machine, counting guest instructions by
timing class with tinyctl's own TCG plugin (toolchain/qemu_plugin/, built with the host gcc)."""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .cycle_model import flash_buffer
from .errors import TinyctlError
from .firmware import emulated_platform, layout, qemu_serial_index
from .paths import REPO_ROOT
from .staging import owned_temp_dir
from .targets import Board
from .tools import require_tool

PLUGIN_DIR = Path(__file__).parent / "qemu_plugin"
PLUGIN_SOURCES = (PLUGIN_DIR / "insncount.c", PLUGIN_DIR / "insnclass.c")
PLUGIN_PATH = REPO_ROOT / "build" / "tools" / "libtinyctl_insncount.so"
MARK_SYMBOL = "tc_profile_mark"


def serial_args(board: Board, backend: str) -> list[str]:
    """-serial options that put the firmware's console UART on backend (e.g. stdio, tcp:...)."""
    return ["-serial", "null"] * qemu_serial_index(board) + ["-serial", backend]


def build_plugin(path: Path = PLUGIN_PATH) -> Path:
    """Compile the counting plugin unless an up-to-date one is there (`make setup` builds it)."""
    newest = max(p.stat().st_mtime for p in (*PLUGIN_SOURCES, PLUGIN_DIR / "insnclass.h"))
    if path.is_file() and path.stat().st_mtime >= newest:
        return path
    gcc = require_tool("gcc")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.partial")   # one per concurrent builder
    command = [gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", *map(str, PLUGIN_SOURCES), "-o", str(partial)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise TinyctlError(f"cannot build the QEMU instruction-count plugin:\n{result.stderr.strip()}",
                           f"the command was: {' '.join(command)}")
    partial.replace(path)
    return path


@dataclass(frozen=True)
class QemuRun:
    exit_code: int
    console: str                # what the firmware printed on its UART
    instructions: int           # guest instructions executed, boot to exit
    marks: list[int]            # the instruction count at each tc_profile_mark call, in order
    classes: dict[str, int]     # boot to exit: "instructions" and each timing class (qemu_plugin/insnclass.h)
    class_marks: list[dict[str, int]]   # the same counts at each mark


def plugin_arguments(board: Board, counts: Path, mark_address: int | None) -> str:
    """The plugin's -plugin value: its output file, the marker, and the flash region and data buffer
    that its flash-line count uses: the flash of the image QEMU runs (a stand-in's is at its own address)."""
    where, buffer = layout(board, emulated_platform(board)), flash_buffer(board)
    return (f"{build_plugin()},out={counts},flash={where.flash_base:#x}:{where.flash_size:#x}:"
            f"{buffer.line_bytes}:{buffer.lines}" + (f",mark={mark_address:#x}" if mark_address is not None else ""))


def run_firmware(board: Board, elf: Path, args: list[str], workdir: Path | None = None,
                 mark_address: int | None = None, timeout_s: float = 120) -> QemuRun:
    """Boot elf on the board's QEMU machine with semihosting (command line `fw ARGS`, host files
    relative to workdir) and wait for its semihosting exit."""
    if board.qemu_machine is None:
        raise TinyctlError(f"board {board.name} has no QEMU stand-in", "add [qemu] machine = ... to its board file")
    qemu = require_tool("qemu-system-arm")
    with owned_temp_dir("tinyctl-qemu-") as tmp:
        counts = Path(tmp) / "counts.txt"
        plugin_arg = plugin_arguments(board, counts, mark_address)
        semihosting = ",".join(["enable=on", "target=native", "arg=fw", *(f"arg={a}" for a in args)])
        command = [qemu, "-M", board.qemu_machine, "-display", "none", "-monitor", "none", *serial_args(board, "stdio"),
                   "-semihosting-config", semihosting, "-plugin", plugin_arg, "-kernel", str(elf)]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout_s, cwd=workdir,
                                    stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise TinyctlError(f"the firmware did not finish within {timeout_s:.0f} s under QEMU {board.qemu_machine}",
                               f"run it by hand to see where it stops: {' '.join(command)}") from exc
        console = result.stdout.decode(errors="replace")
        if not counts.is_file():
            raise TinyctlError(f"QEMU exited with {result.returncode} before the plugin reported: "
                               f"{result.stderr.decode(errors='replace').strip()[-500:]}",
                               f"the command was: {' '.join(command)}")
        total, marks = parse_counts(counts.read_text())
    return QemuRun(result.returncode, console, total["instructions"], [m["instructions"] for m in marks], total, marks)


def parse_counts(text: str) -> tuple[dict[str, int], list[dict[str, int]]]:
    """The plugin's file: (boot-to-exit counts, counts at each mark), each {"instructions": n, class: n}."""
    names, total, marks = [], {}, []
    for line in text.splitlines():
        key, *values = line.split()
        if key == "classes":
            names = ["instructions", *values]
        else:
            counts = dict(zip(names, map(int, values), strict=True))
            if key == "insns":
                total = counts
            else:
                marks.append(counts)
    return total, marks


def per_inference(marks: list, layers: int) -> list[list]:
    """Split the marks into inferences: each is the app's mark before model_invoke followed by one
    mark per layer; returns, per inference, what each layer took (instructions for int marks, class
    counts for class_marks)."""
    stride = layers + 1
    if not marks or len(marks) % stride:
        raise TinyctlError(f"the firmware reported {len(marks)} profile marks, not a multiple of {stride}",
                           "rebuild the firmware: model.c and the app must come from the same build")
    return [[_minus(marks[k + j + 1], marks[k + j]) for j in range(layers)] for k in range(0, len(marks), stride)]


def _minus(after, before):
    return {name: after[name] - before[name] for name in after} if isinstance(after, dict) else after - before
