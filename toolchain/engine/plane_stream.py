"""DEPTHWISE_CONV_2D's channel records for tc_depthwise_plane_stream_s8 (depthwise_plane.c): what
tc_depthwise_plane_s8 prepares for each channel at every inference (its weight rows, scale and bias with the
input offset folded in), written once at build time for the layers its channel-plane kernel takes. Per channel
(plane_channel in depthwise_plane_shared.h): the filter rows 0, 1, 2, 0, 1, each as the int16 pairs (w0, w1)
and (w1, w2) of its doubled weights, the channel's multiplier, rounding term 2^(right - 1) + output zero point
* 2^right, right shift and output step in bytes; then twice its bias plus twice the input offset times the sum
of its 9 weights. The records replace the layer's int8 weights, bias and multiplier and shift arrays."""

from __future__ import annotations

import numpy as np

from .params import Int8IO, Window
from .wide_weights import rounding_terms

ROWS = 5                        # the filter rows 0, 1, 2, 0, 1: any 3 in a row are the filter at a ring's phase
ROW_WORDS = 6                   # w01, w12, multiplier, round, right, step
CHANNEL_WORDS = ROWS * ROW_WORDS + 1   # and bias2
# tc_depthwise_plane_fits (depthwise_plane.c): where the plane path is the faster one.
_S2_MIN_W, _S2_MIN_W_WIDE = 8, 12
_MIN_OUTPUTS, _MIN_OUTPUTS_WIDE = 16, 36
_WIDE_CHANNELS = 16
_ROW_VALUES = 128               # PLANE_ROW_VALUES: a padded input row
_RING_BYTES = 768               # PLANE_RING_BYTES: a small plane's at most (plane_is_small)
# The output steps (channel counts) whose passes a model.c instantiates (depthwise_plane_passes.h): a ring's
# post-indexed STRB takes an immediate up to 255, a small plane's STRB offsets five steps up to 4095.
_RING_STEP_MAX, _SMALL_STEP_MAX = 255, 819
# Instructions per channel that the records save on the M4 (tc_depthwise_plane_s8's plane_channels_of, and the
# scans of tc_output_params_of and tc_depthwise_plane_fits: 145 + 26 + 8, measured on MobileNet's 6x6 layers).
SAVED_PER_CHANNEL = 179


def fits(in_shape: tuple, weights_shape: tuple, out_shape: tuple, window: Window, io: Int8IO,
         multiplier: np.ndarray, fast_scale: bool) -> bool:
    """Whether the channel-plane kernel takes the depthwise layer (tc_depthwise_conv2d_s8's and
    tc_depthwise_plane_fits' conditions, `fast_scale` tc_output_params_of's) walking it by rows: a plane no
    taller than wide, which tc_depthwise_plane_s8 would walk by columns."""
    (_, _, _, c), (_, fh, fw, wc), (_, out_h, out_w, out_c) = in_shape, weights_shape, out_shape
    full = (io.act_min, io.act_max) == (-128, 127)
    wide = out_c >= _WIDE_CHANNELS and full
    small_s2 = full and out_w == 6 and out_h <= out_w      # rows of 6 at stride 2: a small plane
    tri = wide and out_w == 3 and out_h <= out_w            # rows of 3 at either stride: a small plane
    stride = window.stride_w
    s2_min_w, min_outputs = (_S2_MIN_W_WIDE, _MIN_OUTPUTS_WIDE) if wide else (_S2_MIN_W, _MIN_OUTPUTS)
    return (wc == c == out_c and fh == fw == 3 and window.dilation_h == window.dilation_w == 1
            and window.stride_h == stride
            and (stride == 1 or (stride == 2 and (out_w >= s2_min_w or small_s2 or tri)))
            and window.pad_top <= 2 and window.pad_left <= 2 and (out_h * out_w >= min_outputs or tri)
            and out_h <= out_w
            and ((stride * out_w + 3) & ~1) <= _ROW_VALUES and bool(np.all(multiplier >= 0)) and fast_scale)


def stream(weights: np.ndarray, bias: np.ndarray, multiplier: np.ndarray, right: np.ndarray,
           io: Int8IO) -> np.ndarray:
    """The int32 words of every channel's record, channel after channel; weights [1, 3, 3, C], the bias,
    multiplier and right shift one per channel."""
    w = np.asarray(weights, np.int64)[0]                          # [row, tap, channel]
    channels = w.shape[2]
    multiplier, right = np.asarray(multiplier, np.int64), np.asarray(right, np.int64)
    rounding = rounding_terms(right, io.output_zero_point)
    doubled = 2 * w
    w01 = (doubled[:, 0] & 0xFFFF) | (doubled[:, 1] << 16)     # [row, channel]
    w12 = (doubled[:, 1] & 0xFFFF) | (doubled[:, 2] << 16)
    rows = [[w01[r], w12[r], multiplier, rounding, right, np.full(channels, channels)] for r in (0, 1, 2, 0, 1)]
    bias2 = 2 * (np.asarray(bias, np.int64) - io.input_zero_point * w.sum(axis=(0, 1)))
    words = np.stack([word for row in rows for word in row] + [bias2], axis=1)
    return ((words + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32).ravel()


def stream_bytes(channels: int) -> int:
    return 4 * CHANNEL_WORDS * channels


def _small(out_h: int, out_w: int, stride: int, full: bool) -> bool:
    """depthwise_plane.c plane_is_small: rows of 3, 6 or 12 outputs whose whole padded plane fits a channel's ring."""
    row_bytes = 16 if (out_w == 6 and stride == 1) or out_w == 3 else 32
    return (full and ((stride == 1 and out_w in (3, 6, 12)) or (stride == 2 and out_w in (3, 6)))
            and (stride * (out_h - 1) + 3) * row_bytes <= _RING_BYTES)


def passes(in_shape: tuple, out_shape: tuple, window: Window, io: Int8IO) -> tuple[str, tuple[int, ...]] | None:
    """The walk a model.c instantiates for the layer's shape (depthwise_plane_walks.h), as (kind, walk_shape(...)):
    "ring" for a ring of full-range rows of whole passes of four (a row's last outputs would take a call of the row
    function for any step), "small" for a small plane; None where the kernel's own for any shape serve (a narrower
    range, rows of last outputs, a step too large for the immediates)."""
    _, out_h, out_w, channels = out_shape
    stride, full = window.stride_w, (io.act_min, io.act_max) == (-128, 127)
    if _small(out_h, out_w, stride, full):
        return ("small", walk_shape(in_shape, out_shape, window)) if channels <= _SMALL_STEP_MAX else None
    if full and out_w % 4 == 0 and channels <= _RING_STEP_MAX:
        return ("ring", walk_shape(in_shape, out_shape, window))
    return None


def passes_code_bytes(kind: tuple[str, tuple[int, ...]] | None) -> int:
    """The code of the walk a model.c instantiates for a layer (`kind` as passes returns it), at most: layers of one
    shape share it. Its copies and passes inline: a ring's 1,196 to 1,250 bytes measured on the M4 over MobileNet's
    four, a small plane's 472 to 980 over its five."""
    return {None: 0, "ring": 1300, "small": 1000}[kind and kind[0]]


def walk_shape(in_shape: tuple, out_shape: tuple, window: Window) -> tuple[int, ...]:
    """TC_PLANE_RING_AT's and TC_PLANE_SMALL_AT's constants: stride, channels, input and output height and width,
    padding rows and columns."""
    (_, in_h, in_w, _), (_, out_h, out_w, channels) = in_shape, out_shape
    return (window.stride_w, channels, in_h, in_w, out_h, out_w, window.pad_top, window.pad_left)
