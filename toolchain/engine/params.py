"""Kernel parameters for one operator of the int8 graph view: what a code generator writes into
the C call of firmware_templates/engine, computed the way TFLite-Micro's Prepare does."""

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


@dataclass(frozen=True)
class WeightedOp:
    """CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED."""
    input: Tensor
    weights: Tensor
    bias: Tensor | None
    output: Tensor
    io: Int8IO
    requant: Requant
    window: Window | None            # None for FULLY_CONNECTED


@dataclass(frozen=True)
class PoolOp:
    input: Tensor
    output: Tensor
    filter_h: int
    filter_w: int
    window: Window
    io: Int8IO


@dataclass(frozen=True)
class MeanOp:
    input: Tensor
    output: Tensor
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


@dataclass(frozen=True)
class PadOp:
    input: Tensor
    output: Tensor
    before: tuple[int, int, int, int]
    pad_value: int


@dataclass(frozen=True)
class ConcatOp:
    """CONCATENATION: for each of `outer` slices, chunks[k] bytes of input k in turn."""
    inputs: tuple[Tensor, ...]
    output: Tensor
    outer: int
    chunks: tuple[int, ...]


@dataclass(frozen=True)
class ResizeOp:
    """RESIZE_NEAREST_NEIGHBOR: the input row of each output row, the input column of each column."""
    input: Tensor
    output: Tensor
    source_y: tuple[int, ...]
    source_x: tuple[int, ...]


def _io(inp: Tensor, out: Tensor, activation: int) -> Int8IO:
    act_min, act_max = quant.activation_range(activation, out.scale[0], out.zero_point[0])
    return Int8IO(inp.zero_point[0], out.zero_point[0], act_min, act_max)


def _window(opts, inp: Tensor, filter_h: int, filter_w: int) -> Window:
    _, in_h, in_w, _ = nhwc(inp.shape)
    dil_h = getattr(opts, "dilationHFactor", 1) or 1
    dil_w = getattr(opts, "dilationWFactor", 1) or 1
    return Window(opts.strideH, opts.strideW, dil_h, dil_w,
                  quant.padding_offset(opts.padding, in_h, filter_h, opts.strideH, dil_h),
                  quant.padding_offset(opts.padding, in_w, filter_w, opts.strideW, dil_w))


