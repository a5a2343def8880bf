"""ADD, SUB and MUL of two int8 tensors, either broadcast to the output (up to 4-D), with a fused
activation (add_sub.c, mul.c), computed the way TFLite-Micro's Prepare does (add_common.cc,
sub_common.cc, mul_common.cc). The *Params dataclasses hold their C struct's fields in order.

ADD and SUB on at least _TABLE_MIN_ELEMENTS outputs run by tables (tc_add_table_s8): each input's scaled
value depends only on its int8 value, so it is computed here once for all 256 (exact by construction)
and each element costs two table loads and the output rescaling. 2 KiB of flash per op."""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..kernel_case import KernelCase, activation, normal, random_shape
from ..op_spec import OpSpec
from ..params import int8_tensors, nhwc

_F32 = np.float32
_ADD_LEFT_SHIFT = 20                 # TFLite's headroom for int8 ADD/SUB inputs
_TABLE_MIN_ELEMENTS = 256            # ~30 M4 instructions saved per element: 2 KiB of tables pay above this
_INT8_VALUES = np.arange(-128, 128, dtype=np.int64)


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
    """Each operand's element strides in the output's NHWC index space (0: repeated)."""
    input1: Tensor
    input2: Tensor
    output: Tensor
    strides1: tuple[int, int, int, int]
    strides2: tuple[int, int, int, int]
    params: AddParams | MulParams
    tables: tuple[np.ndarray, np.ndarray] | None = None   # tc_add_table_s8's, or None: arithmetic


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


def add_tables(opcode: str, p: AddParams) -> tuple[np.ndarray, np.ndarray] | None:
    """tc_add_table_s8's tables: twice each input's scaled value for every int8 value (input 2's
    negated for SUB), or None where their sums could leave int32 or the kernel's shifted inputs
    (|v - zero point| < 2^8, so left shifts up to 23) would."""
    if not 0 <= p.left_shift <= 23:
        return None

    def twice_scaled(zero_point, multiplier, shift):
        return 2 * quant.requantize((_INT8_VALUES - zero_point) << p.left_shift, multiplier, shift).astype(np.int64)
    table1 = twice_scaled(p.input1_zero_point, p.input1_multiplier, p.input1_shift)
    table2 = twice_scaled(p.input2_zero_point, p.input2_multiplier, p.input2_shift) * (-1 if opcode == "SUB" else 1)
    if np.abs(table1).max() + np.abs(table2).max() >= 2**31:
        return None
    return table1.astype(np.int32), table2.astype(np.int32)


def binary_op(graph: Graph, op: Operator) -> BinaryOp:
    in1, in2, out = int8_tensors(graph, op)
    act = quant.activation_range(op.options.fusedActivationFunction, out.scale[0], out.zero_point[0])
    zero_points = (in1.zero_point[0], in2.zero_point[0], out.zero_point[0])
    if op.opcode == "MUL":
        params = MulParams(*zero_points, *quant.quantize_multiplier(in1.scale[0] * in2.scale[0] / out.scale[0]), *act)
    else:
        multipliers = _add_multipliers(op.opcode, in1.scale[0], in2.scale[0], out.scale[0])
        params = AddParams(*zero_points, _ADD_LEFT_SHIFT, *multipliers, *act)
    by_tables = op.opcode != "MUL" and math.prod(out.shape) >= _TABLE_MIN_ELEMENTS
    tables = add_tables(op.opcode, params) if by_tables else None
    return BinaryOp(in1, in2, out, _broadcast_strides(in1.shape, out.shape), _broadcast_strides(in2.shape, out.shape),
                    params, tables)


def _emit(c, op: Operator, p: str, b: BinaryOp) -> None:
    a1, a2 = c.operand(b.input1), c.operand(b.input2)
    ctype = "tc_mul_params" if op.opcode == "MUL" else "tc_add_params"
    c.data.append(c_text.dims(f"{p}_s1", b.strides1) + c_text.dims(f"{p}_s2", b.strides2)
                  + c_text.dims(f"{p}_out", b.output.shape)
                  + c_text.struct(ctype, f"{p}_params", dataclasses.astuple(b.params)))
    if b.tables is None:
        c.call(f"tc_{op.opcode.lower()}_s8", a1, f"&{p}_s1", a2, f"&{p}_s2", c.ptr(b.output), f"&{p}_out",
               f"&{p}_params")
        return
    c.data.append(c_text.array("int32_t", f"{p}_table1", b.tables[0])
                  + c_text.array("int32_t", f"{p}_table2", b.tables[1]))
    c.call("tc_add_table_s8", a1, f"&{p}_s1", a2, f"&{p}_s2", c.ptr(b.output), f"&{p}_out", f"{p}_table1",
           f"{p}_table2", f"&{p}_params")


