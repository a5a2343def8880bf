"""Multiply-accumulate counts of an int8 graph, per op and in total, read off tensor shapes alone.

    CONV_2D            batches * out_h * out_w * out_c * kh * kw * in_c
    DEPTHWISE_CONV_2D  batches * out_h * out_w * out_c * kh * kw
    FULLY_CONNECTED    batches * units * depth
    every other op     0 MACs; ADD, SUB and MUL count their output elements as "elementwise elements"
"""

from __future__ import annotations

import math

from .graph import Graph, Operator

ELEMENTWISE_OPS = ("ADD", "SUB", "MUL")


def op_macs(graph: Graph, op: Operator) -> int:
    """The multiply-accumulates one operator performs (0 for ops that are not conv or fully connected)."""
    if op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        return 0
    out = graph.tensors[op.outputs[0]].shape
    weights = graph.tensors[op.inputs[1]].shape
    if op.opcode == "CONV_2D":                     # weights: (out_c, kh, kw, in_c), output NHWC
        return math.prod(out) * math.prod(weights[1:])
    if op.opcode == "DEPTHWISE_CONV_2D":           # weights: (1, kh, kw, out_c), output NHWC
        return math.prod(out) * weights[1] * weights[2]
    units, depth = weights                         # FULLY_CONNECTED weights: (units, depth)
    return (math.prod(out) // units) * units * depth


def graph_macs(graph: Graph) -> dict:
    """{"total": MACs, "by_opcode": {opcode: MACs}, "elementwise_elements": n, "per_op": [...]}.

    per_op has one entry per operator, in execution order: index, opcode, layer (its output tensor's
    name), macs, and elementwise_elements (output elements of ADD/SUB/MUL, else 0).
    """
    per_op, by_opcode = [], {}
    for op in graph.operators:
        macs = op_macs(graph, op)
        elements = math.prod(graph.tensors[op.outputs[0]].shape) if op.opcode in ELEMENTWISE_OPS else 0
        per_op.append({"index": op.index, "opcode": op.opcode, "layer": graph.layer_name(op),
                       "macs": macs, "elementwise_elements": elements})
        by_opcode[op.opcode] = by_opcode.get(op.opcode, 0) + macs
    return {"total": sum(p["macs"] for p in per_op), "by_opcode": by_opcode,
            "elementwise_elements": sum(p["elementwise_elements"] for p in per_op), "per_op": per_op}
