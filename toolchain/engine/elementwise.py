"""Kernel parameters of the int8 element-wise ops: ADD, SUB and MUL (broadcasting), QUANTIZE int8 -> int8,
RELU, RELU6 and LEAKY_RELU, computed the way TFLite-Micro's Prepare does (add_common.cc, sub_common.cc,
mul_common.cc, quantize_common.cc, activations_common.cc, leaky_relu_common.cc). The *Params dataclasses
hold their C struct's fields in order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import Graph, Operator, Tensor
from . import quant
from .params import Int8IO, nhwc

_F32 = np.float32
_ADD_LEFT_SHIFT = 20                 # TFLite's headroom for int8 ADD/SUB inputs
_IDENTITY = (1 << 30, 1)             # multiplier and shift of x * 1.0


@dataclass(frozen=True)
class AddParams:
    """tc_add_params (ADD and SUB)."""
    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class MulParams:
    """tc_mul_params."""
    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class BinaryOp:
    """ADD, SUB or MUL; each operand's element strides in the output's NHWC index space (0: repeated)."""
    input1: Tensor
    input2: Tensor
    output: Tensor
    strides1: tuple[int, int, int, int]
    strides2: tuple[int, int, int, int]
    params: AddParams | MulParams


@dataclass(frozen=True)
class RescaleOp:
    """QUANTIZE int8 -> int8, RELU or RELU6 as tc_rescale_s8."""
    input: Tensor
    output: Tensor
    size: int
    io: Int8IO
    multiplier: int
    shift: int


@dataclass(frozen=True)
class LeakyReluParams:
    """tc_leaky_relu_params."""
    input_zero_point: int
    output_zero_point: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int
    alpha_shift: int


@dataclass(frozen=True)
class LeakyReluOp:
    input: Tensor
    output: Tensor
    size: int
    params: LeakyReluParams


def _int8_tensors(graph: Graph, op: Operator) -> list[Tensor]:
    """The op's inputs then its output, all int8 with one scale and zero point each."""
    tensors = [graph.tensors[i] for i in (*op.inputs, op.outputs[0])]
    for t in tensors:
        if t.dtype != "INT8":
            raise ValueError(f"{op.opcode} on {t.dtype} tensor {t.name!r}: the engine runs int8 tensors only")
        if len(t.scale) != 1:
            raise ValueError(f"tensor {t.name!r} is quantized per channel; {op.opcode} takes one scale")
    return tensors


def _broadcast_strides(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Element strides of a tensor broadcast to out_shape (both up to 4-D), 0 along repeated dims."""
    strides, step = [], 1
    for d, o in zip(reversed(nhwc(shape)), reversed(nhwc(out_shape))):
        if d not in (1, o):
            raise ValueError(f"shape {list(shape)} does not broadcast to {list(out_shape)}")
        strides.append(step if d == o else 0)
        step *= d
    return tuple(reversed(strides))


def _add_multipliers(opcode: str, scale1: float, scale2: float, out_scale: float) -> list[int]:
    """(multiplier, shift) of input 1, input 2 and the output, flattened. ADD computes the reals in
    double, SUB in float32; TFLite-Micro aborts unless each is in (0, 1) with a shift <= 0."""
    if opcode == "ADD":
        twice = 2 * max(scale1, scale2)
        reals = [scale1 / twice, scale2 / twice, twice / ((1 << _ADD_LEFT_SHIFT) * out_scale)]
    else:
        twice = _F32(2) * max(_F32(scale1), _F32(scale2))
        reals = [float(_F32(scale1) / twice), float(_F32(scale2) / twice),
                 float(twice / (_F32(1 << _ADD_LEFT_SHIFT) * _F32(out_scale)))]
    pairs = [quant.quantize_multiplier(r) for r in reals]
    if not all(0 < r < 1 and shift <= 0 for r, (_, shift) in zip(reals, pairs)):
        raise ValueError(f"the output scale {out_scale!r} is too small for {opcode}'s fixed-point rescaling")
    return [v for pair in pairs for v in pair]


def binary_op(graph: Graph, op: Operator) -> BinaryOp:
    """ADD, SUB or MUL of two int8 tensors, either broadcast to the output (up to 4-D), with a fused
    activation."""
    in1, in2, out = _int8_tensors(graph, op)
    act = quant.activation_range(op.options.fusedActivationFunction, out.scale[0], out.zero_point[0])
    zero_points = (in1.zero_point[0], in2.zero_point[0], out.zero_point[0])
    if op.opcode == "MUL":
        params = MulParams(*zero_points, *quant.quantize_multiplier(in1.scale[0] * in2.scale[0] / out.scale[0]), *act)
    else:
        multipliers = _add_multipliers(op.opcode, in1.scale[0], in2.scale[0], out.scale[0])
        params = AddParams(*zero_points, _ADD_LEFT_SHIFT, *multipliers, *act)
    return BinaryOp(in1, in2, out, _broadcast_strides(in1.shape, out.shape), _broadcast_strides(in2.shape, out.shape),
                    params)


def rescale_op(graph: Graph, op: Operator) -> RescaleOp:
    """QUANTIZE int8 -> int8 (requantization), RELU (rescale, clamp at real 0) or RELU6 (TFLite-Micro
    clamps to [0, 6] on the input's scale and does not rescale)."""
    inp, out = _int8_tensors(graph, op)
    size = int(np.prod(out.shape, dtype=np.int64))
    if op.opcode == "QUANTIZE":
        io = Int8IO(inp.zero_point[0], out.zero_point[0], quant.INT8_MIN, quant.INT8_MAX)
        return RescaleOp(inp, out, size, io, *quant.quantize_multiplier(inp.scale[0] / out.scale[0]))
    if op.opcode == "RELU":
        io = Int8IO(inp.zero_point[0], out.zero_point[0],
                    *quant.activation_range(quant.ACT_RELU, out.scale[0], out.zero_point[0]))
        return RescaleOp(inp, out, size, io, *quant.quantize_multiplier(float(_F32(inp.scale[0]) / _F32(out.scale[0]))))
    io = Int8IO(0, 0, *quant.activation_range(quant.ACT_RELU6, inp.scale[0], inp.zero_point[0]))
    return RescaleOp(inp, out, size, io, *_IDENTITY)


def leaky_relu_op(graph: Graph, op: Operator) -> LeakyReluOp:
    """LEAKY_RELU; alpha may be negative (the kernel negates the scaled value, as TFLite-Micro does)."""
    inp, out = _int8_tensors(graph, op)
    scale_in, scale_out = _F32(inp.scale[0]), _F32(out.scale[0])
    identity = quant.quantize_multiplier(float(scale_in / scale_out))
    alpha = quant.quantize_multiplier(float(scale_in * _F32(op.options.alpha) / scale_out))
    params = LeakyReluParams(inp.zero_point[0], out.zero_point[0], *identity, *alpha)
    return LeakyReluOp(inp, out, int(np.prod(out.shape, dtype=np.int64)), params)
