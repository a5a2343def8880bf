"""CONCATENATION of int8 tensors along any axis (concatenation.c). TFLite-Micro takes at most 10 inputs,
no fused activation, and inputs quantized exactly like the output (it does not rescale)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..kernel_case import KernelCase, normal, random_shape
from ..op_spec import OpSpec

_MAX_INPUTS = 10                     # TFLite-Micro's kMaxInputNum


@dataclass(frozen=True)
class ConcatOp:
    """For each of `outer` slices, chunks[k] bytes of input k in turn."""
    inputs: tuple[Tensor, ...]
    output: Tensor
    outer: int
    chunks: tuple[int, ...]


def concat_op(graph: Graph, op: Operator) -> ConcatOp:
    inputs, out = tuple(graph.tensors[i] for i in op.inputs), graph.tensors[op.outputs[0]]
    if op.options.fusedActivationFunction != quant.ACT_NONE or len(inputs) > _MAX_INPUTS:
        raise ValueError(f"{graph.layer_name(op)}: CONCATENATION takes at most {_MAX_INPUTS} inputs "
                         "and no fused activation")
    for t in (*inputs, out):
        if t.dtype != "INT8" or t.scale != out.scale or t.zero_point != out.zero_point:
            raise ValueError(f"{graph.layer_name(op)}: int8 CONCATENATION needs every input quantized like the "
                             f"output, but {t.name!r} is {t.dtype} with scale {t.scale} and zero point {t.zero_point}")
    axis = op.options.axis + len(out.shape) if op.options.axis < 0 else op.options.axis
    return ConcatOp(inputs, out, int(np.prod(out.shape[:axis], dtype=np.int64)),
                    tuple(int(np.prod(t.shape[axis:], dtype=np.int64)) for t in inputs))


def _emit(c, op: Operator, p: str, q: ConcatOp) -> None:
    sources = ", ".join(c.operand(t) for t in q.inputs)
    c.data.append(c_text.array("int32_t", f"{p}_chunks", np.array(q.chunks)))
    # in model_invoke: an input may be the model's, read where the caller holds it (codegen's model_in)
    c.calls.append(f"    const int8_t *const {p}_inputs[{len(q.inputs)}] = {{{sources}}};\n")
    c.call("tc_concatenation_s8", f"{p}_inputs", f"{p}_chunks", len(q.inputs), q.outer, c.ptr(q.output))


def _concat(seed, axis, parts, rank=4) -> KernelCase:
    rng = np.random.default_rng(seed)
    shape = random_shape(rng, rank)
    const_shape = list(shape)
    const_shape[axis] = int(rng.integers(1, 5))
    pieces = {"x": lambda tf, x: x,
              "relu": lambda tf, x: tf.nn.relu(x),
              "double": lambda tf, x: x * 2.0,
              "const": lambda tf, x: tf.constant(normal(rng, *const_shape))}
    return KernelCase("CONCATENATION", lambda tf, x: tf.concat([pieces[p](tf, x) for p in parts], axis=axis),
                      shape, seed, "none")


_CASES = {
    "concat_channels": functools.partial(_concat, 111, 3, ["x", "relu"]),
    "concat_rows_three": functools.partial(_concat, 112, 1, ["x", "double", "x"]),
    "concat_cols_const": functools.partial(_concat, 113, 2, ["const", "x"]),
    "concat_rank2_batch": functools.partial(_concat, 114, 0, ["x", "double"], 2),
    "concat_rank3_last": functools.partial(_concat, 115, -1, ["relu", "x", "const"], 3),
}

OPS = (OpSpec(("CONCATENATION",), concat_op, _emit, cases=_CASES),)
