"""The firmware project for a board: sources from firmware_templates/ (engine kernels, the board's
platform family, the app) plus the generated model and golden data, the board's clock plan as
clock_plan.h, a linker script made from the board's memory regions and a Makefile; then
arm-none-eabi-gcc builds it and arm-none-eabi-size measures it.

Two images when QEMU does not model the part: firmware.elf (the silicon image, what `flash` writes) and
firmware-emu.elf (the same engine objects linked with a stand-in platform, what QEMU runs). The project
keeps the engine and app at its top, the silicon platform in platform/ and the stand-in's in emu/."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from .board_schema import machine_platform
from .boot2 import BOOT2_BYTES, assemble, boot2_c_source, seal
from .cflags import APP_DEFINES, LIBC_SPECS, board_cflags, board_defines, firmware_cflags, link_flags
from .clocks import ClockPlanError, clock_header, clock_plan
from .errors import TinyctlError
from .paths import FIRMWARE_TEMPLATES_DIR, PLATFORMS_DIR
from .platform_files import read_platform
from .targets import Board
from .tools import require_tool
from .uf2 import uf2_blocks

CORTEX_M_DIR = PLATFORMS_DIR / "cortex-m"
STACK_BYTES = 4096
FIRMWARE_FILES = ("firmware.elf", "firmware.bin", "firmware.hex")
UF2_FILE = "firmware.uf2"   # for a part whose boot ROM takes UF2 files on a USB drive (platform.toml uf2_family_id)
EMULATED_ELF = "firmware-emu.elf"   # the stand-in image, for a board whose part QEMU does not model
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


def platform_data(board: Board, platform: str | None = None) -> dict:
    """The platform.toml of the board's platform (or of `platform`, e.g. its stand-in)."""
    platform = platform or board.platform
    data = read_platform(platform)
    if data is None:
        raise TinyctlError(f"board {board.name} names platform {platform!r}, which has no "
                           f"{(PLATFORMS_DIR / platform / 'platform.toml').relative_to(FIRMWARE_TEMPLATES_DIR)}",
                           f"platforms: {', '.join(p.parent.name for p in PLATFORMS_DIR.glob('*/platform.toml'))}")
    return data


def console_uart(board: Board) -> int:
    """The UART the firmware talks on: the board file's [console] uart, else the platform's default."""
    return board.console_uart if board.console_uart is not None else platform_data(board)["console_uart"]


def emulated_platform(board: Board) -> str | None:
    """The platform of the image QEMU runs: the board's own when its machine models the part, else the
    machine's stand-in platform; None without a QEMU machine."""
    return None if board.qemu_machine is None else machine_platform(board.qemu_machine)


def has_stand_in(board: Board) -> bool:
    """Whether the build makes firmware-emu.elf: QEMU runs a stand-in, not the silicon image."""
    return emulated_platform(board) not in (None, board.platform)


def emulated_elf(build_dir: Path, board: Board) -> Path:
    """The image QEMU runs for the board: firmware-emu.elf beside a silicon image QEMU cannot run."""
    return Path(build_dir) / (EMULATED_ELF if has_stand_in(board) else "firmware.elf")


def stand_in_only(board: Board) -> bool:
    """Whether the board's own platform is a QEMU stand-in (linked at the stand-in machine's addresses, not
    the part's): its firmware.elf runs in QEMU only, no silicon platform is written for the part yet."""
    where = layout(board)
    return (where.flash_base, where.ram_base) != (board.flash.base, board.ram.base)


def emulated_image(board: Board) -> dict:
    """Which image QEMU runs, for the report: its file, and whether it is the silicon image itself."""
    stand_in = has_stand_in(board) or stand_in_only(board)
    return {"file": EMULATED_ELF if has_stand_in(board) else "firmware.elf", "machine": board.qemu_machine,
            "silicon_image": not stand_in,
            "description": (f"a {emulated_platform(board)} stand-in image of the same engine: "
                            f"QEMU models no {board.part}"
                            if stand_in else f"the {board.part} silicon image itself, clock set-up included")}


def qemu_serial_index(board: Board) -> int:
    """Which of QEMU's -serial devices is the console UART of the image QEMU runs."""
    platform = emulated_platform(board)
    data = platform_data(board, platform)
    uart = console_uart(board) if platform == board.platform else data["console_uart"]
    return uart - data.get("qemu_first_uart", 0)


def fast_ram(board: Board, arena_bytes: int) -> bool:
    """Whether the silicon image's RAM goes in the platform's fast_ram (H7: DTCM, zero wait states): when
    the arena and the stack alone fit there (the link then checks the rest, see stages.firmware)."""
    region = platform_data(board).get("fast_ram")
    return region is not None and arena_bytes + STACK_BYTES <= region["size"]


