"""What a board file may say: every field's type and range, checked when a Board is made, so a bad
file fails at load (naming the file, the field and the valid values) and never after a build."""

from __future__ import annotations

import re

from .clocks import ClockPlanError, check_request
from .errors import TinyctlError
from .paths import PLATFORMS_DIR

# The cores the firmware templates are written for, each with the FPUs GCC accepts for it.
FPUS = {"cortex-m0plus": {"none"}, "cortex-m4": {"none", "fpv4-sp-d16"}, "cortex-m7": {"none", "fpv5-sp-d16", "fpv5-d16"},
        "cortex-m33": {"none", "fpv5-sp-d16"}, "cortex-m55": {"none", "fpv5-d16"}, "host": {"host"}}
# Whether each core has the DSP extension: always (M4, M7, M55), never (ARMv6-M), or as the part says
# (the M33's is optional: STM32U5 has it, others leave it out).
DSP = {"cortex-m0plus": {False}, "cortex-m4": {True}, "cortex-m7": {True}, "cortex-m33": {False, True},
       "cortex-m55": {True}, "host": {False}}
# Each QEMU machine: the platform whose firmware it boots, and the cores whose code its CPU runs. The
# micro:bit's nRF51 is QEMU's only ARMv6-M (Cortex-M0) machine: the stand-in for Cortex-M0+ parts.
# A board whose platform no machine boots (stm32f7, stm32h7, stm32l4, stm32u5, stm32g0, rp2040) names a machine of a
# STAND_IN_PLATFORMS platform with its core instead: QEMU then runs a stand-in image (firmware-emu.elf) of
# the same engine, linked for that machine's platform, never the silicon image.
STAND_IN_PLATFORMS = {"mps2", "mps2-an505", "nrf51"}
QEMU_MACHINES = {"netduinoplus2": ("stm32f4", {"cortex-m4"}), "mps2-an386": ("mps2", {"cortex-m4"}),
                 "mps2-an500": ("mps2", {"cortex-m4", "cortex-m7"}), "microbit": ("nrf51", {"cortex-m0plus"}),
                 "mps2-an505": ("mps2-an505", {"cortex-m33"}), "mps3-an547": ("mps3-an547", {"cortex-m55"})}
FLASH_TOOLS = {"openocd", "st-flash", "pyocd", "picotool", "mass-storage", "none"}
FLASH_TOOL_TEXT = {"openocd_interface", "openocd_target", "pyocd_target", "drive_label"}
# Names go into generated C strings, file names and make variables: nothing that needs quoting.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
USB_ID = re.compile(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}")
CLOCK_HZ = (1_000, 2_000_000_000)      # 0 only on the host, whose latency is measured, not derived
ADDRESS_SPACE = 1 << 32
UARTS = range(16)
FLASH_WAIT_STATES = (0, 15)            # the widest LATENCY field of an STM32 FLASH_ACR


def field_error(where: str, field: str, value, valid: str) -> TinyctlError:
    return TinyctlError(f"board file {where}: {field} = {value!r} is not valid", f"valid: {valid}")


def platforms() -> list[str]:
    """The firmware platforms: folders with a platform.toml, and the host."""
    return sorted([p.parent.name for p in PLATFORMS_DIR.glob("*/platform.toml")] + ["host"])


