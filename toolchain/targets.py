"""Boards as data: one TOML file per board in targets/, validated on load."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import TinyctlError
from .paths import TARGETS_DIR

QEMU_MACHINES = {"netduinoplus2", "mps2-an386", "mps2-an500"}
FLASH_TOOLS = {"openocd", "st-flash", "pyocd", "mass-storage", "none"}


@dataclass(frozen=True)
class MemoryRegion:
    base: int
    size: int


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    part: str
    core: str
    fpu: str
    dsp: bool
    clock_hz: int
    platform: str
    flash: MemoryRegion
    ram: MemoryRegion
    qemu_machine: str | None
    flash_tool: dict
    alias: str | None = None
    source: Path | None = None
    console_uart: int | None = None   # [console] uart: the platform's UART number; None = the platform's default

    def to_dict(self) -> dict:
        """The board as it goes into manifest.json and report.json."""
        return {
            "name": self.name, "part": self.part, "core": self.core, "fpu": self.fpu,
            "dsp": self.dsp, "clock_hz": self.clock_hz, "platform": self.platform,
            "flash": {"base": self.flash.base, "size": self.flash.size},
            "ram": {"base": self.ram.base, "size": self.ram.size},
            "qemu_machine": self.qemu_machine,
        }


def _region(data: dict, name: str, path: Path) -> MemoryRegion:
    try:
        region = data["memory"][name]
        base, size = int(region["base"]), int(region["size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TinyctlError(f"{path.name}: [memory.{name}] needs integer 'base' and 'size'",
                           "see targets/nucleo-f446re.toml for the expected layout") from exc
    if size <= 0 or base < 0:
        raise TinyctlError(f"{path.name}: [memory.{name}] has base {base} and size {size}",
                           "sizes must be positive")
    return MemoryRegion(base, size)


def load_board(path: Path) -> Board:
    """Read one board file; a malformed file names the field that is wrong."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TinyctlError(f"cannot read board file {path}: {exc}", "fix the TOML syntax") from exc
    required = ["name", "description", "part", "core", "fpu", "dsp", "clock_hz", "platform", "flash_tool"]
    missing = [key for key in required if key not in data]
    if missing:
        raise TinyctlError(f"{path.name} lacks {', '.join(missing)}",
                           "see targets/nucleo-f446re.toml for the expected fields")
    qemu_machine = data.get("qemu", {}).get("machine")
    if qemu_machine is not None and qemu_machine not in QEMU_MACHINES:
        raise TinyctlError(f"{path.name}: unknown QEMU machine {qemu_machine!r}",
                           f"use one of {', '.join(sorted(QEMU_MACHINES))}")
    if data["flash_tool"].get("tool") not in FLASH_TOOLS:
        raise TinyctlError(f"{path.name}: unknown flash tool {data['flash_tool'].get('tool')!r}",
                           f"use one of {', '.join(sorted(FLASH_TOOLS))}")
    uart = data.get("console", {}).get("uart")
    if uart is not None and not isinstance(uart, int):
        raise TinyctlError(f"{path.name}: [console] uart must be a UART number, not {uart!r}",
                           "for example uart = 2 for USART2")
    return Board(
        name=data["name"], description=data["description"], part=data["part"], core=data["core"],
        fpu=data["fpu"], dsp=bool(data["dsp"]), clock_hz=int(data["clock_hz"]),
        platform=data["platform"], flash=_region(data, "flash", path), ram=_region(data, "ram", path),
        qemu_machine=qemu_machine, flash_tool=dict(data["flash_tool"]), alias=data.get("alias"),
        source=path, console_uart=uart,
    )


def all_boards(directory: Path = TARGETS_DIR) -> list[Board]:
    """Every board file in targets/, sorted by name; a new board is one new file."""
    return sorted((load_board(p) for p in directory.glob("*.toml")), key=lambda b: b.name)


def resolve_board(name: str, directory: Path = TARGETS_DIR) -> Board:
    """A board by name, family alias (`stm32` -> nucleo-f446re) or path to a board file; a typo gets the
    valid names."""
    if name.endswith(".toml"):
        if not Path(name).is_file():
            raise TinyctlError(f"board file {name} does not exist", "see `tinyctl targets` for the built-in boards")
        return load_board(Path(name))
    boards = all_boards(directory)
    for board in boards:
        if name in (board.name, board.alias):
            return board
    valid = sorted([b.name for b in boards] + [b.alias for b in boards if b.alias])
    close = difflib.get_close_matches(name, valid, n=1)
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    raise TinyctlError(f"unknown board {name!r}",
                       f"{suggestion}valid boards: {', '.join(valid)} (see `tinyctl targets`)")
