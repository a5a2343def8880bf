"""RESIZE_NEAREST_NEIGHBOR (resize_nearest_neighbor.c) and RESIZE_BILINEAR (resize_bilinear.c) of a
4-D int8 tensor to a constant size (TFLite-Micro takes no other)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text
from ..kernel_case import KernelCase, random_shape
from ..op_spec import OpSpec

_ONE = 1 << 10   # TFLite's integer bilinear resize works in 1/1024ths of a pixel


@dataclass(frozen=True)
class ResizeOp:
    """Nearest: the input row of each output row, the input column of each column. Bilinear: per
    output row (lower row offset, upper row offset, fraction) triplets, per column the same for
    columns; offsets in elements from the image's start, fractions in 1/1024ths."""
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


def _c_div(a: int, b: int) -> int:
    """C's integer division (truncates towards zero) for b > 0."""
    return a // b if a >= 0 else -(-a // b)


def _bilinear(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool,
              stride: int) -> tuple[int, ...]:
    """TFLite-Micro's ResizeBilinearInteger source coordinates for every output index: the scale rounded
    to 1/1024 pixel, then (lower * stride, upper * stride, position - 1024 * lower) per index. A half-pixel
    position left of the first pixel keeps its negative fraction, as TFLite's does."""
    if align_corners and out_size > 1:
        scale = (_ONE * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale = (_ONE * in_size + out_size // 2) // out_size
    taps = []
    for i in range(out_size):
        position = i * scale + scale // 2 - _ONE // 2 if half_pixel_centers else i * scale
        lower = max(_c_div(position, _ONE), 0)
        upper = min(_c_div(position + _ONE - 1, _ONE), in_size - 1)
        if lower > in_size - 1:   # TFLite-Micro would read past the input's edge
            raise ValueError(f"output index {i} of {out_size} maps past the input's {in_size} pixels")
        taps += [lower * stride, upper * stride, position - _ONE * lower]
    return tuple(taps)


def resize_op(graph: Graph, op: Operator) -> ResizeOp:
    inp, size, out = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if inp.dtype != "INT8" or len(inp.shape) != 4 or size.data is None or size.data.size != 2:
        raise ValueError(f"{graph.layer_name(op)}: only int8 4-D inputs resized to a constant size are supported")
    (_, in_h, in_w, depth), (out_h, out_w) = inp.shape, (int(v) for v in size.data)
    o = op.options
    if op.opcode == "RESIZE_NEAREST_NEIGHBOR":
        return ResizeOp(inp, out, _nearest(out_h, in_h, o.alignCorners, o.halfPixelCenters),
                        _nearest(out_w, in_w, o.alignCorners, o.halfPixelCenters))
    if o.alignCorners and o.halfPixelCenters:
        raise ValueError("align_corners and half_pixel_centers together (TFLite-Micro refuses them too)")
    if (list(inp.scale), list(inp.zero_point)) != (list(out.scale), list(out.zero_point)):
        raise ValueError("the output must be quantized like the input (TFLite's int8 resize does not rescale)")
    return ResizeOp(inp, out, _bilinear(out_h, in_h, o.alignCorners, o.halfPixelCenters, in_w * depth),
                    _bilinear(out_w, in_w, o.alignCorners, o.halfPixelCenters, depth))


def _emit(c, op: Operator, p: str, r: ResizeOp) -> None:
    c.data.append(c_text.dims(f"{p}_in", r.input.shape) + c_text.dims(f"{p}_out", r.output.shape)
                  + c_text.array("int32_t", f"{p}_ys", np.array(r.source_y))
                  + c_text.array("int32_t", f"{p}_xs", np.array(r.source_x)))
    kernel = "tc_resize_nearest_neighbor_s8" if op.opcode == "RESIZE_NEAREST_NEIGHBOR" else "tc_resize_bilinear_s8"
    c.call(kernel, c.ptr(r.input), f"&{p}_in", c.ptr(r.output), f"&{p}_out", f"{p}_ys", f"{p}_xs")


def _resize(seed, align_corners=False, half_pixel_centers=False, scale=(2, 2)) -> KernelCase:
    """Nearest-neighbour resize to about `scale` times the input size (random, so it may not be a whole
    multiple)."""
    rng = np.random.default_rng(seed)
    shape = random_shape(rng, 4)
    size = [max(1, int(d * s + rng.integers(-1, 2))) for d, s in zip(shape[1:3], scale)]
    return KernelCase("RESIZE_NEAREST_NEIGHBOR", lambda tf, x: tf.compat.v1.image.resize_nearest_neighbor(
        x, size, align_corners=align_corners, half_pixel_centers=half_pixel_centers), shape, seed,
        options={"alignCorners": align_corners, "halfPixelCenters": half_pixel_centers})


def _resize_bilinear(seed, shape, size, align_corners=False, half_pixel_centers=False) -> KernelCase:
    """Bilinear resize of an NHWC `shape` to `size` (height, width)."""
    return KernelCase("RESIZE_BILINEAR", lambda tf, x: tf.compat.v1.image.resize_bilinear(
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

_BILINEAR_CASES = {   # torch's F.interpolate(mode="bilinear", align_corners=False) exports as half_pixel_centers
    "resize_bilinear_x2_half_pixel_1_channel": functools.partial(_resize_bilinear, 131, (1, 3, 5, 1), (6, 10),
                                                                 half_pixel_centers=True),
    "resize_bilinear_x4_half_pixel_odd_channels": functools.partial(_resize_bilinear, 132, (1, 2, 3, 3), (8, 12),
                                                                    half_pixel_centers=True),
    "resize_bilinear_x2_plain_non_square": functools.partial(_resize_bilinear, 133, (1, 4, 3, 5), (8, 6)),
    "resize_bilinear_non_integer_half_pixel": functools.partial(_resize_bilinear, 134, (1, 5, 7, 7), (7, 10),
                                                                half_pixel_centers=True),
    "resize_bilinear_non_integer_plain": functools.partial(_resize_bilinear, 135, (1, 5, 4, 3), (7, 9)),
    "resize_bilinear_down_half_pixel": functools.partial(_resize_bilinear, 136, (1, 8, 7, 3), (5, 3),
                                                         half_pixel_centers=True),
    "resize_bilinear_align_corners": functools.partial(_resize_bilinear, 137, (1, 3, 4, 2), (7, 9), True),
    "resize_bilinear_align_corners_to_1": functools.partial(_resize_bilinear, 138, (1, 4, 5, 3), (1, 1), True),
}

OPS = (OpSpec(("RESIZE_NEAREST_NEIGHBOR",), resize_op, _emit, cases=_CASES),
       OpSpec(("RESIZE_BILINEAR",), resize_op, _emit, cases=_BILINEAR_CASES))