def check_board(board, where: str) -> None:
    """Raise TinyctlError for the first field of `board` (a targets.Board) that is wrong."""
    for field in ("name", "part"):
        _safe_name(where, field, getattr(board, field))
    if board.alias is not None:
        _safe_name(where, "alias", board.alias)
    if not isinstance(board.description, str) or not board.description.isprintable():
        raise field_error(where, "description", board.description, "one line of printable text")
    _one_of(where, "core", board.core, FPUS)
    _one_of(where, "fpu", board.fpu, FPUS[board.core])
    if not isinstance(board.dsp, bool):
        raise field_error(where, "dsp", board.dsp, "true or false")
    if board.dsp not in DSP[board.core]:
        raise field_error(where, "dsp", board.dsp, f"{str(not board.dsp).lower()}: {board.core} "
                                                   f"{'lacks' if board.dsp else 'always has'} the DSP extension")
    _clock(where, board.clock_hz, board.core)
    _one_of(where, "platform", board.platform, [p for p in platforms() if (p == "host") == (board.core == "host")])
    for name in ("flash", "ram"):
        region = getattr(board, name)
        _check_region(where, f"memory.{name}", region.base, region.size)
    if board.qemu_machine is not None:
        _one_of(where, "qemu.machine", board.qemu_machine, _machines_for(board.core, board.platform))
    _check_flash_tool(where, board.flash_tool)
    if not _int_in(board.flash_wait_states, *FLASH_WAIT_STATES):
        raise field_error(where, "flash_wait_states", board.flash_wait_states,
                          f"an integer {FLASH_WAIT_STATES[0]}-{FLASH_WAIT_STATES[1]}: the part's flash latency at clock_hz")
    if board.console_uart is not None and not _int_in(board.console_uart, UARTS.start, UARTS.stop - 1):
        raise field_error(where, "console.uart", board.console_uart, f"a UART number {UARTS.start}-{UARTS.stop - 1}")
    try:
        check_request(board)
    except ClockPlanError as exc:
        raise field_error(where, exc.field, getattr(board, exc.field.replace(".", "_")), str(exc)) from exc


def _check_region(where: str, field: str, base, size) -> None:
    if not _int_in(base, 0, ADDRESS_SPACE - 1):
        raise field_error(where, f"{field}.base", base, f"an integer address 0-{ADDRESS_SPACE - 1:#x}")
    if not _int_in(size, 1, ADDRESS_SPACE - base):
        raise field_error(where, f"{field}.size", size, f"a positive integer number of bytes that ends the "
                                                        f"region by {ADDRESS_SPACE:#x}")


def _check_flash_tool(where: str, settings: dict) -> None:
    _one_of(where, "flash_tool.tool", settings.get("tool"), FLASH_TOOLS)
    for key, value in settings.items():
        if key in FLASH_TOOL_TEXT:
            if not isinstance(value, str) or not value.isprintable() or not value:
                raise field_error(where, f"flash_tool.{key}", value, "a non-empty string")
        elif key == "address":
            if not _int_in(value, 0, ADDRESS_SPACE - 1):
                raise field_error(where, "flash_tool.address", value, f"an integer address 0-{ADDRESS_SPACE - 1:#x}")
        elif key == "usb_ids":
            if not isinstance(value, list) or not all(isinstance(i, str) and USB_ID.fullmatch(i) for i in value):
                raise field_error(where, "flash_tool.usb_ids", value,
                                  'a list of "vendor:product" ids, e.g. ["0483:374b"]')
        elif key != "tool":
            raise field_error(where, f"flash_tool.{key}", value,
                              f"keys {', '.join(sorted(FLASH_TOOL_TEXT | {'tool', 'address', 'usb_ids'}))}")


def _safe_name(where: str, field: str, value) -> None:
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value):
        raise field_error(where, field, value, "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")


def _machines_for(core: str, platform: str) -> list[str]:
    """The machines that boot the platform's own image; for a platform QEMU models nowhere, the stand-ins."""
    modelled = any(boots == platform for boots, _ in QEMU_MACHINES.values())
    runs = {platform} if modelled else STAND_IN_PLATFORMS
    return [m for m, (boots, cores) in QEMU_MACHINES.items() if boots in runs and core in cores]


def machine_platform(machine: str) -> str:
    """The platform whose image QEMU `machine` boots: the board's own (it runs the silicon image) or a
    stand-in's."""
    return QEMU_MACHINES[machine][0]


def _one_of(where: str, field: str, value, valid) -> None:
    if not isinstance(value, str) or value not in valid:
        raise field_error(where, field, value, ", ".join(sorted(valid)) or "none for this core and platform")


def _clock(where: str, clock_hz, core: str) -> None:
    if core == "host" and clock_hz == 0 and not isinstance(clock_hz, bool):
        return
    if not _int_in(clock_hz, *CLOCK_HZ):
        raise field_error(where, "clock_hz", clock_hz, f"an integer number of Hz, {CLOCK_HZ[0]:_}-{CLOCK_HZ[1]:_}"
                                                       + (" (or 0: unknown)" if core == "host" else ""))


def _int_in(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
