"""Stage `fit`: does the model fit the board? Arena against RAM, model + runtime against flash, with margins."""

from __future__ import annotations

from ..errors import TinyctlError
from ..targets import Board, all_boards

# TFLite-Micro's interpreter, allocator and the kernels a small CNN pulls in, built -Os for Cortex-M
# (its reference kernels; about 95 kB with CMSIS-NN). An estimate until our engine reports real sizes.
TFLM_RUNTIME_FLASH_BASE = 60 * 1024
TFLM_RUNTIME_FLASH_PER_OP = 4 * 1024
# Stack, C library data and I/O buffers beside the tensor arena.
RUNTIME_RAM_RESERVE = 8 * 1024


def memory_budget(board: Board, arena_bytes: int, model_bytes: int, op_count: int) -> dict:
    runtime_flash = TFLM_RUNTIME_FLASH_BASE + TFLM_RUNTIME_FLASH_PER_OP * op_count
    ram_needed = arena_bytes + RUNTIME_RAM_RESERVE
    flash_needed = model_bytes + runtime_flash
    return {
        "arena_bytes": arena_bytes,
        "ram_reserve_bytes": RUNTIME_RAM_RESERVE,
        "ram_needed_bytes": ram_needed,
        "ram_size_bytes": board.ram.size,
        "ram_margin_bytes": board.ram.size - ram_needed,
        "model_bytes": model_bytes,
        "runtime_flash_estimate_bytes": runtime_flash,
        "flash_needed_bytes": flash_needed,
        "flash_size_bytes": board.flash.size,
        "flash_margin_bytes": board.flash.size - flash_needed,
        "fits": ram_needed <= board.ram.size and flash_needed <= board.flash.size,
    }


def check_fit(board: Board, budget: dict) -> None:
    """A model that does not fit stops the build with the numbers and what to try."""
    if budget["fits"]:
        return
    short = []
    if budget["ram_margin_bytes"] < 0:
        short.append(f"RAM needs {budget['ram_needed_bytes']:,} B (arena {budget['arena_bytes']:,} B) "
                     f"but {board.name} has {budget['ram_size_bytes']:,} B")
    if budget["flash_margin_bytes"] < 0:
        short.append(f"flash needs {budget['flash_needed_bytes']:,} B (model {budget['model_bytes']:,} B) "
                     f"but {board.name} has {budget['flash_size_bytes']:,} B")
    roomier = [b.name for b in all_boards() if b.name not in (board.name, "host")
               and b.ram.size >= budget["ram_needed_bytes"] and b.flash.size >= budget["flash_needed_bytes"]]
    alternatives = f"a board where it fits: {', '.join(roomier)}; " if roomier else ""
    raise TinyctlError(f"the model does not fit {board.name}: " + "; ".join(short),
                       f"try a smaller input or fewer channels (pruning), or {alternatives}"
                       "see `tinyctl targets`")
