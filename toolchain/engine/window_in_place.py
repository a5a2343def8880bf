"""When a depthwise window op may write its output over its own input: every kernel path
(depthwise_conv2d.c's portable and DSP loops, depthwise_plane.c) computes output channel ch from input
channel ch only, outputs in raster order (all channels of a pixel, or one channel or chunk at a time
over the whole plane), and reads output p's window before writing output p. So output pixel p may be
written over input pixel p - lag once no output at or after p reads that pixel or any before it.

With the output `lag` whole pixels below the input (a multiple of the channel count, so a write lands
on the same channel of an earlier pixel, which the channel-at-a-time paths have finished reading), a
write never hits a byte that is still to be read. The plane path reads rows earlier than the others
(it copies a row into its ring before any output that needs it), which only makes bytes dead sooner; it
walks a tall plane by columns (outputs out of raster order) only when its output does not overlap its
input."""

from __future__ import annotations

import math

import numpy as np

from .params import Window

ALIGNMENT = 16  # bytes: the planner's offsets are multiples of it, and so is every shift


def pixel_lag(in_hw: tuple[int, int], out_hw: tuple[int, int], win: Window) -> int:
    """The fewest pixels the output must start below the input: 1 + the largest distance from an
    output pixel's index back to the earliest input pixel that it or any later output reads (each
    window's first in-image tap is at or after its clipped top-left corner, so this is conservative)."""
    (in_h, in_w), (out_h, out_w) = in_hw, out_hw
    top = np.maximum(np.arange(out_h) * win.stride_h - win.pad_top, 0)
    left = np.maximum(np.arange(out_w) * win.stride_w - win.pad_left, 0)
    first = (top[:, None] * in_w + left[None, :]).ravel()
    earliest = np.minimum.accumulate(first[::-1])[::-1]
    return int((np.arange(first.size) - earliest).max()) + 1


def in_place_shift(in_shape: tuple[int, ...], out_shape: tuple[int, ...], win: Window) -> int | None:
    """Bytes the output of a depth-multiplier-1 window op on NHWC int8 may start below its input:
    pixel_lag whole pixels, rounded up to the planner's alignment; None when the op is not one (other
    channel counts or batches), or the output is larger per batch than the input, or the shift would
    save nothing (not below the output's size)."""
    (n, in_h, in_w, c), (out_n, out_h, out_w, out_c) = in_shape, out_shape
    if out_c != c or out_n != n or out_h * out_w > in_h * in_w:
        return None
    step = math.lcm(c, ALIGNMENT)
    shift = -(-pixel_lag((in_h, in_w), (out_h, out_w), win) * c // step) * step
    return shift if shift < n * out_h * out_w * c else None
