"""`tinyctl build --optimize`: which layers get weights pre-widened to int16 (wide_weights.py), trading
flash for instructions. size: none; speed: every layer whose kernel reads them; balanced (the default):
the layers that save the most instructions per extra flash byte, while the firmware still fits the
board's flash. Only cores with the DSP extension have kernels that gain from them."""

from __future__ import annotations

from ..errors import TinyctlError
from ..graph import Graph
from .registry import wide_gains

MODES = ("balanced", "speed", "size")
DEFAULT_MODE = "balanced"
# The wide kernels' code beside the int8 ones when a firmware mixes both, which balanced keeps free beside the
# extra weight bytes (arm-none-eabi-gcc -O2: tc_conv2d_wide_s8 with its matmul, triples and pointwise loops, the
# wide or fused FC and the depthwise records' entry; MobileNet's Cortex-M55 firmware grew by 14.9 KB besides its
# 17 widened layers' weights). A choice that still overshoots is retried in less room (pipeline.py).
WIDE_CODE_BYTES = 16 * 1024


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise TinyctlError(f"unknown --optimize mode {mode!r}", f"use one of: {', '.join(MODES)}")
    return mode


def wide_layers(graph: Graph, mode: str, dsp: bool, flash_room: int | None = None) -> frozenset[int]:
    """The op indices to widen. `flash_room`: for balanced, the flash bytes left by the all-int8 firmware
    (None: not measured, as the all-int16 firmware fits); the layers are taken by instructions saved per
    extra byte while their extra weight bytes and WIDE_CODE_BYTES fit in it."""
    check_mode(mode)
    if mode == "size" or not dsp:
        return frozenset()
    gains = wide_gains(graph)
    if mode == "speed" or flash_room is None:
        return frozenset(gains)
    chosen, used = set(), WIDE_CODE_BYTES
    for index, gain in sorted(gains.items(), key=lambda kv: (-kv[1].instructions_saved / kv[1].extra_bytes, kv[0])):
        if used + gain.extra_bytes <= flash_room:
            chosen.add(index)
            used += gain.extra_bytes
    return frozenset(chosen)


def weight_layouts(graph: Graph, wide, staged) -> list[dict]:
    """The weights' layout of each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer, as the report
    lists them: int16 for the ops in `wide`, else int8; `staged_in_arena` for the ops in `staged` (their weights
    copied into free arena bytes before the layer, staged_weights.py)."""
    return [{"op": op.index, "opcode": op.opcode, "name": graph.layer_name(op),
             "weights": "int16" if op.index in wide else "int8", "staged_in_arena": op.index in staged}
            for op in graph.operators if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
