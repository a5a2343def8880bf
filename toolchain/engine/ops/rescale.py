"""QUANTIZE int8 -> int8 (requantization), RELU (rescale, clamp at real 0) and RELU6 (TFLite-Micro clamps
to [0, 6] on the input's scale and does not rescale), all as tc_rescale_s8 (rescale.c), computed the way
TFLite-Micro's Prepare does (quantize_common.cc, activations_common.cc)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..kernel_case import KernelCase, random_shape
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


def _unary(opcode, seed, fn, rank=4, input_std=1.0, patch=None) -> KernelCase:
    return KernelCase(opcode, fn, random_shape(np.random.default_rng(seed), rank), seed, input_std=input_std,
                      patch=patch or {})


def _relu(tf, x):
    return tf.nn.relu(x)


def _relu6(tf, x):
    return tf.nn.relu6(x)


def _leaky_as_quantize(seed, rank, input_std) -> KernelCase:
    """LEAKY_RELU's input and output quantization, its op turned into QUANTIZE."""
    return _unary("QUANTIZE", seed, lambda tf, x: tf.nn.leaky_relu(x, 0.2), rank, input_std, {"opcode": "QUANTIZE"})


_CASES = {
    "relu": functools.partial(_unary, "RELU", 131, _relu),
    "relu_rank2": functools.partial(_unary, "RELU", 132, _relu, 2),
    "relu6_within_range": functools.partial(_unary, "RELU6", 133, _relu6, 4, 4.0),
    "relu6_beyond_range": functools.partial(_unary, "RELU6", 134, _relu6, 3),
    # a single-op model turned into QUANTIZE: an int8 -> int8 requantization between its quantizations
    "quantize_from_relu_scales": functools.partial(_unary, "QUANTIZE", 151, _relu, patch={"opcode": "QUANTIZE"}),
    "quantize_from_leaky_scales": functools.partial(_leaky_as_quantize, 152, 2, 3.0),
    "quantize_after_tanh": functools.partial(_unary, "QUANTIZE", 153, lambda tf, x: tf.concat(
        [tf.nn.tanh(x), x * 4.0], axis=-1)),
}

OPS = (OpSpec(("QUANTIZE", "RELU", "RELU6"), rescale_op, _emit, in_place=True, cases=_CASES),)