def weighted_op(graph: Graph, op: Operator) -> WeightedOp:
    """CONV_2D (OHWI weights), DEPTHWISE_CONV_2D (1HWC) or FULLY_CONNECTED ([units, depth])."""
    t = graph.tensors
    inp, weights, out = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
    bias = t[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if any(z != 0 for z in weights.zero_point):
        raise ValueError(f"{graph.layer_name(op)}: int8 weights must be symmetric (zero point 0)")
    scales = quant.effective_scales(inp.scale[0], weights.scale, out.scale[0])
    multiplier, shift = quant.quantize_multipliers(scales)
    window = None
    if op.opcode == "FULLY_CONNECTED" and op.options.weightsFormat != 0:
        raise ValueError(f"{graph.layer_name(op)}: only the DEFAULT fully-connected weights format is supported")
    if op.opcode != "FULLY_CONNECTED":
        window = _window(op.options, inp, weights.shape[1], weights.shape[2])
    return WeightedOp(inp, weights, bias, out, _io(inp, out, op.options.fusedActivationFunction),
                      Requant(multiplier, shift), window)


def pool_op(graph: Graph, op: Operator) -> PoolOp:
    """MAX_POOL_2D or AVERAGE_POOL_2D; TFLite requires the output to keep the input's scale."""
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    o = op.options
    return PoolOp(inp, out, o.filterHeight, o.filterWidth, _window(o, inp, o.filterHeight, o.filterWidth),
                  _io(inp, out, o.fusedActivationFunction))


def mean_op(graph: Graph, op: Operator) -> MeanOp:
    """MEAN over the H and W axes of an NHWC tensor."""
    inp, axes, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    rank = len(inp.shape)
    if axes.data is None or sorted(int(a) % rank for a in axes.data.ravel()) != [1, 2] or rank != 4:
        raise ValueError(f"{graph.layer_name(op)}: only MEAN over H and W of a 4-D tensor is supported")
    multiplier, shift = quant.quantize_multiplier(float(inp.scale[0]) / float(out.scale[0]))
    return MeanOp(inp, out, inp.zero_point[0], out.zero_point[0], multiplier, shift)


def pad_op(graph: Graph, op: Operator) -> PadOp:
    """PAD or PADV2 with up to 4 dims; without a constant the value is the output zero point."""
    inp, paddings, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if paddings.data is None or len(inp.shape) > 4:
        raise ValueError(f"{graph.layer_name(op)}: only constant paddings of up to 4 dims are supported")
    before = [int(p) for p in paddings.data[:, 0]]
    has_constant = len(op.inputs) > 2 and op.inputs[2] >= 0
    value = int(graph.tensors[op.inputs[2]].data.ravel()[0]) if has_constant else out.zero_point[0]
    return PadOp(inp, out, tuple([0] * (4 - len(before)) + before), value)


_CONCAT_MAX_INPUTS = 10              # TFLite-Micro's kMaxInputNum


def concat_op(graph: Graph, op: Operator) -> ConcatOp:
    """CONCATENATION of int8 tensors along any axis. TFLite-Micro takes at most 10 inputs, no fused
    activation, and inputs quantized exactly like the output (it does not rescale)."""
    inputs, out = tuple(graph.tensors[i] for i in op.inputs), graph.tensors[op.outputs[0]]
    if op.options.fusedActivationFunction != quant.ACT_NONE or len(inputs) > _CONCAT_MAX_INPUTS:
        raise ValueError(f"{graph.layer_name(op)}: CONCATENATION takes at most {_CONCAT_MAX_INPUTS} inputs "
                         "and no fused activation")
    for t in (*inputs, out):
        if t.dtype != "INT8" or t.scale != out.scale or t.zero_point != out.zero_point:
            raise ValueError(f"{graph.layer_name(op)}: int8 CONCATENATION needs every input quantized like the "
                             f"output, but {t.name!r} is {t.dtype} with scale {t.scale} and zero point {t.zero_point}")
    axis = op.options.axis + len(out.shape) if op.options.axis < 0 else op.options.axis
    return ConcatOp(inputs, out, int(np.prod(out.shape[:axis], dtype=np.int64)),
                    tuple(int(np.prod(t.shape[axis:], dtype=np.int64)) for t in inputs))


def _nearest(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool) -> tuple[int, ...]:
    """TFLite's GetNearestNeighbor for every output index, in its float32 arithmetic."""
    f32 = np.float32
    scale = (f32(in_size - 1) / f32(out_size - 1) if align_corners and out_size > 1
             else f32(in_size) / f32(out_size))
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    index = []
    for i in range(out_size):
        v = float((f32(i) + offset) * scale)     # >= 0: rounding (ties away from zero) is floor(v + 0.5)
        k = min(int(np.floor(v + 0.5 if align_corners else v)), in_size - 1)
        index.append(max(k, 0) if half_pixel_centers else k)
    return tuple(index)


def resize_op(graph: Graph, op: Operator) -> ResizeOp:
    """RESIZE_NEAREST_NEIGHBOR of a 4-D int8 tensor to a constant size (TFLite-Micro takes no other)."""
    inp, size, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if inp.dtype != "INT8" or len(inp.shape) != 4 or size.data is None or size.data.size != 2:
        raise ValueError(f"{graph.layer_name(op)}: only int8 4-D inputs resized to a constant size are supported")
    (_, in_h, in_w, _), (out_h, out_w) = inp.shape, (int(v) for v in size.data)
    o = op.options
    return ResizeOp(inp, out, _nearest(out_h, in_h, o.alignCorners, o.halfPixelCenters),
                    _nearest(out_w, in_w, o.alignCorners, o.halfPixelCenters))
