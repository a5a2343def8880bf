"""CONCATENATION of int8 tensors along any axis (concatenation.c). TFLite-Micro takes at most 10 inputs,
no fused activation, and inputs quantized exactly like the output (it does not rescale)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
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
    c.data.append(f"static const int8_t *const {p}_inputs[{len(q.inputs)}] = {{{sources}}};\n"
                  + c_text.array("int32_t", f"{p}_chunks", np.array(q.chunks)))
    c.call("tc_concatenation_s8", f"{p}_inputs", f"{p}_chunks", len(q.inputs), q.outer, c.ptr(q.output))


OPS = (OpSpec(("CONCATENATION",), concat_op, _emit),)