def layout(board: Board, platform: str | None = None, fast: bool = False) -> Layout:
    """Where `platform`'s image (default the board's) is linked. A stand-in's platform.toml moves the
    regions (MPS2 puts code at 0x0); sizes stay the board's, so the fit is the board's, unless the stand-in
    machine has less memory than the board (flash_size, ram_size: the micro:bit's 16 KiB). With `fast`,
    RAM is the platform's fast_ram instead of the board's [memory.ram]."""
    platform = platform or board.platform
    data = platform_data(board, platform)
    if fast:
        region = data["fast_ram"]
        return Layout(board.flash.base, board.flash.size, region["base"], region["size"],
                      f"{board.name}'s flash; RAM in the {platform} fast RAM (the arena fits)")
    moved = "flash_base" in data
    note = (f"{board.name}'s sizes at the {platform} stand-in's addresses" if moved
            else f"{board.name}'s own flash and RAM")
    flash_size = min(board.flash.size, data.get("flash_size", board.flash.size))
    ram_size = min(board.ram.size, data.get("ram_size", board.ram.size))
    if (flash_size, ram_size) != (board.flash.size, board.ram.size):
        note += f", cut to the stand-in's {flash_size} B of flash and {ram_size} B of RAM"
    return Layout(data.get("flash_base", board.flash.base), flash_size,
                  data.get("ram_base", board.ram.base), ram_size, note)


def platform_defines(board: Board) -> list[str]:
    """The compiler switches of the board's platforms (platform.toml defines: where a shared driver's
    device sits), the stand-in's included."""
    platforms = dict.fromkeys((board.platform, emulated_platform(board) or board.platform))
    return [f"-D{define}" for platform in platforms for define in platform_data(board, platform).get("defines", [])]


def _sources(build_dir: Path) -> list[Path]:
    """What both images share: the engine, the app, the Cortex-M code and the generated model."""
    engine = FIRMWARE_TEMPLATES_DIR / "engine"
    apps = FIRMWARE_TEMPLATES_DIR / "apps"
    generated = build_dir / "engine"
    return [*sorted(engine.glob("*.[ch]")), *sorted(apps.glob("*.[ch]")), PLATFORMS_DIR / "platform.h",
            *sorted(CORTEX_M_DIR.glob("*.[ch]")),
            *(generated / name for name in ("model.c", "model.h", "golden.c", "golden.h", "model_info.h"))]


def platform_sources(board: Board, platform: str) -> list[Path]:
    """A platform's sources (its own folder's, or those of the folder it borrows them from: sources_from)
    and those of the shared folders its platform.toml lists."""
    data = platform_data(board, platform)
    folders = [data.get("sources_from", platform), *data.get("shared", [])]
    return [path for folder in folders for path in sorted((PLATFORMS_DIR / folder).glob("*.[ch]"))]


def write_platform(board: Board, platform: str, directory: Path) -> None:
    """The platform's sources into directory, with clock_plan.h when the platform sets the board's clock."""
    directory.mkdir(parents=True, exist_ok=True)
    sources = platform_sources(board, platform)
    clashes = sorted({s.name for s in sources if [t.name for t in sources].count(s.name) > 1})
    if clashes:   # one folder in the project: a shared file must not shadow the family's
        raise TinyctlError(f"platform {platform} and its shared folders both have {', '.join(clashes)}",
                           "rename one of them in firmware_templates/platforms/")
    for source in sources:
        shutil.copyfile(source, directory / source.name)
    try:
        plan = clock_plan(board) if platform == board.platform else None
    except ClockPlanError as exc:
        raise TinyctlError(f"board {board.name}: {exc}", "pick a clock_hz the part's PLL can make from HSI, "
                                                         "e.g. its maximum") from exc
    if plan is not None:
        (directory / "clock_plan.h").write_text(clock_header(plan))
    boot2 = platform_data(board, platform).get("boot2")
    if boot2 is not None:   # RP2040: assembled and sealed with its CRC here, so `make` only compiles an array
        image = seal(assemble(PLATFORMS_DIR / platform / boot2, board_cflags(board)))
        (directory / "boot2_image.c").write_text(boot2_c_source(image, boot2))


