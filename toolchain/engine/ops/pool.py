"""MAX_POOL_2D and AVERAGE_POOL_2D (max_pool2d.c, average_pool2d.c); TFLite requires the output to keep
the input's scale."""

from __future__ import annotations

from dataclasses import dataclass

from ...graph import Graph, Operator, Tensor
from .. import c_text
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
    return PoolOp(inp, out, o.filterHeight, o.filterWidth, window(o, inp, o.filterHeight, o.filterWidth),
                  int8_io(inp, out, o.fusedActivationFunction))


def _emit(c, op: Operator, p: str, q: PoolOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", q.input.shape) + c_text.dims(f"{p}_out", q.output.shape)
                  + c_text.window(f"{p}_win", q.window) + c_text.int8_io(f"{p}_io", q.io))
    kernel = "tc_max_pool2d_s8" if op.opcode == "MAX_POOL_2D" else "tc_average_pool2d_s8"
    c.call(kernel, c.ptr(q.input), f"&{p}_in", c.ptr(q.output), f"&{p}_out", q.filter_h, q.filter_w,
           f"&{p}_win", f"&{p}_io")


OPS = (OpSpec(("MAX_POOL_2D", "AVERAGE_POOL_2D"), pool_op, _emit),)
