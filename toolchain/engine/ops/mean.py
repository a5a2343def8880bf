"""MEAN over the H and W axes of an NHWC tensor (mean.c)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..kernel_case import KernelCase
from ..op_spec import OpSpec


@dataclass(frozen=True)
class MeanOp:
    input: Tensor
    output: Tensor
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


def mean_op(graph: Graph, op: Operator) -> MeanOp:
    inp, axes, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    rank = len(inp.shape)
    if axes.data is None or sorted(int(a) % rank for a in axes.data.ravel()) != [1, 2] or rank != 4:
        raise ValueError(f"{graph.layer_name(op)}: only MEAN over H and W of a 4-D tensor is supported")
    multiplier, shift = quant.quantize_multiplier(float(inp.scale[0]) / float(out.scale[0]))
    return MeanOp(inp, out, inp.zero_point[0], out.zero_point[0], multiplier, shift)


def _emit(c, op: Operator, p: str, m: MeanOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", m.input.shape))
    c.call("tc_mean_hw_s8", c.ptr(m.input), f"&{p}_in", c.ptr(m.output), m.input_zero_point,
           m.output_zero_point, m.multiplier, m.shift)


def _mean(seed, keepdims) -> KernelCase:
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(2, 12), rng.integers(2, 12), rng.integers(1, 17)
    return KernelCase("MEAN", lambda tf, x: tf.reduce_mean(x, axis=[1, 2], keepdims=keepdims), (1, h, w, c), seed)


_CASES = {
    "mean_keepdims": functools.partial(_mean, 61, True),
    "mean_no_keepdims": functools.partial(_mean, 62, False),
    "mean_other_shape": functools.partial(_mean, 63, False),
}

OPS = (OpSpec(("MEAN",), mean_op, _emit, cases=_CASES),)
