"""`tinyctl flash BUILD_DIR`: write a build's firmware to its board with the tool the board file
names (openocd, st-flash, pyocd, picotool, or a copy to the board's USB drive: the ST-LINK's, or the RP2040
boot ROM's RPI-RP2, which takes firmware.uf2), after checking that the tool is installed and the probe is
connected."""

from __future__ import annotations

import getpass
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import TinyctlError
from .firmware import PLATFORMS_DIR, UF2_FILE, layout, platform_data, stand_in_only
from .targets import Board
from .tools import TOOLS, find_tool

USB_DEVICES = Path("/sys/bus/usb/devices")


@dataclass(frozen=True)
class FlashPlan:
    tool: str
    command: list[str]          # the exact command (for mass-storage, the equivalent cp)
    warning: str | None = None  # why this firmware cannot run on the silicon: flash() then refuses, a dry run too


def _setting(board: Board, key: str, tool: str) -> str:
    value = board.flash_tool.get(key)
    if value is None:
        raise TinyctlError(f"board file {board.source.name if board.source else board.name} has no "
                           f"[flash_tool] {key}, which {tool} needs", f"add {key} = ... or pick another --tool")
    return value


def _drive(board: Board, drive: Path | None) -> Path:
    """The board's USB drive (the ST-LINK's, the RP2040's RPI-RP2): --drive, or its volume label under the
    usual mount points."""
    if drive is not None:
        return Path(drive)
    label = _setting(board, "drive_label", "mass-storage")
    user = getpass.getuser()
    candidates = [Path("/media") / user / label, Path("/run/media") / user / label, Path("/media") / label]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def flash_plan(board: Board, firmware_dir: Path, tool: str | None = None, drive: Path | None = None) -> FlashPlan:
    """The command that writes firmware_dir's firmware.elf/.bin to the board, with `tool` or the board's own."""
    tool = tool or board.flash_tool.get("tool", "none")
    elf, binary = (Path(firmware_dir) / name for name in ("firmware.elf", "firmware.bin"))
    if tool == "openocd":
        config = ["-f", _setting(board, "openocd_interface", tool), "-f", _setting(board, "openocd_target", tool)]
        command = ["openocd", *config, "-c", f"program {elf} verify reset exit"]
    elif tool == "st-flash":
        command = ["st-flash", "--reset", "write", str(binary), f"{int(_setting(board, 'address', tool)):#010x}"]
    elif tool == "pyocd":
        command = ["pyocd", "flash", "--target", _setting(board, "pyocd_target", tool), str(elf)]
    elif tool == "picotool":   # the RP2040's boot ROM in BOOTSEL mode: load the ELF, verify, run it
        command = ["picotool", "load", "-v", "-x", str(elf), "-t", "elf"]
    elif tool == "mass-storage":   # a boot ROM that reads UF2 (the RP2040's) takes firmware.uf2, an ST-LINK the .bin
        image = Path(firmware_dir) / UF2_FILE if "uf2_family_id" in platform_data(board) else binary
        command = ["cp", str(image), f"{_drive(board, drive)}/"]
    else:
        raise TinyctlError(f"board {board.name} has nothing to flash (flash tool {tool!r})",
                           "the host target runs on this computer: use `tinyctl validate`" if board.core == "host"
                           else "its board file names no flash tool: load firmware.elf as the board's manual says "
                                "(the MPS3 from its microSD card), or pass --tool")
    return FlashPlan(tool, command, _stand_in_warning(board))


def _stand_in_warning(board: Board) -> str | None:
    """Why firmware.elf is no image for the silicon: a board whose platform is only a QEMU stand-in."""
    if not stand_in_only(board):
        return None
    where = layout(board)
    return (f"this firmware is linked for the {board.platform} QEMU stand-in "
            f"({(PLATFORMS_DIR / board.platform / 'platform.toml').name}: code at {where.flash_base:#x}), "
            f"not for {board.part} silicon (code at {board.flash.base:#x}); QEMU runs it, the part cannot")


def usb_ids_present(ids: list[str], root: Path = USB_DEVICES) -> list[str]:
    """Which of the vendor:product ids (e.g. 0483:374b) are connected, from sysfs."""
    found = set()
    for device in root.glob("*"):
        try:
            found.add(f"{(device / 'idVendor').read_text().strip()}:{(device / 'idProduct').read_text().strip()}")
        except OSError:
            continue
    return [i for i in ids if i.lower() in found]


def _refuse_stand_in(board: Board, plan: FlashPlan) -> None:
    if plan.warning:
        raise TinyctlError(f"refusing to flash: {plan.warning}",
                           f"no platform in firmware_templates/platforms/ sets up {board.part} yet (see "
                           "docs/adding-a-board.md, 'A new family'); `tinyctl run --emulate` runs this build")


def _check_ready(board: Board, plan: FlashPlan) -> None:
    if plan.tool == "mass-storage":
        if not Path(plan.command[1]).is_file():   # firmware.uf2 of a build made before tinyctl wrote one
            raise TinyctlError(f"{plan.command[1]} is missing", "rebuild the firmware: tinyctl build -t BOARD")
        if not Path(plan.command[-1]).is_dir():
            raise TinyctlError(f"the board's USB drive {plan.command[-1]} is not mounted",
                               "plug in the board's ST-LINK USB port (a Pico: hold BOOTSEL while plugging it in), "
                               "or pass --drive /path/to/the/drive")
        return
    if find_tool(plan.tool) is None:
        raise TinyctlError(f"flash tool {plan.tool!r} is not installed", f"install it with: {TOOLS[plan.tool].install}")
    ids = list(board.flash_tool.get("usb_ids", []))
    if ids and not usb_ids_present(ids):
        raise TinyctlError(f"no debug probe for {board.name} is connected (USB id {' or '.join(ids)})",
                           "plug in the board's ST-LINK USB port; `lsusb` should list it")


def flash(board: Board, build_dir: Path, tool: str | None = None, drive: Path | None = None,
          dry_run: bool = False) -> FlashPlan:
    """Write the firmware (or, with dry_run, only work out the command)."""
    for name in ("firmware.elf", "firmware.bin"):
        if not (Path(build_dir) / name).is_file():
            raise TinyctlError(f"{build_dir} has no {name}", "build the firmware first: tinyctl build -t BOARD")
    plan = flash_plan(board, Path(build_dir).resolve(), tool, drive)
    _refuse_stand_in(board, plan)   # a dry run too: its command would write firmware the part cannot run
    if dry_run:
        return plan
    _check_ready(board, plan)
    if plan.tool == "mass-storage":
        shutil.copy(plan.command[1], plan.command[2])
        return plan
    command = [find_tool(plan.tool), *plan.command[1:]]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise TinyctlError(f"{plan.tool} failed (exit {result.returncode}): "
                           f"{(result.stderr or result.stdout).strip()[-600:]}",
                           "check the probe's connection and that no other debugger holds it")
    return plan