def emit_project(board: Board, build_dir: Path, fast: bool = False) -> Path:
    """build_dir/firmware/: a standalone project (`make` there builds it) for the board: firmware.elf
    (its RAM in the platform's fast RAM with `fast`), and firmware-emu.elf when QEMU runs a stand-in."""
    project = build_dir / "firmware"
    project.mkdir(parents=True, exist_ok=True)
    for source in _sources(build_dir):
        shutil.copyfile(source, project / source.name)
    write_platform(board, board.platform, project / "platform")
    (project / "linker.ld").write_text(linker_script(board, fast=fast))
    if has_stand_in(board):
        write_platform(board, emulated_platform(board), project / "emu")
        (project / "linker-emu.ld").write_text(linker_script(board, platform=emulated_platform(board)))
    (project / "Makefile").write_text(_TEMPLATES.get_template("Makefile.j2").render(
        board=board.name, core=board.core, board_cflags=board_cflags(board), cflags=firmware_cflags(),
        app_defines=APP_DEFINES, board_defines=board_defines(console_uart(board)) + platform_defines(board),
        link_flags=link_flags(None), libc_specs=LIBC_SPECS, stand_in=has_stand_in(board)))
    return project


def linker_script(board: Board, region_bytes: int | None = None, platform: str | None = None,
                  fast: bool = False) -> str:
    """linker.ld for the board: its flash and RAM (at the platform's addresses) and the stack's reservation.
    With `region_bytes`, both regions are that large instead: a link that cannot overflow, to measure
    what a firmware too large for the board needs."""
    where = layout(board, platform, fast)
    boot2_bytes = BOOT2_BYTES if "boot2" in platform_data(board, platform) else 0
    if region_bytes is not None:
        where = replace(where, flash_size=region_bytes, ram_size=region_bytes,
                        note=f"{where.note}, resized to {region_bytes} B to measure an overflowing firmware")
    return _TEMPLATES.get_template("linker.ld.j2").render(
        board=board.name, family=platform or board.platform, region_note=where.note, flash_base=where.flash_base,
        flash_size=where.flash_size, ram_base=where.ram_base, ram_size=where.ram_size, stack_bytes=STACK_BYTES,
        boot2_bytes=boot2_bytes)


_OVERFLOW = re.compile(r"region [`']?(\w+)'? overflowed by (\d+) bytes?")


def linker_overflow(stderr: str) -> dict[str, int]:
    """The bytes over per memory region that GNU ld reports ("... overflowed by 1 byte" included)."""
    return {region: int(n) for region, n in _OVERFLOW.findall(stderr)}


class RegionOverflow(TinyctlError):
    """The link does not fit the board, or (`stand_in`) the stand-in image does not fit QEMU's machine: bytes
    over, per region ("FLASH", "RAM")."""

    def __init__(self, board: Board, overflow: dict[str, int], stand_in: bool = False):
        short = "; ".join(f"{region.lower()} by {n:,} B" for region, n in overflow.items())
        where = layout(board, emulated_platform(board)) if stand_in else layout(board)
        cut = (where.flash_size, where.ram_size) != (board.flash.size, board.ram.size)
        machine = f"{board.name}'s QEMU stand-in {board.qemu_machine} ({where.flash_size:,} B flash, {where.ram_size:,} B RAM)"
        hint = (f"{board.name}'s own image links; the self-test runs the stand-in in QEMU, which needs a smaller model"
                if stand_in else "prune the model or pick a larger board (see `tinyctl targets`)")
        super().__init__(f"the firmware does not fit {machine if cut else board.name}: it overflows {short}", hint)
        self.overflow = overflow


def compile_firmware(board: Board, project: Path) -> Path:
    """`make` in the project with the arm-none-eabi toolchain; RegionOverflow when it does not fit."""
    gcc = require_tool("arm-none-eabi-gcc")
    make = require_tool("make")
    prefix = gcc[: -len("gcc")]
    result = subprocess.run([make, "-C", str(project), f"PREFIX={prefix}", "all"], capture_output=True, text=True)
    if result.returncode != 0:
        overflow = linker_overflow(result.stderr)
        if overflow:   # make links firmware.elf first: the stand-in's link runs only once that one fits
            raise RegionOverflow(board, overflow, stand_in=f"{EMULATED_ELF} section" in result.stderr)
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


def write_uf2(board: Board, build_dir: Path) -> Path | None:
    """firmware.uf2 from firmware.bin (which starts at the flash base) when the board's platform names a UF2
    family id: the file a user drops onto the boot ROM's USB drive. None for other platforms."""
    family = platform_data(board).get("uf2_family_id")
    if family is None:
        return None
    path = Path(build_dir) / UF2_FILE
    path.write_bytes(uf2_blocks((Path(build_dir) / "firmware.bin").read_bytes(), board.flash.base, family))
    return path


def publish(project: Path, build_dir: Path) -> None:
    """Copy firmware.elf/.bin/.hex (and firmware-emu.elf) to the build directory's top, where flash tools
    and QEMU look for them."""
    for name in (*FIRMWARE_FILES, EMULATED_ELF):
        if name in FIRMWARE_FILES or (project / name).is_file():
            shutil.copyfile(project / name, build_dir / name)
