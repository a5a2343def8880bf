"""Int16 weights staged in the arena. A CONV_2D layer on int16 weights (engine/wide_weights.py) reads them once
per two or three output pixels (conv2d_matmul.c, conv2d_pointwise.c); where they overflow the part's flash data
buffer (cycle_model.flash_buffer) each read reopens their flash lines at the board's wait states. Copied first
(tc_copy_words in model_invoke, counted in the layer) into arena bytes that no tensor live at that op holds
(planner.free_at), they are read from RAM at no wait state: the arena and the flash stay as they are.

A layer is staged where the lines its reads after the first would reopen cost more than the copy:
(reads - 1) * lines * wait states > COPY_CYCLES_PER_BYTE * bytes."""

from __future__ import annotations

from .cycle_model import flash_buffer
from .engine.registry import wide_gains
from .graph import Graph
from .planner import Plan, free_at
from .targets import Board

# tc_copy_words (copy_words.c) per 64 bytes: two LDM and two STM of 8 registers (1 + 8 cycles each) and its loop's
# SUBS and taken BNE (1 + 2) (Cortex-M4 TRM, DDI 0439B table 3-1).
COPY_CYCLES_PER_BYTE = (4 * 9 + 1 + 3) / 64


def staged_weights(graph: Graph, plan: Plan, wide, board: Board) -> dict[int, int]:
    """op index -> the arena offset its int16 weights are copied to, for the ops in `wide` whose staging pays on
    the board (above) and for which the arena has that many bytes free at that op."""
    if board.flash_wait_states <= 0:
        return {}
    buffer = flash_buffer(board)
    staged = {}
    for index, gain in sorted(wide_gains(graph).items()):
        lines = -(-gain.weight_bytes // buffer.line_bytes)
        if index not in wide or gain.reads < 2 or lines <= buffer.lines:
            continue
        if (gain.reads - 1) * lines * board.flash_wait_states <= COPY_CYCLES_PER_BYTE * gain.weight_bytes:
            continue
        offset = free_at(plan, index, gain.weight_bytes)
        if offset is not None:
            staged[index] = offset
    return staged
