"""SOFTMAX int8 -> int8 along the last axis (softmax.c), computed the way TFLite-Micro's Prepare does
(softmax_common.cc); TFLite-Micro requires the output scale 1/256 and zero point -128."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import quant
from ..kernel_case import KernelCase, small_shape
from ..op_spec import OpSpec
from ..params import int8_unary


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


def softmax_op(graph: Graph, op: Operator) -> SoftmaxOp:
    inp, out = int8_unary(graph, op)
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
                     -quant.input_radius(5, shift))


def _emit(c, op: Operator, p: str, s: SoftmaxOp) -> None:
    c.call("tc_softmax_s8", c.ptr(s.input), c.ptr(s.output), s.outer, s.depth, s.input_multiplier,
           s.input_left_shift, s.diff_min)


def _softmax(seed, rank, beta=1.0, std=1.0, depth=None) -> KernelCase:
    """Rows of `depth` values (random when None); the converter always writes beta 1, so it is patched."""
    depth = depth or int(np.random.default_rng(seed).integers(2, 33))
    return KernelCase("SOFTMAX", lambda tf, x: tf.nn.softmax(x), small_shape(seed, rank)[:-1] + (depth,), seed,
                      input_std=std, patch={"beta": beta})


# The input scale follows the calibration data's spread (std): a huge one sends most differences below
# diff_min.
_CASES = {
    "softmax_1d": functools.partial(_softmax, 101, 1),
    "softmax_2d_beta_0.5": functools.partial(_softmax, 102, 2, 0.5),
    "softmax_3d_beta_2.5": functools.partial(_softmax, 103, 3, 2.5),
    "softmax_4d": functools.partial(_softmax, 104, 4),
    "softmax_4d_beta_0.1_small_scale": functools.partial(_softmax, 105, 4, 0.1, 0.01),
    "softmax_large_scale": functools.partial(_softmax, 106, 2, 1.0, 30.0),        # diff_min -31
    "softmax_beta_clamped": functools.partial(_softmax, 107, 2, 100.0, 30.0),     # capped, diff_min 0
    "softmax_long_rows": functools.partial(_softmax, 108, 2, 1.0, 1.0, 1000),
}

OPS = (OpSpec(("SOFTMAX",), softmax_op, _emit, cases=_CASES),)
