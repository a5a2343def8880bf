"""PAD and PADV2 with up to 4 dims (pad.c); without a constant the value is the output zero point."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text
from ..kernel_case import KernelCase, normal
from ..op_spec import OpSpec


@dataclass(frozen=True)
class PadOp:
    input: Tensor
    output: Tensor
    before: tuple[int, int, int, int]
    pad_value: int


def pad_op(graph: Graph, op: Operator) -> PadOp:
    inp, paddings, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if paddings.data is None or len(inp.shape) > 4:
        raise ValueError(f"{graph.layer_name(op)}: only constant paddings of up to 4 dims are supported")
    before = [int(p) for p in paddings.data[:, 0]]
    has_constant = len(op.inputs) > 2 and op.inputs[2] >= 0
    value = int(graph.tensors[op.inputs[2]].data.ravel()[0]) if has_constant else out.zero_point[0]
    return PadOp(inp, out, tuple([0] * (4 - len(before)) + before), value)


def _emit(c, op: Operator, p: str, q: PadOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", q.input.shape) + c_text.dims(f"{p}_out", q.output.shape)
                  + c_text.array("int32_t", f"{p}_before", np.array(q.before)))
    c.call("tc_pad_s8", c.ptr(q.input), f"&{p}_in", c.ptr(q.output), f"&{p}_out", f"{p}_before",
           f"(int8_t){q.pad_value}")


def _pad(seed, then_conv, channels=False) -> KernelCase:
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(3, 9), rng.integers(3, 9), rng.integers(1, 9)
    paddings = [[0, 0]] + [list(rng.integers(1, 3, size=2)) for _ in range(2)] + [[1, 2] if channels else [0, 0]]
    kernel = normal(rng, 3, 3, c, 4)

    def build(tf, x):
        y = tf.pad(x, paddings)
        return tf.nn.conv2d(y, kernel, 2, "VALID") if then_conv else y
    return KernelCase("PAD", build, (1, h, w, c), seed)


# channel padding: the kernel copies pixel by pixel, else row by row
_CASES = {"pad_alone": functools.partial(_pad, 71, False), "pad_then_conv": functools.partial(_pad, 72, True),
          "pad_channels": functools.partial(_pad, 73, False, channels=True)}

OPS = (OpSpec(("PAD", "PADV2"), pad_op, _emit, cases=_CASES),)
