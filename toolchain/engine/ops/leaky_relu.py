"""LEAKY_RELU (leaky_relu.c); alpha may be negative (the kernel negates the scaled value, as
TFLite-Micro's leaky_relu_common.cc does)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..kernel_case import KernelCase, random_shape
from ..op_spec import OpSpec
from ..params import element_count, int8_tensors


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


def leaky_relu_op(graph: Graph, op: Operator) -> LeakyReluOp:
    inp, out = int8_tensors(graph, op)
    scale_in, scale_out = np.float32(inp.scale[0]), np.float32(out.scale[0])
    identity = quant.quantize_multiplier(float(scale_in / scale_out))
    alpha = quant.quantize_multiplier(float(scale_in * np.float32(op.options.alpha) / scale_out))
    params = LeakyReluParams(inp.zero_point[0], out.zero_point[0], *identity, *alpha)
    return LeakyReluOp(inp, out, element_count(out), params)


def _emit(c, op: Operator, p: str, r: LeakyReluOp) -> None:
    c.data.append(c_text.struct("tc_leaky_relu_params", f"{p}_params", dataclasses.astuple(r.params)))
    c.call("tc_leaky_relu_s8", c.ptr(r.input), c.ptr(r.output), r.size, f"&{p}_params")


def _leaky(seed, alpha, rank=4) -> KernelCase:
    return KernelCase("LEAKY_RELU", lambda tf, x: tf.nn.leaky_relu(x, alpha),
                      random_shape(np.random.default_rng(seed), rank), seed)


_CASES = {
    "leaky_relu_0.2": functools.partial(_leaky, 141, 0.2),
    "leaky_relu_0.01_rank3": functools.partial(_leaky, 142, 0.01, 3),
    "leaky_relu_negative_alpha": functools.partial(_leaky, 143, -0.3),
    "leaky_relu_alpha_1.5": functools.partial(_leaky, 144, 1.5, 2),
}

OPS = (OpSpec(("LEAKY_RELU",), leaky_relu_op, _emit, in_place=True, cases=_CASES),)
