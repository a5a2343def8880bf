"""Boards as data: one TOML file per board in targets/, validated on load."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .board_schema import check_board, field_error
from .clocks import clock_source, firmware_clock_hz
from .errors import TinyctlError
from .paths import TARGETS_DIR

BUILD_BOARD_FILE = "board.toml"   # a build's copy of the board file it was made for
REQUIRED = ("name", "description", "part", "core", "fpu", "dsp", "clock_hz", "platform", "flash_tool")
# The keys each table may hold (flash_tool's are checked in board_schema).
TABLE_KEYS = {"memory": {"flash", "ram"}, "memory.flash": {"base", "size"}, "memory.ram": {"base", "size"},
              "qemu": {"machine"}, "console": {"uart"}}
FIELDS = set(REQUIRED) | {"alias", "memory", "qemu", "console", "flash_wait_states"}


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
    flash_wait_states: int = 0        # the part's flash latency at clock_hz (its reference manual's table)

    def __post_init__(self):
        check_board(self, self.source.name if self.source else self.name)

    def to_dict(self) -> dict:
        """The board as it goes into manifest.json and report.json."""
        return {
            "name": self.name, "part": self.part, "core": self.core, "fpu": self.fpu,
            "dsp": self.dsp, "clock_hz": self.clock_hz, "platform": self.platform,
            "clock_source": clock_source(self), "clock_set_by_firmware": firmware_clock_hz(self) == self.clock_hz,
            "flash": {"base": self.flash.base, "size": self.flash.size},
            "ram": {"base": self.ram.base, "size": self.ram.size},
            "qemu_machine": self.qemu_machine, "flash_wait_states": self.flash_wait_states,
        }


def _table(data: dict, field: str, where: str) -> dict:
    """data's table `field` (dotted for nested tables), {} when absent; only its known keys."""
    value = data.get(field.rsplit(".", 1)[-1], {})
    if not isinstance(value, dict):
        raise field_error(where, field, value, f"a [{field}] table")
    unknown = sorted(set(value) - TABLE_KEYS.get(field, set(value)))
    if unknown:
        raise field_error(where, f"{field}.{unknown[0]}", value[unknown[0]], ", ".join(sorted(TABLE_KEYS[field])))
    return value


def _region(memory: dict, name: str, where: str) -> MemoryRegion:
    region = _table(memory, f"memory.{name}", where)
    return MemoryRegion(region.get("base"), region.get("size"))


def load_board(path: Path) -> Board:
    """Read one board file; a malformed file names the field that is wrong and its valid values."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TinyctlError(f"cannot read board file {path}: {exc}", "fix the TOML syntax") from exc
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise TinyctlError(f"{path.name} lacks {', '.join(missing)}",
                           "see targets/nucleo-f446re.toml for the expected fields")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise field_error(path.name, unknown[0], data[unknown[0]], "fields " + ", ".join(sorted(FIELDS)))
    memory = _table(data, "memory", path.name)
    return Board(
        name=data["name"], description=data["description"], part=data["part"], core=data["core"],
        fpu=data["fpu"], dsp=data["dsp"], clock_hz=data["clock_hz"], platform=data["platform"],
        flash=_region(memory, "flash", path.name), ram=_region(memory, "ram", path.name),
        qemu_machine=_table(data, "qemu", path.name).get("machine"),
        flash_tool=dict(_table(data, "flash_tool", path.name)), alias=data.get("alias"), source=path,
        console_uart=_table(data, "console", path.name).get("uart"),
        flash_wait_states=data.get("flash_wait_states", 0),
    )


def all_boards(directory: Path = TARGETS_DIR) -> list[Board]:
    """Every board file in targets/, sorted by name; a new board is one new file."""
    return sorted((load_board(p) for p in directory.glob("*.toml")), key=lambda b: b.name)


def resolve_board(name: str, directory: Path = TARGETS_DIR) -> Board:
    """A board by name, family alias (`stm32` -> nucleo-f446re) or path to a board file; a typo gets the
    valid names."""
    if name.endswith(".toml"):
        if not Path(name).is_file():
            problem = "is a directory, not a file" if Path(name).is_dir() else "does not exist"
            raise TinyctlError(f"board file {name} {problem}", "see `tinyctl targets` for the built-in boards")
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


def board_of_build(build_dir: Path, name: str) -> Board:
    """The board a build was made for: the copy of its board file in the build (so builds for a custom
    board file work anywhere), or the built-in board `name` for builds made before the copy existed."""
    copy = Path(build_dir) / BUILD_BOARD_FILE
    return load_board(copy) if copy.is_file() else resolve_board(name)
