"""The engine's lowering of the TFLite graph: a PAD whose only reader is a VALID conv (of at least 4
input channels or a small window, see _gathers_border_fast), depthwise conv or max pool becomes that
op's leading padding (Operator.lead_pad), so the padded tensor is never written nor planned. The kernels skip
every tap outside the image, which is exact where the padding value contributes nothing: the conv's
input zero point (its taps add (zp - zp) * w = 0, as TFLite-Micro's padded taps do), or for a max
pool a value at or below its clamp's minimum (it can never raise the clamped maximum, and an
all-padding window gives that minimum either way). An average pool counts its taps, so a PAD before
one stays. The trailing padding needs nothing: the output size is unchanged and taps past the
image's end are skipped.

The planner and the code generator lower the graph they are given; the PAD keeps its op index (its
place in the per-layer counts) as a FUSED_PAD, which has no registry entry: it reads and writes no
tensor and the code generator writes only its layer mark."""

from __future__ import annotations

import dataclasses

from ..graph import Graph, Operator
from .ops.pad import pad_op
from .params import int8_io
from .quant import PADDING_VALID

FUSED_PAD = "FUSED_PAD"   # the op a folded PAD leaves: no kernel, only its layer mark in model.c
_ZERO_POINT_PADDED = ("CONV_2D", "DEPTHWISE_CONV_2D")
# A conv on fewer input channels takes the whole-window path on DSP cores (conv2d_window.c). Its small
# windows (window_small: at most 3 rows of at most 3 bytes, no dilation across) are gathered across the
# border a word a row, so the default detector's PAD (64x64x1, 3x3 stride 2) folds; the others
# (window_pairs) gather such a window a byte at a time, which cost that conv 32.7 k instructions more than
# the PAD's 7.4 k when it took it (Cortex-M4, QEMU): such a PAD stays (the fold itself is exact, tested).
_WINDOW_PATH_CHANNELS = 4
_SMALL_ROWS, _SMALL_ROW_BYTES = 3, 3


def lower(graph: Graph) -> Graph:
    """The graph with every foldable PAD folded into its reader (see the module's docstring)."""
    ops = list(graph.operators)
    for op in graph.operators:
        reader = _fold_target(graph, op)
        if reader is not None:
            lead = pad_op(graph, op).before[1:3]
            ops[reader.index] = dataclasses.replace(reader, inputs=(op.inputs[0], *reader.inputs[1:]),
                                                    lead_pad=lead)
            ops[op.index] = Operator(op.index, FUSED_PAD, (), (), None)
    return dataclasses.replace(graph, operators=tuple(ops))


def _fold_target(graph: Graph, op: Operator) -> Operator | None:
    """The op a PAD folds into, or None: its output is read once, as the first input of a VALID
    window op, the padding is on the rows and columns only and its value pads exactly (module doc)."""
    if op.opcode not in ("PAD", "PADV2") or op.outputs[0] in graph.outputs:
        return None
    readers = [r for r in graph.operators if op.outputs[0] in r.inputs]
    if len(readers) != 1 or readers[0].inputs.count(op.outputs[0]) != 1 or readers[0].inputs[0] != op.outputs[0]:
        return None
    reader = readers[0]
    if reader.opcode not in (*_ZERO_POINT_PADDED, "MAX_POOL_2D"):
        return None
    try:
        pad = pad_op(graph, op)
    except ValueError:
        return None
    paddings = graph.tensors[op.inputs[1]].data
    inp, out = pad.input, pad.output
    if (len(inp.shape) != 4 or paddings[0].any() or paddings[3].any() or inp.dtype != "INT8"
            or (inp.scale, inp.zero_point) != (out.scale, out.zero_point)
            or getattr(reader.options, "padding", None) != PADDING_VALID):
        return None
    if reader.opcode == "CONV_2D" and not _gathers_border_fast(graph, reader):
        return None
    if reader.opcode in _ZERO_POINT_PADDED:
        exact = pad.pad_value == out.zero_point[0]
    else:
        exact = pad.pad_value <= int8_io(out, graph.tensors[reader.outputs[0]],
                                         reader.options.fusedActivationFunction).act_min
    return reader if exact else None


def _gathers_border_fast(graph: Graph, conv: Operator) -> bool:
    """Whether the conv's kernel gathers windows across the padding as fast as inside it: the general and
    matrix-product paths (4 or more input channels) and window_small (module's comment above)."""
    _, rows, cols, channels = graph.tensors[conv.inputs[1]].shape
    dilation_w = getattr(conv.options, "dilationWFactor", 1) or 1
    return channels >= _WINDOW_PATH_CHANNELS or (rows <= _SMALL_ROWS and cols * channels <= _SMALL_ROW_BYTES
                                                 and dilation_w == 1)
