"""CONV_2D (OHWI weights), DEPTHWISE_CONV_2D (1HWC) and FULLY_CONNECTED ([units, depth]): int8 weights
with per-tensor or per-channel requantization (conv2d.c, depthwise_conv2d.c,
depthwise_plane.c, fully_connected.c). CONV_2D and FULLY_CONNECTED weights may instead be emitted
pre-widened to int16 (wide_weights.py) for the wide kernels (conv2d_matmul.c, fully_connected.c), a
fully-connected layer whose requantisation fc_fuses proves fast as one stream with its biases and scales
(fully_connected_fused.c), a 1x1 convolution that pointwise_fuses takes likewise (conv2d_pointwise_fused.c), a
depthwise layer that the channel-plane kernel takes as its channels' records
(plane_stream.py, depthwise_plane.c)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import c_text, plane_stream, quant, wide_weights
from ..kernel_case import KernelCase, activation, normal
from ..op_spec import OpSpec, WideGain
from ..params import Int8IO, Requant, Window, int8_io, nhwc, window
from ..window_in_place import in_place_shift


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
        conv_window = window(op.options, inp, weights.shape[1], weights.shape[2], op.lead_pad)
    return WeightedOp(inp, weights, bias, out, int8_io(inp, out, op.options.fusedActivationFunction),
                      Requant(multiplier, shift), conv_window)


# Instructions per MAC the wide inner loops save (tc_block2x2 18 -> 14 per 16 MACs of 2 pixels x 2
# channels; fc_block 23 -> 15 per 16 MACs of 4 units).
_SAVED_PER_MAC = {"CONV_2D": 4 / 16, "FULLY_CONNECTED": 8 / 16}
_CONV_WIDE_MAX_DEPTH = 288    # MATMUL_MAX_DEPTH: the matmul path's band of filter rows
_FC_WIDE_MAX_DEPTH = 640      # FC_MAX_DEPTH: the expanded input row


def _conv_bands_fit(row_bytes: int, depth: int) -> bool:
    """conv2d_matmul.c's tc_conv2d_matmul_fits and wide_bands_fit on the window's shape: filter rows the
    matmul path takes, in one band or in bands of whole words (the int16 layout splits there)."""
    band_rows = _CONV_WIDE_MAX_DEPTH // row_bytes
    return band_rows > 0 and (depth <= _CONV_WIDE_MAX_DEPTH or band_rows * row_bytes % 4 == 0)


def _wide_gain(graph: Graph, op: Operator) -> WideGain | None:
    """The flash and instructions of int16 weights, for the shapes whose DSP path reads them: the conv
    matmul path (at least 4 input and output channels, more than one output pixel, filter rows of at most
    288 bytes, windows deeper than that in bands of whole words), fully-connected rows of at most 640
    inputs and the depthwise layers of the channel-plane kernel (their records in place of the int8 weights,
    bias and scale arrays)."""
    if op.opcode not in _SAVED_PER_MAC and op.opcode != "DEPTHWISE_CONV_2D":
        return None
    try:
        w = weighted_op(graph, op)
    except ValueError:
        return None
    if op.opcode == "DEPTHWISE_CONV_2D":
        if not plane_fits(w):
            return None
        channels = w.weights.shape[3]
        code = plane_stream.passes_code_bytes(plane_stream.passes(nhwc(w.input.shape), nhwc(w.output.shape), w.window,
                                                                  w.io))
        return WideGain(plane_stream.stream_bytes(channels) - _int8_bytes(w) + code,
                        plane_stream.SAVED_PER_CHANNEL * channels)
    rows, depth = w.weights.shape[0], int(np.prod(w.weights.shape[1:]))
    outputs = int(np.prod(w.output.shape)) // rows
    if op.opcode == "CONV_2D":
        in_c = nhwc(w.input.shape)[3]
        if in_c != w.weights.shape[3] or in_c < 4 or not _conv_bands_fit(w.weights.shape[2] * in_c, depth) \
                or outputs < 2 or rows < 4:
            return None
        extra = wide_weights.extra_bytes(rows, depth, wide_weights.CONV_BLOCK)
        weight_bytes = rows * depth + extra
        if pointwise_fuses(w):   # the stream holds the biases and scales too, in place of their own arrays
            weight_bytes = wide_weights.fused_pointwise_bytes(rows, depth)
            extra = weight_bytes - _int8_bytes(w) + wide_weights.fused_blocks_code_bytes(depth, rows)
        return WideGain(extra, round(_SAVED_PER_MAC[op.opcode] * rows * depth * outputs), weight_bytes,
                        _conv_weight_reads(depth, outputs, pointwise_fuses(w)))
    elif depth > _FC_WIDE_MAX_DEPTH:
        return None
    elif fc_fuses(w):   # the stream holds the biases and scales too, in place of their own arrays
        extra = wide_weights.fused_fc_bytes(rows, depth) - _int8_bytes(w)
    else:
        extra = wide_weights.extra_bytes(rows, depth, wide_weights.FC_BLOCK)
    return WideGain(extra, round(_SAVED_PER_MAC[op.opcode] * rows * depth * outputs))


def _conv_weight_reads(depth: int, pixels: int, fused: bool) -> int:
    """How many times per inference the DSP conv kernels read a layer's int16 weights, at least: once per three
    output pixels (the triples and the fused stream's blocks; pairs read them more often), but once in all over 8 or
    16 channels of a 1x1 window off the fused stream (tc_pointwise_pixels copies them into its stream)."""
    return 1 if depth <= 16 and not fused else -(-pixels // 3)


def _int8_bytes(w: WeightedOp) -> int:
    """Flash of the layer's int8 weights, bias and multiplier and shift arrays."""
    return w.weights.data.nbytes + (4 * w.bias.data.size if w.bias is not None else 0) + 8 * len(w.requant.multiplier)


def _per_unit(values: np.ndarray, units: int) -> np.ndarray:
    """A per-tensor value repeated for each unit, or the per-channel values."""
    return np.broadcast_to(np.asarray(values, np.int64), (units,))


def fast_scale(shift: np.ndarray, input_zero_point: int, bias: np.ndarray | None, terms: int) -> bool:
    """tc_output_params_of's fast_scale: right shifts 1 to 22 and every sum of `terms` products of an int8 weight
    and an input less its zero point, with its bias, below 2^30 for any input; TC_SCALE_DOUBLED_ASM then equals
    tc_requantize (tests/test_requant_proof.py)."""
    sums = 128 * (128 + abs(input_zero_point)) * terms
    largest_bias = int(np.abs(np.asarray(bias, np.int64)).max()) if bias is not None and np.size(bias) else 0
    shifts = np.asarray(shift)
    return bool(np.all((shifts >= -22) & (shifts <= -1))) and largest_bias + sums < 1 << 30


def _fast_scale(w: WeightedOp, terms: int) -> bool:
    return fast_scale(w.requant.shift, w.io.input_zero_point, w.bias.data if w.bias is not None else None, terms)


def fc_fuses(w: WeightedOp) -> bool:
    """Whether tc_fully_connected_fused_s8 takes the layer: depth and units multiples of 4, the output range
    [-128, 127] (SSAT's) and the requantisation fast (fast_scale)."""
    units, depth = w.weights.shape
    return (units % 4 == 0 and depth % 4 == 0 and (w.io.act_min, w.io.act_max) == (-128, 127)
            and _fast_scale(w, depth))


def pointwise_fuses(w: WeightedOp) -> bool:
    """Whether tc_pointwise_fused_s8 takes the layer: a 1x1 CONV_2D without padding over a depth that is a multiple of
    16 from 16 to 288 (three pixels' lanes on the stack), into an even channel count at 3 output pixels or more, the
    output range [-128, 127] (SSAT's) and the requantisation fast (fast_scale). Over 8 inputs tc_pointwise_pixels
    is the faster (MobileNet's 48x48 layer: 640 k against 737 k estimated cycles on the M4, its stream unstaged)."""
    if w.window is None or tuple(w.weights.shape[1:3]) != (1, 1):
        return False
    channels, depth = w.weights.shape[0], w.weights.shape[3]
    return (depth % 16 == 0 and 16 <= depth <= _CONV_WIDE_MAX_DEPTH and nhwc(w.input.shape)[3] == depth
            and channels % 2 == 0 and int(np.prod(w.output.shape)) // channels >= 3
            and (w.window.pad_top, w.window.pad_left) == (0, 0) and (w.io.act_min, w.io.act_max) == (-128, 127)
            and _fast_scale(w, depth))


def plane_fits(w: WeightedOp) -> bool:
    """Whether a depthwise layer runs on its channels' records (plane_stream.fits)."""
    return plane_stream.fits(nhwc(w.input.shape), tuple(w.weights.shape), nhwc(w.output.shape), w.window, w.io,
                             np.asarray(w.requant.multiplier), _fast_scale(w, 9))


def _emit_plane_stream(c, p: str, w: WeightedOp) -> None:
    """The depthwise layer as its channels' records (plane_stream.stream) for tc_depthwise_plane_stream_s8, with its
    passes instantiated for its output step where the kernel has them (plane_stream.passes)."""
    channels = w.weights.shape[3]
    bias = w.bias.data if w.bias is not None else np.zeros(channels, np.int32)
    records = plane_stream.stream(w.weights.data, bias, _per_unit(w.requant.multiplier, channels),
                                  -_per_unit(w.requant.shift, channels), w.io)
    c.data.append(f"/* {c_text.comment(w.weights.name)} {list(w.weights.shape)} with its biases and scales, "
                  f"a record per channel */\n"
                  + c_text.array("int32_t", f"{p}_planes", records, "MODEL_ALIGN16") + c_text.int8_io(f"{p}_io", w.io)
                  + c_text.dims(f"{p}_in", w.input.shape) + c_text.dims(f"{p}_out", w.output.shape)
                  + c_text.window(f"{p}_win", w.window))
    c.call("tc_depthwise_plane_stream_s8", c.ptr(w.input), f"&{p}_in", f"{p}_planes", c.ptr(w.output), f"&{p}_out",
           f"&{p}_win", f"&{p}_io", _plane_passes(c, w))


def _plane_passes(c, w: WeightedOp) -> str:
    """The layer's passes for its shape (depthwise_plane_walks.h), instantiated in model.c once for every layer of that
    shape, or NULL."""
    kind = plane_stream.passes(nhwc(w.input.shape), nhwc(w.output.shape), w.window, w.io)
    if kind is None:
        return "NULL"
    what, shape = kind
    name = f"plane_{what}_{'x'.join(map(str, shape))}"
    ring, small = (f"{name}_fn", "NULL") if what == "ring" else ("NULL", f"{name}_fn")
    c.once('#include "depthwise_plane_walks.h"\n')
    c.once(f"/* the depthwise passes of {what} {list(shape)} */\n"
           f"TC_PLANE_{what.upper()}_AT({name}_fn, {', '.join(map(str, shape))})\n"
           f"TC_PLANE_PASSES({name}, {ring}, {small})\n")
    return f"TC_PLANE_PASSES_OF({name})"


def _emit_fused_fc(c, op: Operator, p: str, w: WeightedOp) -> None:
    """The layer as one stream (wide_weights.fuse_fc) for tc_fully_connected_fused_s8."""
    units, depth = w.weights.shape
    bias = w.bias.data if w.bias is not None else np.zeros(units, np.int32)
    stream = wide_weights.fuse_fc(w.weights.data, bias, _per_unit(w.requant.multiplier, units),
                                  -_per_unit(w.requant.shift, units), w.io.output_zero_point)
    c.data.append(f"/* {c_text.comment(w.weights.name)} {list(w.weights.shape)} with its biases and scales, "
                  f"in blocks of {wide_weights.FC_BLOCK} units */\n"
                  + c_text.array("int32_t", f"{p}_fused", stream, "MODEL_ALIGN16") + c_text.int8_io(f"{p}_io", w.io))
    c.call("tc_fully_connected_fused_s8", c.ptr(w.input), int(np.prod(w.input.shape)) // depth, depth, f"{p}_fused",
           units, c.ptr(w.output), f"&{p}_io")


def _emit_fused_pointwise(c, op: Operator, p: str, w: WeightedOp) -> None:
    """The 1x1 layer as one stream (wide_weights.fuse_pointwise) for tc_pointwise_fused_s8."""
    channels = w.weights.shape[0]
    bias = w.bias.data if w.bias is not None else np.zeros(channels, np.int32)
    multiplier, right = _per_unit(w.requant.multiplier, channels), -_per_unit(w.requant.shift, channels)
    stream = wide_weights.fuse_pointwise(w.weights.data.reshape(channels, -1), bias, multiplier, right,
                                         w.io.output_zero_point)
    c.data.append(f"/* {c_text.comment(w.weights.name)} {list(w.weights.shape)} with its biases and scales, "
                  f"doubled, in blocks of {wide_weights.CONV_BLOCK} channels */\n"
                  + c_text.array("int32_t", f"{p}_fused", stream, "MODEL_ALIGN16") + c_text.int8_io(f"{p}_io", w.io)
                  + c_text.dims(f"{p}_in", w.input.shape) + c_text.dims(f"{p}_out", w.output.shape)
                  + c_text.window(f"{p}_win", w.window))
    c.call("tc_pointwise_fused_s8", c.ptr(w.input), f"&{p}_in", _staged(c, op, f"{p}_fused", "int32_t"),
           c.ptr(w.output), f"&{p}_out", f"&{p}_win", f"&{p}_io", _fused_blocks(c, w))


def _fused_blocks(c, w: WeightedOp) -> str:
    """The blocks for the 1x1 layer's depth and channels (conv2d_pointwise_fused.h), instantiated in model.c once for
    every layer of that shape."""
    depth, channels = nhwc(w.input.shape)[3], w.weights.shape[0]
    name = f"fused_{depth}x{channels}"
    shape = ", ".join(map(str, wide_weights.fused_blocks_shape(depth, channels)))
    c.once('#include "conv2d_pointwise_fused.h"\n')
    c.once(f"/* the 1x1 blocks of {depth} inputs and {channels} outputs */\n"
           f"TC_POINTWISE_FUSED_AT({name}_blocks, {shape})\n"
           f"TC_POINTWISE_PASSES({name}, {name}_blocks)\n")
    return f"TC_POINTWISE_PASSES_OF({name})"


def _staged(c, op: Operator, array: str, ctype: str) -> str:
    """The weights' array, or for the ops in c.staged its copy in arena bytes free during the layer."""
    if op.index not in c.staged:
        return array
    c.calls.append("    /* its weights read from RAM: copied into arena bytes free during the layer */\n")
    c.call("tc_copy_words", f"arena + {c.staged[op.index]}", array, f"sizeof {array}")
    return f"(const {ctype} *)(arena + {c.staged[op.index]})"


def _weights(c, op: Operator, p: str, w: WeightedOp) -> tuple[str, str]:
    """The weights' array and the kernel name's layout suffix: int8 as the graph holds them, or int16
    pre-widened for the ops in c.wide, read from the arena for those in c.staged (copied there first)."""
    if op.index not in c.wide:
        return c.const(w.weights, "int8_t"), ""
    rows = w.weights.data.reshape(w.weights.shape[0], -1)
    block = wide_weights.CONV_BLOCK if op.opcode == "CONV_2D" else wide_weights.FC_BLOCK
    c.data.append(f"/* {c_text.comment(w.weights.name)} {list(w.weights.shape)}, int16 in blocks of {block} */\n"
                  + c_text.array("int16_t", f"{p}_wide", wide_weights.widen(rows, block), "MODEL_ALIGN16"))
    return _staged(c, op, f"{p}_wide", "int16_t"), "_wide"


def _emit(c, op: Operator, p: str, w: WeightedOp) -> None:
    if op.opcode == "FULLY_CONNECTED" and op.index in c.wide and fc_fuses(w):
        _emit_fused_fc(c, op, p, w)
        return
    if op.opcode == "DEPTHWISE_CONV_2D" and op.index in c.wide:
        _emit_plane_stream(c, p, w)
        return
    if op.opcode == "CONV_2D" and op.index in c.wide and pointwise_fuses(w):
        _emit_fused_pointwise(c, op, p, w)
        return
    weights, layout = _weights(c, op, p, w)
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
        c.call(f"tc_fully_connected{layout}_s8", c.ptr(w.input), batches, depth, weights, units, bias_arg,
               c.ptr(w.output), f"&{p}_io", f"&{p}_rq")
        return
    c.data.append(c_text.dims(f"{p}_in", w.input.shape) + c_text.dims(f"{p}_w", w.weights.shape)
                  + c_text.dims(f"{p}_out", w.output.shape) + c_text.window(f"{p}_win", w.window))
    kernel = f"tc_conv2d{layout}_s8" if op.opcode == "CONV_2D" else "tc_depthwise_conv2d_s8"
    c.call(kernel, c.ptr(w.input), f"&{p}_in", weights, f"&{p}_w", bias_arg, c.ptr(w.output),
           f"&{p}_out", f"&{p}_win", f"&{p}_io", f"&{p}_rq")


def _in_place_shift(graph: Graph, op: Operator) -> int | None:
    """DEPTHWISE_CONV_2D with depth multiplier 1 may write below its input (window_in_place.py); a
    variant its kernel cannot take is left to require_runnable to refuse."""
    if op.opcode != "DEPTHWISE_CONV_2D":
        return None
    try:
        w = weighted_op(graph, op)
    except ValueError:
        return None
    return in_place_shift(nhwc(w.input.shape), nhwc(w.output.shape), w.window)


def _conv(seed, stride, padding, act, dilation=1, bias=True) -> KernelCase:
    rng = np.random.default_rng(seed)
    h, w, cin, cout = rng.integers(6, 13), rng.integers(6, 13), rng.integers(1, 9), rng.integers(1, 9)
    kernel, b = normal(rng, rng.choice([3, 5]), rng.choice([2, 3, 5]), cin, cout), normal(rng, cout)

    def build(tf, x):
        y = tf.nn.conv2d(x, kernel, stride, padding, dilations=dilation)
        return activation(tf, y + b if bias else y, act)
    return KernelCase("CONV_2D", build, (1, h, w, cin), seed, act)


def _conv_wide(seed, h, w, cin, cout, size, stride, padding, act, dilation=1) -> KernelCase:
    """A conv whose weights the wide kernels take (at least 4 input and output channels)."""
    rng = np.random.default_rng(seed)
    kernel, b = normal(rng, size, size, cin, cout), normal(rng, cout)
    return KernelCase("CONV_2D", lambda tf, x: activation(
        tf, tf.nn.conv2d(x, kernel, stride, padding, dilations=dilation) + b, act), (1, h, w, cin), seed, act,
        wide_weights=True)


def _depthwise(seed, multiplier, stride, padding, act, dilation=1) -> KernelCase:
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(6, 13), rng.integers(6, 13), rng.integers(1, 9)
    kernel, b = normal(rng, rng.choice([3, 5]), rng.choice([2, 3]), c, multiplier), normal(rng, c * multiplier)
    strides = [1, stride, stride, 1]
    return KernelCase("DEPTHWISE_CONV_2D", lambda tf, x: activation(tf, tf.nn.depthwise_conv2d(
        x, kernel, strides, padding, dilations=[dilation, dilation]) + b, act), (1, h, w, c), seed, act)


def _depthwise_records(seed, h, w, c, stride, padding, act) -> KernelCase:
    """A 3x3 depthwise layer the channel-plane kernel takes, on its channels' records (plane_stream.py)."""
    rng = np.random.default_rng(seed)
    kernel, b = normal(rng, 3, 3, c, 1), normal(rng, c)
    return KernelCase("DEPTHWISE_CONV_2D", lambda tf, x: activation(tf, tf.nn.depthwise_conv2d(
        x, kernel, [1, stride, stride, 1], padding) + b, act), (1, h, w, c), seed, act, wide_weights=True)


def _dense(seed, per_channel, act, batches=1, depth=None, units=None, wide=False) -> KernelCase:
    rng = np.random.default_rng(seed)
    depth, units = depth or rng.integers(4, 65), units or rng.integers(2, 33)
    kernel, b = normal(rng, depth, units), normal(rng, units)
    return KernelCase("FULLY_CONNECTED", lambda tf, x: activation(tf, tf.matmul(x, kernel) + b, act),
                      (batches, depth), seed, act, per_channel_dense=per_channel, wide_weights=wide)


_CASES = {
    "conv_s1_same_relu": functools.partial(_conv, 11, 1, "SAME", "relu"),
    "conv_s2_same_relu6": functools.partial(_conv, 12, 2, "SAME", "relu6"),
    "conv_s1_valid_none": functools.partial(_conv, 13, 1, "VALID", "none"),
    "conv_s2_valid_relu": functools.partial(_conv, 14, 2, "VALID", "relu"),
    "conv_dilation2_same": functools.partial(_conv, 15, 1, "SAME", "none", 2),
    # the converter gives a bias-free conv an all-zero bias, which the harness passes as NULL
    "conv_no_bias_relu_n1_to_1": functools.partial(_conv, 16, 1, "SAME", "relu_n1_to_1", bias=False),
    "dw_m1_s1_same_relu6": functools.partial(_depthwise, 21, 1, 1, "SAME", "relu6"),
    "dw_m2_s2_same_none": functools.partial(_depthwise, 22, 2, 2, "SAME", "none"),
    "dw_m1_s2_valid_relu": functools.partial(_depthwise, 23, 1, 2, "VALID", "relu"),
    "dw_m2_dilation2_valid": functools.partial(_depthwise, 24, 2, 1, "VALID", "none", 2),
    # multiplier 1 runs in place in these single-op models (window_in_place.py)
    "dw_m1_dilation2_same_relu": functools.partial(_depthwise, 25, 1, 1, "SAME", "relu", 2),
    "dw_m1_s2_same_none": functools.partial(_depthwise, 26, 1, 2, "SAME", "none"),
    "fc_per_channel_relu": functools.partial(_dense, 31, True, "relu"),
    "fc_per_tensor_none": functools.partial(_dense, 32, False, "none"),
    "fc_per_channel_batch3": functools.partial(_dense, 33, True, "none", 3),
    # int16 pre-widened weights: odd channel counts and depths, padding on every side, stride 2, dilation,
    # 1x1 read in place, fully-connected rows not a multiple of 4, odd input length, batch > 1
    "conv_wide_odd_same_relu": functools.partial(_conv_wide, 41, 7, 6, 5, 7, 3, 1, "SAME", "relu"),
    "conv_wide_s2_valid": functools.partial(_conv_wide, 42, 9, 8, 8, 6, 3, 2, "VALID", "none"),
    "conv_wide_dilation2_same": functools.partial(_conv_wide, 43, 8, 7, 4, 5, 3, 1, "SAME", "relu6", 2),
    "conv_wide_1x1_odd": functools.partial(_conv_wide, 44, 5, 3, 13, 9, 1, 1, "VALID", "none"),
    # 576-byte windows (ResNet-8's 3x3x64): the DSP path reads them in bands of filter rows
    "conv_wide_deep_same": functools.partial(_conv_wide, 47, 5, 4, 64, 7, 3, 1, "SAME", "relu"),
    "fc_wide_odd_depth_per_channel": functools.partial(_dense, 45, True, "relu", 1, 37, 11, True),
    "fc_wide_per_tensor_batch3": functools.partial(_dense, 46, False, "none", 3, 64, 10, True),
    # fused streams (fc_fuses: depth and units multiples of 4, the output range [-128, 127])
    "fc_fused_per_channel_relu": functools.partial(_dense, 48, True, "relu", 1, 40, 12, True),
    "fc_fused_per_tensor_batch2": functools.partial(_dense, 49, False, "none", 2, 16, 8, True),
    # 1x1 on fused streams (pointwise_fuses: depth a multiple of 16 from 32, even channels, [-128, 127]), stride 2
    "conv_fused_1x1_s1": functools.partial(_conv_wide, 54, 5, 4, 48, 6, 1, 1, "VALID", "none"),
    "conv_fused_1x1_s2_relu": functools.partial(_conv_wide, 55, 7, 6, 32, 10, 1, 2, "SAME", "relu"),
    # depthwise on channel records: the ring at stride 1 and 2 (a narrow range), rows of 6 into [-128, 127]
    "dw_records_s1_same_relu6": functools.partial(_depthwise_records, 51, 8, 12, 6, 1, "SAME", "relu6"),
    "dw_records_s2_same_none": functools.partial(_depthwise_records, 52, 12, 20, 5, 2, "SAME", "none"),
    "dw_records_6x6x16_none": functools.partial(_depthwise_records, 53, 6, 6, 16, 1, "SAME", "none"),
}

OPS = (OpSpec(("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"), weighted_op, _emit,
              in_place_shift=_in_place_shift, cases=_CASES, wide=_wide_gain),)
