"""QUANTIZE int8 -> int8 (requantization), RELU (rescale, clamp at real 0) and RELU6 (TFLite-Micro clamps
to [0, 6] on the input's scale and does not rescale), all as tc_rescale_s8 (rescale.c), computed the way
TFLite-Micro's Prepare does (quantize_common.cc, activations_common.cc)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..op_spec import OpSpec
from ..params import Int8IO, element_count, int8_tensors

_F32 = np.float32
_IDENTITY = (1 << 30, 1)             # multiplier and shift of x * 1.0


@dataclass(frozen=True)
class RescaleOp:
    input: Tensor
    output: Tensor
    size: int
    io: Int8IO
    multiplier: int
    shift: int


def rescale_op(graph: Graph, op: Operator) -> RescaleOp:
    inp, out = int8_tensors(graph, op)
    size = element_count(out)
    if op.opcode == "QUANTIZE":
        io = Int8IO(inp.zero_point[0], out.zero_point[0], quant.INT8_MIN, quant.INT8_MAX)
        return RescaleOp(inp, out, size, io, *quant.quantize_multiplier(inp.scale[0] / out.scale[0]))
    if op.opcode == "RELU":
        io = Int8IO(inp.zero_point[0], out.zero_point[0],
                    *quant.activation_range(quant.ACT_RELU, out.scale[0], out.zero_point[0]))
        return RescaleOp(inp, out, size, io, *quant.quantize_multiplier(float(_F32(inp.scale[0]) / _F32(out.scale[0]))))
    io = Int8IO(0, 0, *quant.activation_range(quant.ACT_RELU6, inp.scale[0], inp.zero_point[0]))
    return RescaleOp(inp, out, size, io, *_IDENTITY)


def _emit(c, op: Operator, p: str, r: RescaleOp) -> None:
    c.data.append(c_text.int8_io(f"{p}_io", r.io))
    c.call("tc_rescale_s8", c.ptr(r.input), c.ptr(r.output), r.size, f"&{p}_io", r.multiplier, r.shift)


OPS = (OpSpec(("QUANTIZE", "RELU", "RELU6"), rescale_op, _emit, in_place=True),)
