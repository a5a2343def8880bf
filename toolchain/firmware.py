"""The firmware project for a board: sources from firmware_templates/ (engine kernels, the board's
platform family, the app) plus the generated model and golden data, a linker script made from the
board's memory regions and a Makefile; then arm-none-eabi-gcc builds it and arm-none-eabi-size
measures it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from .cflags import APP_DEFINES, LIBC_SPECS, board_cflags, board_defines, firmware_cflags, link_flags
from .errors import TinyctlError
from .paths import FIRMWARE_TEMPLATES_DIR, PLATFORMS_DIR
from .targets import Board
from .tools import require_tool

CORTEX_M_DIR = PLATFORMS_DIR / "cortex-m"
STACK_BYTES = 4096
FIRMWARE_FILES = ("firmware.elf", "firmware.bin", "firmware.hex")
_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(CORTEX_M_DIR), undefined=jinja2.StrictUndefined,
                                keep_trailing_newline=True)


@dataclass(frozen=True)
class Layout:
    """Where the firmware is linked: the board's region sizes at the platform's bases."""
    flash_base: int
    flash_size: int
    ram_base: int
    ram_size: int
    note: str


def platform_data(board: Board) -> dict:
    """The board's platform.toml."""
    platform_file = PLATFORMS_DIR / board.platform / "platform.toml"
    if not platform_file.is_file():
        raise TinyctlError(f"board {board.name} names platform {board.platform!r}, which has no "
                           f"{platform_file.relative_to(FIRMWARE_TEMPLATES_DIR)}",
                           f"platforms: {', '.join(p.parent.name for p in PLATFORMS_DIR.glob('*/platform.toml'))}")
    return tomllib.loads(platform_file.read_text())


def console_uart(board: Board) -> int:
    """The UART the firmware talks on: the board file's [console] uart, else the platform's default."""
    return board.console_uart if board.console_uart is not None else platform_data(board)["console_uart"]


def qemu_serial_index(board: Board) -> int:
    """Which of QEMU's -serial devices is that UART on the stand-in machine."""
    return console_uart(board) - platform_data(board)["qemu_first_uart"]


def layout(board: Board) -> Layout:
    """A platform.toml may move the regions (MPS2 stand-ins put code at 0x0); sizes stay the board's, unless
    the stand-in machine has less memory than the board (flash_size, ram_size: the micro:bit's 16 KiB)."""
    data = platform_data(board)
    moved = "flash_base" in data
    note = (f"{board.name}'s sizes at the {board.platform} stand-in's addresses" if moved
            else f"{board.name}'s own flash and RAM")
    flash_size = min(board.flash.size, data.get("flash_size", board.flash.size))
    ram_size = min(board.ram.size, data.get("ram_size", board.ram.size))
    if (flash_size, ram_size) != (board.flash.size, board.ram.size):
        note += f", cut to the stand-in's {flash_size} B of flash and {ram_size} B of RAM"
    return Layout(data.get("flash_base", board.flash.base), flash_size,
                  data.get("ram_base", board.ram.base), ram_size, note)


def platform_defines(board: Board) -> list[str]:
    """The platform's compiler switches (platform.toml defines: where a shared driver's device sits)."""
    return [f"-D{define}" for define in platform_data(board).get("defines", [])]


def platform_sources(board: Board) -> list[Path]:
    """The platform's C files: its own folder's, or those of the folder it shares them with (sources_from)."""
    folder = platform_data(board).get("sources_from", board.platform)
    return sorted((PLATFORMS_DIR / folder).glob("*.[ch]"))


def _sources(board: Board, build_dir: Path) -> list[Path]:
    engine = FIRMWARE_TEMPLATES_DIR / "engine"
    apps = FIRMWARE_TEMPLATES_DIR / "apps"
    generated = build_dir / "engine"
    return [*sorted(engine.glob("*.[ch]")), *sorted(apps.glob("*.[ch]")), PLATFORMS_DIR / "platform.h",
            *sorted(CORTEX_M_DIR.glob("*.[ch]")), *platform_sources(board),
            *(generated / name for name in ("model.c", "model.h", "golden.c", "golden.h", "model_info.h"))]


