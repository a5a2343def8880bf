"""TFLite's quantization arithmetic, reproduced exactly so the C kernels get the parameters
TFLite-Micro computes at Prepare time."""

from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127

# tflite schema ActivationFunctionType and Padding codes.
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3
PADDING_SAME, PADDING_VALID = 0, 1


def _round_half_away(x: float) -> int:
    """TfLiteRound (std::round): ties go away from zero, unlike Python's round()."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """`real` as (multiplier, shift) with real ~= multiplier * 2^(shift - 31), as TFLite's
    QuantizeMultiplier: multiplier in [2^30, 2^31), reals below ~2^-31 flush to (0, 0)."""
    if real == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real)
    q = _round_half_away(fraction * (1 << 31))
    if q == 1 << 31:  # the fraction rounded up to 1.0
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def effective_scales(input_scale: float, weight_scales, output_scale: float) -> list[float]:
    """input_scale * weight_scale[c] / output_scale per channel, in double as TFLite-Micro does."""
    return [float(input_scale) * float(s) / float(output_scale) for s in weight_scales]


def quantize_multipliers(reals) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multipliers, shifts) as int32 arrays ready for a C table."""
    pairs = [quantize_multiplier(r) for r in reals]
    return (np.array([m for m, _ in pairs], dtype=np.int32),
            np.array([s for _, s in pairs], dtype=np.int32))


def _quantize_float32(value: float, scale: float, zero_point: int) -> int:
    # TFLite divides in float32 before rounding; float64 could round differently.
    return zero_point + _round_half_away(float(np.float32(value) / np.float32(scale)))


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """The int8 clamp [act_min, act_max] of a fused activation on an output quantized with
    (scale, zero_point), as TFLite's CalculateActivationRangeQuantized."""
    if activation == ACT_NONE:
        return INT8_MIN, INT8_MAX
    bounds = {ACT_RELU: (0.0, None), ACT_RELU6: (0.0, 6.0), ACT_RELU_N1_TO_1: (-1.0, 1.0)}
    if activation not in bounds:
        raise ValueError(f"fused activation {activation} has no int8 clamp form")
    low, high = bounds[activation]
    act_min = max(INT8_MIN, _quantize_float32(low, scale, zero_point))
    act_max = INT8_MAX if high is None else min(INT8_MAX, _quantize_float32(high, scale, zero_point))
    return act_min, act_max


def output_size(padding: int, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """Output extent of a window op, as TFLite's ComputeOutSize."""
    effective = (filter_size - 1) * dilation + 1
    if padding == PADDING_SAME:
        return (in_size + stride - 1) // stride
    return (in_size + stride - effective) // stride


def padding_offset(padding: int, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """Leading (top or left) padding; TFLite puts the odd extra one at the end."""
    effective = (filter_size - 1) * dilation + 1
    out = output_size(padding, in_size, filter_size, stride, dilation)
    return max(0, ((out - 1) * stride + effective - in_size) // 2)


def input_radius(integer_bits: int, left_shift: int) -> int:
    """CalculateInputRadius (31 signed bits): the largest input that stays below the Q range."""
    return math.floor((2**integer_bits - 1) * 2.0 ** (31 - integer_bits) / 2.0**left_shift)


def requantize(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """tc_requantize elementwise (TFLite's MultiplyByQuantizedMultiplier with double rounding) on int32
    values, in int64 so that every step is exact: int32 wrap of the left shift, the rounded doubling
    high multiply (truncating division, the one saturating product) and the rounding division."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((np.asarray(acc, np.int64) << left) + 2**31) % 2**32 - 2**31
    ab = a * multiplier
    nudged = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.sign(nudged) * (np.abs(nudged) // 2**31)
    high = np.where((a == -(2**31)) & (multiplier == -(2**31)), 2**31 - 1, high)
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (high < 0)
    return ((high >> right) + ((high & mask) > threshold)).astype(np.int32)
