"""Stage `fit`: does the model fit the board? Two budgets, one per backend: TFLite-Micro (its
measured arena, the model and an estimate of its runtime) and the tinyctl engine (the planner's
arena inside the linked firmware, measured by arm-none-eabi-size). The engine's decides when the
engine can run the model."""

from __future__ import annotations

from ..errors import TinyctlError
from ..targets import Board, all_boards

# TFLite-Micro's interpreter, allocator and the kernels a small CNN pulls in, built -Os for Cortex-M
# (its reference kernels; about 95 kB with CMSIS-NN): an estimate, as no TFLM tree is built here.
TFLM_RUNTIME_FLASH_BASE = 60 * 1024
TFLM_RUNTIME_FLASH_PER_OP = 4 * 1024
# Stack, C library data and I/O buffers beside the TFLM tensor arena.
RUNTIME_RAM_RESERVE = 8 * 1024


def _budget(board: Board, backend: str, ram_needed: int, flash_needed: int, **details) -> dict:
    return {"backend": backend, **details,
            "ram_needed_bytes": ram_needed, "ram_size_bytes": board.ram.size,
            "ram_margin_bytes": board.ram.size - ram_needed,
            "flash_needed_bytes": flash_needed, "flash_size_bytes": board.flash.size,
            "flash_margin_bytes": board.flash.size - flash_needed,
            "fits": ram_needed <= board.ram.size and flash_needed <= board.flash.size}


def tflm_budget(board: Board, arena_bytes: int, model_bytes: int, op_count: int) -> dict:
    runtime_flash = TFLM_RUNTIME_FLASH_BASE + TFLM_RUNTIME_FLASH_PER_OP * op_count
    return _budget(board, "tflm", arena_bytes + RUNTIME_RAM_RESERVE, model_bytes + runtime_flash,
                   arena_bytes=arena_bytes, ram_reserve_bytes=RUNTIME_RAM_RESERVE, model_bytes=model_bytes,
                   runtime_flash_estimate_bytes=runtime_flash)


def engine_budget(board: Board, arena_bytes: int, flash_bytes: int, ram_bytes: int, stack_bytes: int) -> dict:
    """Linked sizes: flash = text + data (code, weights, golden data); RAM = data + bss + stack."""
    return _budget(board, "engine", ram_bytes, flash_bytes, arena_bytes=arena_bytes, stack_bytes=stack_bytes,
                   measured="arm-none-eabi-size of the linked firmware")


class DoesNotFit(TinyctlError):
    """The model does not fit the board (a compressed build's baseline records this instead of stopping);
    `budget`: the fit's figures (engine_budget, tflm_budget)."""

    def __init__(self, message: str, hint: str, budget: dict):
        super().__init__(message, hint)
        self.budget = budget


def check_fit(board: Board, budget: dict) -> None:
    """A model that does not fit stops the build with the numbers and what to try."""
    if budget["fits"]:
        return
    short = []
    if budget["ram_margin_bytes"] < 0:
        short.append(f"RAM needs {budget['ram_needed_bytes']:,} B (arena {budget['arena_bytes']:,} B) "
                     f"but {board.name} has {budget['ram_size_bytes']:,} B")
    if budget["flash_margin_bytes"] < 0:
        short.append(f"flash needs {budget['flash_needed_bytes']:,} B but {board.name} has "
                     f"{budget['flash_size_bytes']:,} B")
    roomier = [b.name for b in all_boards() if b.name not in (board.name, "host")
               and b.ram.size >= budget["ram_needed_bytes"] and b.flash.size >= budget["flash_needed_bytes"]]
    alternatives = f"a board where it fits: {', '.join(roomier)}; " if roomier else ""
    backend = "the tinyctl engine" if budget["backend"] == "engine" else "TFLite-Micro"
    raise DoesNotFit(f"the model does not fit {board.name} with {backend}: " + "; ".join(short),
                     f"try a smaller input or fewer channels (pruning), or {alternatives}"
                     "see `tinyctl targets`", budget)
