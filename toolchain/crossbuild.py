"""Cross-compile C for a board's core with arm-none-eabi-gcc, and read the sizes of what it made."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import TinyctlError
from .targets import Board
from .tools import require_tool

COMMON_FLAGS = ["-std=c99", "-O2", "-mthumb", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections"]


def board_cflags(board: Board) -> list[str]:
    """Core and FPU flags from the board file (hard-float ABI when the core has an FPU)."""
    flags = [f"-mcpu={board.core}"]
    if board.fpu not in ("none", ""):
        flags += ["-mfloat-abi=hard", f"-mfpu={board.fpu}"]
    return flags


def compile_objects(board: Board, sources: list[Path], include_dirs: list[Path], out_dir: Path) -> list[Path]:
    gcc = require_tool("arm-none-eabi-gcc")
    out_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in sources:
        obj = out_dir / (source.stem + ".o")
        command = [gcc, *COMMON_FLAGS, *board_cflags(board), *(f"-I{d}" for d in include_dirs),
                   "-c", str(source), "-o", str(obj)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise TinyctlError(f"arm-none-eabi-gcc failed on {source.name} for {board.core}:\n{result.stderr.strip()}",
                               f"the command was: {' '.join(command)}")
        objects.append(obj)
    return objects


def section_sizes(objects: list[Path]) -> dict:
    """Summed text, data and bss of the objects, as arm-none-eabi-size reports them (Berkeley format)."""
    size = require_tool("arm-none-eabi-size")
    result = subprocess.run([size, "-t", *map(str, objects)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in result.stdout.strip().splitlines()[-1].split()[:3])
    return {"text_bytes": text, "data_bytes": data, "bss_bytes": bss}