# Second operands of the test cases: (input shape ones, make(tf, x, rng) -> (a, b)).
_OPERANDS = {
    "channel": ((), lambda tf, x, rng: (x, normal(rng, x.shape[-1]))),                 # x op const[c]
    "channel_first": ((), lambda tf, x, rng: (normal(rng, x.shape[-1]), x)),           # const[c] op x
    "scalar": ((), lambda tf, x, rng: (x, np.float32(rng.normal() * 2))),
    "rows": ((), lambda tf, x, rng: (x, normal(rng, *x.shape[1:-1], 1))),               # const[h.., 1]
    "cross": ((2,), lambda tf, x, rng: (x, normal(rng, int(rng.integers(2, 7)), 1))),  # [1,h,1,c] op [w,1]
    "mean": ((), lambda tf, x, rng: (x, tf.reduce_mean(x, axis=[1, 2], keepdims=True))),
    "relu": ((), lambda tf, x, rng: (x, tf.nn.relu(x))),                              # same shape, no broadcast
    "self": ((), lambda tf, x, rng: (x, x)),
}
_ARITHMETIC = {"ADD": operator.add, "SUB": operator.sub, "MUL": operator.mul}


def _binary(seed, opcode, operand, act="none", rank=4, shape=None) -> KernelCase:
    """`shape`: the input's, instead of a random one (large enough for the tables)."""
    ones, make = _OPERANDS[operand]
    shape = shape or random_shape(np.random.default_rng(seed), rank, ones)

    def build(tf, x):
        return activation(tf, _ARITHMETIC[opcode](*make(tf, x, np.random.default_rng(seed))), act)
    return KernelCase(opcode, build, shape, seed, act)


_CASES = {
    "add_channel_const_relu": functools.partial(_binary, 81, "ADD", "channel", "relu"),
    "add_mean_broadcast_relu6": functools.partial(_binary, 82, "ADD", "mean", "relu6"),
    "add_cross_broadcast": functools.partial(_binary, 83, "ADD", "cross"),
    "add_same_shape": functools.partial(_binary, 84, "ADD", "relu"),
    "add_rank2_channel_const": functools.partial(_binary, 85, "ADD", "channel", rank=2),
    "add_rank3_rows_const": functools.partial(_binary, 86, "ADD", "rows", "relu_n1_to_1", 3),
    "add_tables_same_shape": functools.partial(_binary, 87, "ADD", "relu", shape=(1, 12, 10, 6)),
    "add_tables_channel_const_relu6": functools.partial(_binary, 88, "ADD", "channel", "relu6", shape=(1, 9, 8, 5)),
    "sub_channel_const": functools.partial(_binary, 91, "SUB", "channel"),
    "sub_const_first_relu": functools.partial(_binary, 92, "SUB", "channel_first", "relu"),
    "sub_mean_broadcast": functools.partial(_binary, 93, "SUB", "mean"),
    "sub_cross_broadcast_relu6": functools.partial(_binary, 94, "SUB", "cross", "relu6"),
    "sub_rank3_rows_const": functools.partial(_binary, 95, "SUB", "rows", rank=3),
    "sub_tables_const_first_relu": functools.partial(_binary, 96, "SUB", "channel_first", "relu", shape=(1, 10, 10, 3)),
    "sub_tables_rows": functools.partial(_binary, 97, "SUB", "rows", shape=(1, 16, 9, 2)),
    "mul_channel_const_relu6": functools.partial(_binary, 101, "MUL", "channel", "relu6"),
    "mul_scalar_const": functools.partial(_binary, 102, "MUL", "scalar"),
    "mul_mean_broadcast_relu": functools.partial(_binary, 103, "MUL", "mean", "relu"),
    "mul_square": functools.partial(_binary, 104, "MUL", "self"),
    "mul_cross_broadcast": functools.partial(_binary, 105, "MUL", "cross"),
    "mul_rank2_channel_const": functools.partial(_binary, 106, "MUL", "channel", rank=2),
}

OPS = (OpSpec(("ADD", "SUB", "MUL"), binary_op, _emit, in_place=True, cases=_CASES),)
