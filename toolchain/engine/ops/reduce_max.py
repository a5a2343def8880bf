"""REDUCE_MAX over the H and W axes of an NHWC int8 tensor (reduce_max.c): global max pooling.
TFLite-Micro's int8 max needs the output quantized like the input, so it compares raw values."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text
from ..kernel_case import KernelCase
from ..op_spec import OpSpec


@dataclass(frozen=True)
class ReduceMaxOp:
    input: Tensor
    output: Tensor


def reduce_max_op(graph: Graph, op: Operator) -> ReduceMaxOp:
    inp, axes, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    rank = len(inp.shape)
    if axes.data is None or rank != 4 or sorted(int(a) % rank for a in axes.data.ravel()) != [1, 2]:
        raise ValueError("only REDUCE_MAX over H and W of a 4-D tensor is supported")
    if inp.dtype != "INT8" or (list(inp.scale), list(inp.zero_point)) != (list(out.scale), list(out.zero_point)):
        raise ValueError("only int8 quantized like its output is supported (TFLite-Micro does not rescale)")
    return ReduceMaxOp(inp, out)


def _emit(c, op: Operator, p: str, r: ReduceMaxOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", r.input.shape))
    c.call("tc_reduce_max_hw_s8", c.ptr(r.input), f"&{p}_in", c.ptr(r.output))


def _max(seed, keepdims, shape) -> KernelCase:
    return KernelCase("REDUCE_MAX", lambda tf, x: tf.reduce_max(x, axis=[1, 2], keepdims=keepdims), shape, seed)


_CASES = {
    "reduce_max_keepdims": functools.partial(_max, 161, True, (1, 5, 7, 3)),
    "reduce_max_no_keepdims_1_channel": functools.partial(_max, 162, False, (1, 9, 4, 1)),
    "reduce_max_no_keepdims_odd_channels": functools.partial(_max, 163, False, (1, 3, 3, 13)),
}

OPS = (OpSpec(("REDUCE_MAX",), reduce_max_op, _emit, cases=_CASES),)
