"""Run firmware under qemu-system-arm on the board's stand-in machine, counting guest instructions
with tinyctl's own TCG plugin (toolchain/qemu_plugin/insncount.c, built with the host gcc)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import TinyctlError
from .firmware import qemu_serial_index
from .paths import REPO_ROOT
from .staging import owned_temp_dir
from .targets import Board
from .tools import require_tool

PLUGIN_SOURCE = Path(__file__).parent / "qemu_plugin" / "insncount.c"
PLUGIN_PATH = REPO_ROOT / "build" / "tools" / "libtinyctl_insncount.so"
MARK_SYMBOL = "tc_profile_mark"


def serial_args(board: Board, backend: str) -> list[str]:
    """-serial options that put the firmware's console UART on backend (e.g. stdio, tcp:...)."""
    return ["-serial", "null"] * qemu_serial_index(board) + ["-serial", backend]


def build_plugin(path: Path = PLUGIN_PATH) -> Path:
    """Compile the counting plugin unless an up-to-date one is there (`make setup` builds it)."""
    if path.is_file() and path.stat().st_mtime >= PLUGIN_SOURCE.stat().st_mtime:
        return path
    gcc = require_tool("gcc")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    command = [gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", str(PLUGIN_SOURCE), "-o", str(partial)]
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


def run_firmware(board: Board, elf: Path, args: list[str], workdir: Path | None = None,
                 mark_address: int | None = None, timeout_s: float = 120) -> QemuRun:
    """Boot elf on the board's QEMU machine with semihosting (command line `fw ARGS`, host files
    relative to workdir) and wait for its semihosting exit."""
    if board.qemu_machine is None:
        raise TinyctlError(f"board {board.name} has no QEMU stand-in", "add [qemu] machine = ... to its board file")
    qemu = require_tool("qemu-system-arm")
    plugin = build_plugin()
    with owned_temp_dir("tinyctl-qemu-") as tmp:
        counts = Path(tmp) / "counts.txt"
        plugin_arg = f"{plugin},out={counts}" + (f",mark={mark_address:#x}" if mark_address is not None else "")
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
        instructions, marks = _parse_counts(counts.read_text())
    return QemuRun(result.returncode, console, instructions, marks)


def _parse_counts(text: str) -> tuple[int, list[int]]:
    instructions, marks = 0, []
    for line in text.splitlines():
        key, value = line.split()
        if key == "insns":
            instructions = int(value)
        else:
            marks.append(int(value))
    return instructions, marks


def per_inference(marks: list[int], layers: int) -> list[list[int]]:
    """Split the marks into inferences: each is the app's mark before model_invoke followed by one
    mark per layer; returns, per inference, the instructions each layer took."""
    stride = layers + 1
    if not marks or len(marks) % stride:
        raise TinyctlError(f"the firmware reported {len(marks)} profile marks, not a multiple of {stride}",
                           "rebuild the firmware: model.c and the app must come from the same build")
    return [[marks[k + j + 1] - marks[k + j] for j in range(layers)] for k in range(0, len(marks), stride)]
