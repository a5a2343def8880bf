"""STRIDED_SLICE of an int8 tensor of rank <= 4 with constant begin, end and positive strides
(strided_slice.c). TFLite-Micro's int8 slice copies bytes, so the output is quantized like the input."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text
from ..kernel_case import KernelCase
from ..op_spec import OpSpec
from ..params import nhwc


@dataclass(frozen=True)
class StridedSliceOp:
    """The 4-D input (leading extents 1), the first index and step on each of its axes, the 4-D output."""
    input: Tensor
    output: Tensor
    input_shape: tuple[int, int, int, int]
    start: tuple[int, ...]
    step: tuple[int, ...]
    output_shape: tuple[int, int, int, int]


def _axis_range(size: int, begin: int, end: int, stride: int, bit: int, options) -> tuple[int, int]:
    """TFLite's StartForAxis and StopForAxis for a positive stride: masks, negative indices counted from
    the end, `offset` (end counts from begin), shrink (one index), both clamped to [0, size]."""
    start = 0 if options.beginMask & bit else begin
    start = min(max(start + size if start < 0 else start, 0), size)
    if options.shrinkAxisMask & bit:
        return start, start + 1
    stop = start + end if options.offset else end
    stop = size if options.endMask & bit and not options.offset else stop
    return start, min(max(stop + size if stop < 0 else stop, 0), size)


def strided_slice_op(graph: Graph, op: Operator) -> StridedSliceOp:
    inp, begin, end, strides = (graph.tensors[i] for i in op.inputs)
    out, o = graph.tensors[op.outputs[0]], op.options
    if any(t.data is None for t in (begin, end, strides)) or o.ellipsisMask or o.newAxisMask:
        raise ValueError("only constant begin, end and strides without ellipsis or new axes are supported")
    if inp.dtype != "INT8" or (list(inp.scale), list(inp.zero_point)) != (list(out.scale), list(out.zero_point)):
        raise ValueError("only int8 slices quantized like their input are supported (TFLite-Micro does not rescale)")
    rank, strides = len(inp.shape), [int(s) for s in strides.data.ravel()]
    if rank > 4 or min(strides) < 1:
        raise ValueError("only inputs of rank <= 4 sliced with positive strides are supported")
    ranges = [_axis_range(int(size), int(b), int(e), s, 1 << axis, o)
              for axis, (size, b, e, s) in enumerate(zip(inp.shape, begin.data.ravel(), end.data.ravel(), strides))]
    extents = [max(0, -(-(stop - start) // s)) for (start, stop), s in zip(ranges, strides)]
    kept = [n for axis, n in enumerate(extents) if not o.shrinkAxisMask & (1 << axis)]
    if int(np.prod(extents)) != int(np.prod(out.shape)) or tuple(kept) != tuple(out.shape):
        raise ValueError(f"the slice's computed shape {kept} differs from its output's {list(out.shape)}")
    lead = (0,) * (4 - rank)
    return StridedSliceOp(inp, out, nhwc(inp.shape), lead + tuple(start for start, _ in ranges),
                          (1,) * (4 - rank) + tuple(strides), nhwc(tuple(extents)))


def _emit(c, op: Operator, p: str, s: StridedSliceOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", s.input_shape) + c_text.dims(f"{p}_out", s.output_shape)
                  + c_text.array("int32_t", f"{p}_start", np.array(s.start))
                  + c_text.array("int32_t", f"{p}_step", np.array(s.step)))
    c.call("tc_strided_slice_s8", c.operand(s.input), f"&{p}_in", c.ptr(s.output), f"&{p}_out",
           f"{p}_start", f"{p}_step")


def _slice(seed, shape, index) -> KernelCase:
    """x[index] on an input of `shape` (a tuple of Python slices and ints, as TensorFlow's getitem takes)."""
    return KernelCase("STRIDED_SLICE", lambda tf, x: x[index], shape, seed)


_CASES = {   # onnx2tf slices the edges of a padded average pool like the first two
    "strided_slice_first_row": functools.partial(_slice, 151, (1, 6, 5, 3), np.s_[:, 0:1, :, :]),
    "strided_slice_inner_columns": functools.partial(_slice, 152, (1, 6, 7, 5), np.s_[:, :, 1:-1, :]),
    "strided_slice_steps": functools.partial(_slice, 153, (1, 7, 8, 4), np.s_[:, 1::2, ::3, 1:]),
    "strided_slice_channels_odd": functools.partial(_slice, 154, (1, 3, 4, 7), np.s_[:, :, :, 2:7:2]),
    "strided_slice_shrink_row": functools.partial(_slice, 155, (1, 5, 4, 3), np.s_[:, 2]),
    "strided_slice_2d": functools.partial(_slice, 156, (6, 9), np.s_[1:, -5:]),
}

OPS = (OpSpec(("STRIDED_SLICE",), strided_slice_op, _emit, cases=_CASES),)
