"""LOGISTIC and TANH (logistic.c, tanh.c), computed the way TFLite-Micro's Prepare does
(logistic_common.cc, tanh.cc): the input (minus its zero point) goes to Q4.27 unless it saturates."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import quant
from ..kernel_case import KernelCase, small_shape
from ..op_spec import OpSpec
from ..params import int8_unary


@dataclass(frozen=True)
class LogisticTanhOp:
    input: Tensor
    output: Tensor
    size: int
    input_zero_point: int
    input_range_radius: int          # |input - zero point| >= this saturates the output
    input_multiplier: int
    input_left_shift: int


def logistic_tanh_op(graph: Graph, op: Operator) -> LogisticTanhOp:
    """LOGISTIC (output zero point -128, as TFLite-Micro requires) or TANH."""
    inp, out = int8_unary(graph, op)
    name = graph.layer_name(op)
    if op.opcode == "LOGISTIC" and out.zero_point[0] != -128:
        raise ValueError(f"{name}: the logistic output zero point must be -128")
    # The reference Prepare rounds frexp's fraction itself: a fraction that rounds up to 2^31
    # (which QuantizeMultiplier would renormalise) overflows its int32.
    real = float(inp.scale[0]) * 2**27
    multiplier, shift = quant.quantize_multiplier(real)
    if shift != math.frexp(real)[1] or shift < 0:
        raise ValueError(f"{name}: input scale {inp.scale[0]:g} has no int32 multiplier in TFLite-Micro")
    return LogisticTanhOp(inp, out, int(np.prod(inp.shape)), inp.zero_point[0], quant.input_radius(4, shift),
                          multiplier, shift)


def _emit(c, op: Operator, p: str, s: LogisticTanhOp) -> None:
    c.call(f"tc_{op.opcode.lower()}_s8", c.ptr(s.input), c.ptr(s.output), s.size, s.input_zero_point,
           s.input_range_radius, s.input_multiplier, s.input_left_shift)


def _logistic(tf, x):
    return tf.sigmoid(x)


def _tanh(tf, x):
    return tf.tanh(x)


def _case(opcode, seed, rank, std=1.0) -> KernelCase:
    """The input scale follows the calibration data's spread (std): a huge one sends most inputs past the
    saturation radius."""
    fn = {"LOGISTIC": _logistic, "TANH": _tanh}[opcode]
    return KernelCase(opcode, fn, small_shape(seed, rank), seed, input_std=std, patch={"output_scale_factor": 1.0})


_CASES = {
    "logistic_1d": functools.partial(_case, "LOGISTIC", 111, 1),
    "logistic_4d": functools.partial(_case, "LOGISTIC", 112, 4),
    "logistic_small_scale": functools.partial(_case, "LOGISTIC", 113, 3, 0.005),
    "logistic_large_scale": functools.partial(_case, "LOGISTIC", 114, 2, 20.0),
    "logistic_huge_scale": functools.partial(_case, "LOGISTIC", 115, 2, 500.0),  # radius 0
    "tanh_2d": functools.partial(_case, "TANH", 121, 2),
    "tanh_4d": functools.partial(_case, "TANH", 122, 4),
    "tanh_small_scale": functools.partial(_case, "TANH", 123, 3, 0.005),
    "tanh_large_scale": functools.partial(_case, "TANH", 124, 2, 20.0),
    "tanh_huge_scale": functools.partial(_case, "TANH", 125, 1, 500.0),
}

OPS = (OpSpec(("LOGISTIC", "TANH"), logistic_tanh_op, _emit, cases=_CASES),)
