"""CONV_2D (OHWI weights), DEPTHWISE_CONV_2D (1HWC) and FULLY_CONNECTED ([units, depth]): int8 weights
with per-tensor or per-channel requantization (conv2d.c, depthwise_conv2d.c, fully_connected.c)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, quant
from ..op_spec import OpSpec
from ..params import Int8IO, Requant, Window, int8_io, window


@dataclass(frozen=True)
class WeightedOp:
    input: Tensor
    weights: Tensor
    bias: Tensor | None
    output: Tensor
    io: Int8IO
    requant: Requant
    window: Window | None            # None for FULLY_CONNECTED


def weighted_op(graph: Graph, op: Operator) -> WeightedOp:
    t = graph.tensors
    inp, weights, out = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
    bias = t[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if any(z != 0 for z in weights.zero_point):
        raise ValueError(f"{graph.layer_name(op)}: int8 weights must be symmetric (zero point 0)")
    scales = quant.effective_scales(inp.scale[0], weights.scale, out.scale[0])
    multiplier, shift = quant.quantize_multipliers(scales)
    conv_window = None
    if op.opcode == "FULLY_CONNECTED" and op.options.weightsFormat != 0:
        raise ValueError(f"{graph.layer_name(op)}: only the DEFAULT fully-connected weights format is supported")
    if op.opcode != "FULLY_CONNECTED":
        conv_window = window(op.options, inp, weights.shape[1], weights.shape[2])
    return WeightedOp(inp, weights, bias, out, int8_io(inp, out, op.options.fusedActivationFunction),
                      Requant(multiplier, shift), conv_window)


def _emit(c, op: Operator, p: str, w: WeightedOp) -> None:
    weights = c.const(w.weights, "int8_t")
    bias = c.const(w.bias, "int32_t") if w.bias is not None else None
    c.data.append(c_text.array("int32_t", f"{p}_multiplier", w.requant.multiplier)
                  + c_text.array("int32_t", f"{p}_shift", w.requant.shift)
                  + f"static const tc_requant {p}_rq = "
                  + f"{{{p}_multiplier, {p}_shift, {len(w.requant.multiplier)}}};\n"
                  + c_text.int8_io(f"{p}_io", w.io))
    bias_arg = bias or "(const int32_t *)0"
    if op.opcode == "FULLY_CONNECTED":
        units, depth = w.weights.shape
        batches = int(np.prod(w.input.shape)) // depth
        c.call("tc_fully_connected_s8", c.ptr(w.input), batches, depth, weights, units, bias_arg,
               c.ptr(w.output), f"&{p}_io", f"&{p}_rq")
        return
    c.data.append(c_text.dims(f"{p}_in", w.input.shape) + c_text.dims(f"{p}_w", w.weights.shape)
                  + c_text.dims(f"{p}_out", w.output.shape) + c_text.window(f"{p}_win", w.window))
    kernel = "tc_conv2d_s8" if op.opcode == "CONV_2D" else "tc_depthwise_conv2d_s8"
    c.call(kernel, c.ptr(w.input), f"&{p}_in", weights, f"&{p}_w", bias_arg, c.ptr(w.output),
           f"&{p}_out", f"&{p}_win", f"&{p}_io", f"&{p}_rq")


OPS = (OpSpec(("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"), weighted_op, _emit),)
