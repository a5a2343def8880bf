"""MAX_POOL_2D and AVERAGE_POOL_2D (max_pool2d.c, average_pool2d.c); TFLite requires the output to keep
the input's scale."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text
from ..kernel_case import KernelCase, activation
from ..op_spec import OpSpec
from ..params import Int8IO, Window, int8_io, window


@dataclass(frozen=True)
class PoolOp:
    input: Tensor
    output: Tensor
    filter_h: int
    filter_w: int
    window: Window
    io: Int8IO


def pool_op(graph: Graph, op: Operator) -> PoolOp:
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    o = op.options
    return PoolOp(inp, out, o.filterHeight, o.filterWidth, window(o, inp, o.filterHeight, o.filterWidth, op.lead_pad),
                  int8_io(inp, out, o.fusedActivationFunction))


def _emit(c, op: Operator, p: str, q: PoolOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", q.input.shape) + c_text.dims(f"{p}_out", q.output.shape)
                  + c_text.window(f"{p}_win", q.window) + c_text.int8_io(f"{p}_io", q.io))
    kernel = "tc_max_pool2d_s8" if op.opcode == "MAX_POOL_2D" else "tc_average_pool2d_s8"
    c.call(kernel, c.ptr(q.input), f"&{p}_in", c.ptr(q.output), f"&{p}_out", q.filter_h, q.filter_w,
           f"&{p}_win", f"&{p}_io")


def _pool(seed, kind, size, stride, padding, act="none", channels=None) -> KernelCase:
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(5, 14), rng.integers(5, 14), rng.integers(1, 9)
    c = channels or c
    pool, opcode = {"max": ("max_pool2d", "MAX_POOL_2D"), "avg": ("avg_pool2d", "AVERAGE_POOL_2D")}[kind]
    return KernelCase(opcode, lambda tf, x: activation(tf, getattr(tf.nn, pool)(x, size, stride, padding), act),
                      (1, h, w, c), seed, act)


_CASES = {
    "maxpool_2x2_s2_valid": functools.partial(_pool, 41, "max", 2, 2, "VALID"),
    # 2x2 windows inside the image take max_pool2d.c's own loop (with and without a clamp); SAME on an
    # odd size pads one side, which the general loop takes
    "maxpool_2x2_s2_valid_relu6": functools.partial(_pool, 45, "max", 2, 2, "VALID", "relu6"),
    "maxpool_2x2_s1_valid": functools.partial(_pool, 46, "max", 2, 1, "VALID"),
    "maxpool_2x2_s2_same": functools.partial(_pool, 47, "max", 2, 2, "SAME"),
    # channels of whole words: DSP cores take them four a word
    "maxpool_2x2_s2_valid_c16_relu": functools.partial(_pool, 48, "max", 2, 2, "VALID", "relu", channels=16),
    "maxpool_2x2_s1_valid_c12": functools.partial(_pool, 49, "max", 2, 1, "VALID", channels=12),
    "maxpool_3x3_s2_same": functools.partial(_pool, 42, "max", 3, 2, "SAME"),
    "maxpool_3x3_s1_same_relu": functools.partial(_pool, 43, "max", 3, 1, "SAME", "relu"),
    "maxpool_2x3_s1x2_same": functools.partial(_pool, 44, "max", (2, 3), (1, 2), "SAME"),
    "avgpool_2x2_s2_valid": functools.partial(_pool, 51, "avg", 2, 2, "VALID"),
    "avgpool_3x3_s2_same": functools.partial(_pool, 52, "avg", 3, 2, "SAME"),
    "avgpool_3x3_s1_same": functools.partial(_pool, 53, "avg", 3, 1, "SAME"),
    "avgpool_4x2_s2x1_same_relu6": functools.partial(_pool, 54, "avg", (4, 2), (2, 1), "SAME", "relu6"),
}

OPS = (OpSpec(("MAX_POOL_2D", "AVERAGE_POOL_2D"), pool_op, _emit, cases=_CASES),)
