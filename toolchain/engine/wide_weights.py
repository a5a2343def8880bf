"""Weights pre-widened to int16 at build time (tc_wide_index in tinyctl_engine.h): the kernels' inner
loops then load SMLAD's operand pairs directly instead of sign-extending each int8 word per use, for
twice the weight bytes in flash. Rows (conv output channels, fully-connected units) go in blocks that
the micro-kernel reads side by side; per group of 4 values the order w0 w2 w1 w3 matches an input
word's even and odd lanes (tc_expand_s8). fuse_fc writes a fully-connected layer's whole stream for
tc_fully_connected_fused_s8: per block the biases, the widened rows and the scales, in the order it reads them;
fuse_pointwise a 1x1 convolution's for tc_pointwise_fused_s8, its biases and weights doubled."""

from __future__ import annotations

import numpy as np

CONV_BLOCK = 2    # TC_CONV_WIDE_BLOCK: output channels per block (2 pixels x 2 channels per step)
FC_BLOCK = 4      # TC_FC_WIDE_BLOCK: units per block (4 rows share each input pair)
_LANE_ORDER = [0, 2, 1, 3]


def widen(rows: np.ndarray, block: int) -> np.ndarray:
    """[rows, depth] int8 weights as the int16 array the wide kernels read: blocks of `block` rows
    (per group of 4 values each row's w0 w2 w1 w3, then each row's last depth % 4), then the last
    rows % block alone, each padded to an even count so that every block starts on a word."""
    rows = np.asarray(rows, dtype=np.int16)
    count, depth = rows.shape
    full = count - count % block
    parts = [_block(rows[r:r + block]) for r in range(0, full, block)]
    for r in range(full, count):
        parts += [_block(rows[r:r + 1]), np.zeros(depth % 2, np.int16)]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def _block(rows: np.ndarray) -> np.ndarray:
    n, depth = rows.shape
    body = depth - depth % 4
    groups = rows[:, :body].reshape(n, body // 4, 4)[:, :, _LANE_ORDER].transpose(1, 0, 2)
    return np.concatenate([groups.ravel(), rows[:, body:].ravel()])


def extra_bytes(rows: int, depth: int, block: int) -> int:
    """Flash the int16 layout adds over the int8 one: a byte per weight, two per padded lone row."""
    return rows * depth + 2 * (rows % block) * (depth % 2)


def rounding_terms(right: np.ndarray, output_zero_point: int) -> np.ndarray:
    """TC_SCALE_DOUBLED_ASM's rounding term of each right shift with the output zero point folded in,
    2^(right - 1) + output_zero_point * 2^right (tc_channel_scales' round)."""
    right = np.asarray(right, np.int64)
    return (1 << (right - 1)) + output_zero_point * (1 << right)


def fuse_fc(rows: np.ndarray, bias: np.ndarray, multiplier: np.ndarray, right: np.ndarray,
            output_zero_point: int) -> np.ndarray:
    """The int32 words of tc_fully_connected_fused_s8's stream: per block of FC_BLOCK units (units and depth
    multiples of 4) their biases, their rows as widen writes them (int16 pairs, low half first), then per unit
    its multiplier, 2^(right - 1) + output_zero_point * 2^right and right (one value each per unit)."""
    units, right = rows.shape[0], np.asarray(right, np.int64)
    scales = np.stack([multiplier, rounding_terms(right, output_zero_point), right], axis=1)
    parts = []
    for r in range(0, units, FC_BLOCK):
        weights = _block(np.asarray(rows[r:r + FC_BLOCK], dtype=np.int16)).astype("<i2").view("<i4")
        parts += [bias[r:r + FC_BLOCK], weights, scales[r:r + FC_BLOCK].ravel()]
    return np.concatenate(parts).astype(np.int32)


def fused_fc_bytes(units: int, depth: int) -> int:
    """fuse_fc's stream in bytes: per unit a bias, 2 bytes per weight and three scale words."""
    return units * (4 + 2 * depth + 12)


def fuse_pointwise(rows: np.ndarray, bias: np.ndarray, multiplier: np.ndarray, right: np.ndarray,
                   output_zero_point: int) -> np.ndarray:
    """The int32 words of tc_pointwise_fused_s8's stream for a 1x1 convolution ([channels, depth], an even channel
    count, depth a multiple of 4): per pair of channels twice their biases, their rows doubled and widened as widen
    writes a CONV_BLOCK (int16 pairs, low half first: |2 w| <= 256 fits), then per channel its multiplier,
    2^(right - 1) + output_zero_point * 2^right and right, the second channel's with 256 added where another pair
    follows (the kernel's loop test; its shifts read the low byte alone). Its sums are then TC_SCALE_DOUBLED_ASM's
    operand bias2 + 2 * acc as they stand."""
    channels, right = rows.shape[0], np.asarray(right, np.int64)
    scales = np.stack([multiplier, rounding_terms(right, output_zero_point), right], axis=1)
    bias2 = 2 * np.asarray(bias, np.int64)
    parts = []
    scales[1:channels - 1:CONV_BLOCK, 2] += 256
    for c in range(0, channels, CONV_BLOCK):
        weights = (2 * _block(np.asarray(rows[c:c + CONV_BLOCK], dtype=np.int16))).astype("<i2").view("<i4")
        parts += [bias2[c:c + CONV_BLOCK], weights, scales[c:c + CONV_BLOCK].ravel()]
    return np.concatenate(parts).astype(np.int32)


def fused_pointwise_bytes(channels: int, depth: int) -> int:
    """fuse_pointwise's stream in bytes: per channel a bias, 2 bytes per weight and three scale words."""
    return channels * (4 + 2 * depth + 12)


def fused_blocks_shape(depth: int, channels: int) -> tuple[int, int, int]:
    """TC_POINTWISE_FUSED_AT's constants for a 1x1 layer (conv2d_pointwise_fused.h): its pairs of groups beyond the
    first, its channels, and its blocks a loop turn (two where its pairs of channels are even)."""
    return depth // 8 - 1, channels, 2 if channels % 4 == 0 else 1


def fused_blocks_code_bytes(depth: int, channels: int) -> int:
    """The code of the blocks a model.c instantiates for a 1x1 layer of `depth` inputs (conv2d_pointwise_fused.h
    TC_POINTWISE_FUSED_AT: straight through, about 20 bytes an input and block of a loop turn; 802 to 5,284 bytes
    measured over 32 to 256 inputs on the M4 at one block a turn), at most: layers of one shape share them."""
    return (20 * depth + 200) * fused_blocks_shape(depth, channels)[2]
