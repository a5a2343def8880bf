"""Kernel parameters of the int8 activations SOFTMAX, LOGISTIC, TANH and HARD_SWISH, computed the way
TFLite-Micro's Prepare does (softmax_common.cc, logistic_common.cc, tanh.cc, hard_swish_common.cc)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..graph import Graph, Operator, Tensor
from . import quant

_INT16_MAX = 2**15 - 1


@dataclass(frozen=True)
class SoftmaxOp:
    """Softmax along the last axis of `outer` rows of `depth` values."""
    input: Tensor
    output: Tensor
    outer: int
    depth: int
    input_multiplier: int            # beta * input_scale on the Q5.26 scale of the input differences
    input_left_shift: int
    diff_min: int                    # differences below this give exp() = 0


@dataclass(frozen=True)
class LogisticTanhOp:
    """LOGISTIC or TANH: the input (minus its zero point) goes to Q4.27 unless it saturates."""
    input: Tensor
    output: Tensor
    size: int
    input_zero_point: int
    input_range_radius: int          # |input - zero point| >= this saturates the output
    input_multiplier: int
    input_left_shift: int


@dataclass(frozen=True)
class HardSwishOp:
    input: Tensor
    output: Tensor
    size: int
    input_zero_point: int
    output_zero_point: int
    reluish_multiplier: int          # int16: high-res input scale -> 3/32768 ("relu-ish" scale)
    reluish_exponent: int
    output_multiplier: int           # int16: high-res input scale -> output scale
    output_exponent: int


def _unary(graph: Graph, op: Operator) -> tuple[Tensor, Tensor]:
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if inp.dtype != "INT8" or out.dtype != "INT8":
        raise ValueError(f"{graph.layer_name(op)}: only int8 input and output are supported")
    return inp, out


def _input_radius(integer_bits: int, left_shift: int) -> int:
    """CalculateInputRadius (31 signed bits): the largest input that stays below the Q range."""
    return math.floor((2**integer_bits - 1) * 2.0 ** (31 - integer_bits) / 2.0**left_shift)


def softmax_op(graph: Graph, op: Operator) -> SoftmaxOp:
    """SOFTMAX int8 -> int8; TFLite-Micro requires the output scale 1/256 and zero point -128."""
    inp, out = _unary(graph, op)
    name = graph.layer_name(op)
    if out.zero_point[0] != -128 or np.float32(out.scale[0]) != np.float32(1 / 256):
        raise ValueError(f"{name}: the softmax output must have scale 1/256 and zero point -128")
    # PreprocessSoftmaxScaling with 5 integer bits, then QuantizeMultiplierGreaterThanOne.
    real = min(float(op.options.beta) * float(inp.scale[0]) * 2**26, 2.0**31 - 1)
    multiplier, shift = quant.quantize_multiplier(real)
    if real <= 1.0 or shift < 0:
        raise ValueError(f"{name}: beta * input scale {real / 2**26:g} is too small for the int8 softmax")
    depth = int(inp.shape[-1])
    if depth > 4095:
        raise ValueError(f"{name}: softmax rows of {depth} values overflow the int32 sum of exps")
    return SoftmaxOp(inp, out, int(np.prod(inp.shape)) // depth, depth, multiplier, shift,
                     -_input_radius(5, shift))


def logistic_tanh_op(graph: Graph, op: Operator) -> LogisticTanhOp:
    """LOGISTIC (output zero point -128, as TFLite-Micro requires) or TANH."""
    inp, out = _unary(graph, op)
    name = graph.layer_name(op)
    if op.opcode == "LOGISTIC" and out.zero_point[0] != -128:
        raise ValueError(f"{name}: the logistic output zero point must be -128")
    # The reference Prepare rounds frexp's fraction itself: a fraction that rounds up to 2^31
    # (which QuantizeMultiplier would renormalise) overflows its int32.
    real = float(inp.scale[0]) * 2**27
    multiplier, shift = quant.quantize_multiplier(real)
    if shift != math.frexp(real)[1] or shift < 0:
        raise ValueError(f"{name}: input scale {inp.scale[0]:g} has no int32 multiplier in TFLite-Micro")
    return LogisticTanhOp(inp, out, int(np.prod(inp.shape)), inp.zero_point[0], _input_radius(4, shift),
                          multiplier, shift)


def _int16_multiplier(real: np.float32) -> tuple[int, int]:
    """QuantizeMultiplier then DownScaleInt32ToInt16Multiplier."""
    multiplier, exponent = quant.quantize_multiplier(float(real))
    if multiplier >= 2**31 - 1 - 2**15:
        return _INT16_MAX, exponent
    return (multiplier + 2**15) >> 16, exponent


def hard_swish_op(graph: Graph, op: Operator) -> HardSwishOp:
    """HARD_SWISH; TFLite-Micro requires a multiplier to the output scale below 1 (exponent <= 0)."""
    inp, out = _unary(graph, op)
    # The reference computes these scales in float32.
    hires_input_scale = np.float32(1 / 128) * np.float32(inp.scale[0])
    output_multiplier, output_exponent = _int16_multiplier(hires_input_scale / np.float32(out.scale[0]))
    reluish_multiplier, reluish_exponent = _int16_multiplier(hires_input_scale / np.float32(3 / 32768))
    if output_exponent > 0:
        raise ValueError(f"{graph.layer_name(op)}: the hard-swish output scale must be at least the input "
                         "scale / 128")
    return HardSwishOp(inp, out, int(np.prod(inp.shape)), inp.zero_point[0], out.zero_point[0],
                       reluish_multiplier, reluish_exponent, output_multiplier, output_exponent)