def emit_project(board: Board, build_dir: Path) -> Path:
    """build_dir/firmware/: a standalone project (`make` there builds it) for the board."""
    project = build_dir / "firmware"
    project.mkdir(parents=True, exist_ok=True)
    for source in _sources(board, build_dir):
        shutil.copyfile(source, project / source.name)
    (project / "linker.ld").write_text(linker_script(board))
    (project / "Makefile").write_text(_TEMPLATES.get_template("Makefile.j2").render(
        board=board.name, core=board.core, board_cflags=board_cflags(board), cflags=firmware_cflags(),
        app_defines=APP_DEFINES, board_defines=board_defines(console_uart(board)) + platform_defines(board),
        link_flags=link_flags("linker.ld", "firmware.map"), libc_specs=LIBC_SPECS))
    return project


def linker_script(board: Board, region_bytes: int | None = None) -> str:
    """linker.ld for the board: its flash and RAM (at the platform's addresses) and the stack's reservation.
    With `region_bytes`, both regions are that large instead: a link that cannot overflow, to measure
    what a firmware too large for the board needs."""
    where = layout(board)
    if region_bytes is not None:
        where = replace(where, flash_size=region_bytes, ram_size=region_bytes,
                        note=f"{where.note}, resized to {region_bytes} B to measure an overflowing firmware")
    return _TEMPLATES.get_template("linker.ld.j2").render(
        board=board.name, family=board.platform, region_note=where.note, flash_base=where.flash_base,
        flash_size=where.flash_size, ram_base=where.ram_base, ram_size=where.ram_size, stack_bytes=STACK_BYTES)


_OVERFLOW = re.compile(r"region [`']?(\w+)'? overflowed by (\d+) bytes")


class RegionOverflow(TinyctlError):
    """The link does not fit the board: bytes over, per region ("FLASH", "RAM")."""

    def __init__(self, board: Board, overflow: dict[str, int]):
        short = "; ".join(f"{region.lower()} by {n:,} B" for region, n in overflow.items())
        where = layout(board)
        cut = (where.flash_size, where.ram_size) != (board.flash.size, board.ram.size)
        machine = f"{board.name}'s QEMU stand-in {board.qemu_machine} ({where.flash_size:,} B flash, {where.ram_size:,} B RAM)"
        super().__init__(f"the firmware does not fit {machine if cut else board.name}: it overflows {short}",
                         "prune the model or pick a larger board (see `tinyctl targets`)")
        self.overflow = overflow


def compile_firmware(board: Board, project: Path) -> Path:
    """`make` in the project with the arm-none-eabi toolchain; RegionOverflow when it does not fit."""
    gcc = require_tool("arm-none-eabi-gcc")
    make = require_tool("make")
    prefix = gcc[: -len("gcc")]
    result = subprocess.run([make, "-C", str(project), f"PREFIX={prefix}", "all"], capture_output=True, text=True)
    if result.returncode != 0:
        overflow = {region: int(n) for region, n in _OVERFLOW.findall(result.stderr)}
        if overflow:
            raise RegionOverflow(board, overflow)
        raise TinyctlError(f"the firmware build failed for {board.name}:\n{result.stderr.strip()[-2000:]}",
                           f"reproduce it with: make -C {project}")
    return project / "firmware.elf"


def elf_sizes(elf: Path) -> dict:
    """arm-none-eabi-size (Berkeley): flash = text + data; RAM = data + bss (the stack included)."""
    size = require_tool("arm-none-eabi-size")
    out = subprocess.run([size, str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(v) for v in out.strip().splitlines()[-1].split()[:3])
    return {"text_bytes": text, "data_bytes": data, "bss_bytes": bss, "stack_bytes": STACK_BYTES,
            "flash_bytes": text + data, "ram_bytes": data + bss}


def symbol_address(elf: Path, name: str) -> int:
    nm = require_tool("arm-none-eabi-nm")
    out = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise TinyctlError(f"{elf.name} has no symbol {name!r}", "rebuild the firmware from the current templates")


def publish(project: Path, build_dir: Path) -> None:
    """Copy firmware.elf/.bin/.hex to the build directory's top, where flash tools look for them."""
    for name in FIRMWARE_FILES:
        shutil.copyfile(project / name, build_dir / name)
