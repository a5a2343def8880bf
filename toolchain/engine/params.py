"""What the kernel parameters of several ops share: NHWC shapes, the int8 zero points and clamp, the
window of a sliding op, per-channel requantization and the int8 operand checks (the ops' own
parameters live in their modules under ops/)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import Graph, Operator, Tensor
from . import quant


def nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A shape of rank <= 4 as (n, h, w, c), leading extents filled with 1."""
    if len(shape) > 4:
        raise ValueError(f"shape {shape} has more than 4 dims")
    return (1,) * (4 - len(shape)) + tuple(int(d) for d in shape)


@dataclass(frozen=True)
class Window:
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int


@dataclass(frozen=True)
class Int8IO:
    input_zero_point: int
    output_zero_point: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class Requant:
    multiplier: np.ndarray           # int32, one entry per tensor or per output channel
    shift: np.ndarray


def int8_io(inp: Tensor, out: Tensor, activation: int) -> Int8IO:
    """Zero points and the clamp of a fused activation on the output."""
    act_min, act_max = quant.activation_range(activation, out.scale[0], out.zero_point[0])
    return Int8IO(inp.zero_point[0], out.zero_point[0], act_min, act_max)


def window(opts, inp: Tensor, filter_h: int, filter_w: int, lead_pad: tuple[int, int] = (0, 0)) -> Window:
    """Strides, dilations and leading padding of a conv or pool over `inp`, plus the rows and columns
    of a PAD folded into it (pad_fusion.py; trailing padding follows from the output size)."""
    _, in_h, in_w, _ = nhwc(inp.shape)
    dil_h = getattr(opts, "dilationHFactor", 1) or 1
    dil_w = getattr(opts, "dilationWFactor", 1) or 1
    return Window(opts.strideH, opts.strideW, dil_h, dil_w,
                  lead_pad[0] + quant.padding_offset(opts.padding, in_h, filter_h, opts.strideH, dil_h),
                  lead_pad[1] + quant.padding_offset(opts.padding, in_w, filter_w, opts.strideW, dil_w))


def int8_tensors(graph: Graph, op: Operator) -> list[Tensor]:
    """The op's inputs then its output, all int8 with one scale and zero point each."""
    tensors = [graph.tensors[i] for i in (*op.inputs, op.outputs[0])]
    for t in tensors:
        if t.dtype != "INT8":
            raise ValueError(f"{op.opcode} on {t.dtype} tensor {t.name!r}: the engine runs int8 tensors only")
        if len(t.scale) != 1:
            raise ValueError(f"tensor {t.name!r} is quantized per channel; {op.opcode} takes one scale")
    return tensors


def int8_unary(graph: Graph, op: Operator) -> tuple[Tensor, Tensor]:
    """Input and output of a one-input op; both must be int8."""
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if inp.dtype != "INT8" or out.dtype != "INT8":
        raise ValueError(f"{graph.layer_name(op)}: only int8 input and output are supported")
    return inp, out


def element_count(t: Tensor) -> int:
    return int(np.prod(t.shape, dtype=np.int64))
