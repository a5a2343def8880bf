"""RESIZE_NEAREST_NEIGHBOR of a 4-D int8 tensor to a constant size (resize_nearest_neighbor.c;
TFLite-Micro takes no other)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text
from ..kernel_case import KernelCase, random_shape
from ..op_spec import OpSpec


@dataclass(frozen=True)
class ResizeOp:
    """The input row of each output row, the input column of each column."""
    input: Tensor
    output: Tensor
    source_y: tuple[int, ...]
    source_x: tuple[int, ...]


def _nearest(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool) -> tuple[int, ...]:
    """TFLite's GetNearestNeighbor for every output index, in its float32 arithmetic."""
    f32 = np.float32
    scale = (f32(in_size - 1) / f32(out_size - 1) if align_corners and out_size > 1
             else f32(in_size) / f32(out_size))
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    index = []
    for i in range(out_size):
        v = float((f32(i) + offset) * scale)     # >= 0: rounding (ties away from zero) is floor(v + 0.5)
        k = min(int(np.floor(v + 0.5 if align_corners else v)), in_size - 1)
        index.append(max(k, 0) if half_pixel_centers else k)
    return tuple(index)


def resize_op(graph: Graph, op: Operator) -> ResizeOp:
    inp, size, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if inp.dtype != "INT8" or len(inp.shape) != 4 or size.data is None or size.data.size != 2:
        raise ValueError(f"{graph.layer_name(op)}: only int8 4-D inputs resized to a constant size are supported")
    (_, in_h, in_w, _), (out_h, out_w) = inp.shape, (int(v) for v in size.data)
    o = op.options
    return ResizeOp(inp, out, _nearest(out_h, in_h, o.alignCorners, o.halfPixelCenters),
                    _nearest(out_w, in_w, o.alignCorners, o.halfPixelCenters))


def _emit(c, op: Operator, p: str, r: ResizeOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", r.input.shape) + c_text.dims(f"{p}_out", r.output.shape)
                  + c_text.array("int32_t", f"{p}_ys", np.array(r.source_y))
                  + c_text.array("int32_t", f"{p}_xs", np.array(r.source_x)))
    c.call("tc_resize_nearest_neighbor_s8", c.ptr(r.input), f"&{p}_in", c.ptr(r.output), f"&{p}_out",
           f"{p}_ys", f"{p}_xs")


def _resize(seed, align_corners=False, half_pixel_centers=False, scale=(2, 2)) -> KernelCase:
    """Nearest-neighbour resize to about `scale` times the input size (random, so it may not be a whole
    multiple)."""
    rng = np.random.default_rng(seed)
    shape = random_shape(rng, 4)
    size = [max(1, int(d * s + rng.integers(-1, 2))) for d, s in zip(shape[1:3], scale)]
    return KernelCase("RESIZE_NEAREST_NEIGHBOR", lambda tf, x: tf.compat.v1.image.resize_nearest_neighbor(
        x, size, align_corners=align_corners, half_pixel_centers=half_pixel_centers), shape, seed,
        options={"alignCorners": align_corners, "halfPixelCenters": half_pixel_centers})


_CASES = {
    "resize_up": functools.partial(_resize, 121),
    "resize_down": functools.partial(_resize, 122, scale=(0.5, 0.7)),
    "resize_align_corners": functools.partial(_resize, 123, True),
    "resize_align_corners_to_1": functools.partial(_resize, 124, True, scale=(0.1, 0.1)),
    "resize_half_pixel_centers": functools.partial(_resize, 125, False, True),
    "resize_half_pixel_down_up": functools.partial(_resize, 128, False, True, (0.6, 1.5)),
}

OPS = (OpSpec(("RESIZE_NEAREST_NEIGHBOR",), resize_op, _emit, cases=_CASES),)
