"""How `tinyctl targets` shows a board: its core and the clock its firmware sets, its memories, what
QEMU runs for it (the silicon image itself, or a stand-in image on another machine) and the flash
tools its board file configures."""

from __future__ import annotations

from .clocks import firmware_clock_hz
from .firmware import has_stand_in, platform_data, stand_in_only
from .targets import Board

# What each flash tool needs from [flash_tool] besides `tool`.
TOOL_SETTINGS = {"openocd": ("openocd_interface", "openocd_target"), "st-flash": ("address",),
                 "pyocd": ("pyocd_target",), "mass-storage": ("drive_label",)}


def _size(n: int) -> str:
    return f"{n >> 20}M" if n >= 1 << 20 else f"{n >> 10}K"


def flash_tools(board: Board) -> list[str]:
    """The tools `tinyctl flash --tool` can use for the board: its default first."""
    default = board.flash_tool.get("tool", "none")
    usable = [tool for tool, keys in TOOL_SETTINGS.items() if all(k in board.flash_tool for k in keys)]
    return [default] + [tool for tool in usable if tool != default] if default != "none" else []


def qemu_cell(board: Board) -> str:
    if board.qemu_machine is None:
        return "-"
    stand_in = has_stand_in(board) or stand_in_only(board)
    return f"stand-in ({board.qemu_machine})" if stand_in else f"silicon image ({board.qemu_machine})"


def board_row(board: Board) -> tuple[str, ...]:
    """One row of `tinyctl targets`; the MHz is the clock the firmware sets, '-' when it sets none."""
    clock = firmware_clock_hz(board)
    return (board.name, board.alias or "", board.part, board.core, str(clock // 1_000_000) if clock else "-",
            _size(board.flash.size), _size(board.ram.size), qemu_cell(board), ", ".join(flash_tools(board)) or "-")


def console_note(board: Board) -> str | None:
    """Where the console is, for a board whose platform says (platform.toml console_note): one without the
    debug probe's USB serial port every ST board has."""
    if board.platform == "host":
        return None
    note = platform_data(board).get("console_note")
    return f"console of {board.name}: {note}" if note else None
