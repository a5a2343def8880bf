"""The engine's compiler and linker flags, written once: the firmware Makefile, the host build
(hostrun.py) and the test harnesses all read them, so the code the tests check is built the way the
code that ships is built."""

from __future__ import annotations

from .board_schema import DSP
from .targets import Board

LANGUAGE = "-std=c99"
OPTIMISATION = "-O2"
WARNINGS = ("-Wall", "-Wextra", "-Werror")   # the engine builds clean: a new warning fails every build
HOST_CFLAGS = (LANGUAGE, OPTIMISATION, *WARNINGS)

# The app's build switches: a mark per layer for the profiler, output over semihosting (QEMU and a debugger).
APP_DEFINES = ("-DMODEL_LAYER_HOOK=tc_profile_mark", "-DTC_SEMIHOSTING=1")
# newlib-nano, with stubs for the system calls (no OS under the firmware).
LIBC_SPECS = ("--specs=nano.specs", "--specs=nosys.specs")


def board_cflags(board: Board) -> list[str]:
    """Core and FPU flags from the board file (hard-float ABI when the core has an FPU); a core whose DSP
    extension is optional and that lacks it builds with GCC's +nodsp, so no SMLAD reaches it."""
    without_dsp = len(DSP[board.core]) > 1 and not board.dsp
    flags = ["-mthumb", f"-mcpu={board.core}" + ("+nodsp" if without_dsp else "")]
    if board.fpu not in ("none", ""):
        flags += ["-mfloat-abi=hard", f"-mfpu={board.fpu}"]
    return flags


def firmware_cflags(optimisation: str = OPTIMISATION) -> list[str]:
    """arm-none-eabi-gcc's flags after the CPU's: the host's plus debug info for the .elf and a section per
    function and object, so that the link drops what the model does not call."""
    return [LANGUAGE, optimisation, "-g", *WARNINGS, "-ffunction-sections", "-fdata-sections"]


def board_defines(console_uart: int) -> list[str]:
    """The board's switches: which UART is the console."""
    return [f"-DTC_CONSOLE_UART={console_uart}"]


def link_flags(linker_script: str | None, map_file: str | None = None) -> list[str]:
    """Our own startup code and linker script (None: the caller names it per image); unused sections
    dropped; a link map when asked."""
    flags = ["-nostartfiles", *(["-T", linker_script] if linker_script else []), "-Wl,--gc-sections"]
    if map_file:
        flags.append(f"-Wl,-Map={map_file}")
    return flags
