"""LOGISTIC and TANH (logistic.c, tanh.c), computed the way TFLite-Micro's Prepare does
(logistic_common.cc, tanh.cc): the input (minus its zero point) goes to Q4.27 unless it saturates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import quant
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


OPS = (OpSpec(("LOGISTIC", "TANH"), logistic_tanh_op, _emit),)
