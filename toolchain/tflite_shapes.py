"""Shape rules of the ops tinyctl's engine and TFLite-Micro's common kernels run: a model whose
connected tensors disagree (a conv output of batch 256 after a batch-1 input) makes the kernels read and
write outside their tensors, so TFLite-Micro crashes the process instead of refusing it."""

from __future__ import annotations

import math

import numpy as np

from .tflite_checks import refuse

SAME_PADDING = 0
SAME_SHAPE_OPS = frozenset({"RELU", "RELU6", "LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "QUANTIZE",
                            "DEQUANTIZE", "SOFTMAX", "ABS", "NEG", "ELU"})
BROADCAST_OPS = frozenset({"ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"})


def _window_out(size: int, kernel: int, stride: int, dilation: int, padding: int) -> int:
    """TFLite's output size of a strided window (ComputeOutSize)."""
    if padding == SAME_PADDING:
        return (size + stride - 1) // stride
    return (size - (kernel - 1) * dilation - 1) // stride + 1


def _expect(ok: bool, label: str, what: str, shapes: list[tuple[int, ...]]) -> None:
    if not ok:
        raise refuse(f"{label}: {what} (shapes {' -> '.join(str(list(s)) for s in shapes)})")


def _windowed(label: str, opts, inp, out, kernel_h: int, kernel_w: int) -> None:
    dil_h, dil_w = getattr(opts, "dilationHFactor", 1) or 1, getattr(opts, "dilationWFactor", 1) or 1
    expected = (_window_out(inp[1], kernel_h, opts.strideH, dil_h, opts.padding),
                _window_out(inp[2], kernel_w, opts.strideW, dil_w, opts.padding))
    _expect(len(inp) == len(out) == 4 and inp[0] == out[0] and out[1:3] == expected, label,
            f"the output must be batch {inp[0]} and {expected[0]}x{expected[1]}", [inp, out])


def _weighted(label: str, opcode: str, opts, shapes: list) -> None:
    inp, weights, bias, out = shapes
    if opcode == "FULLY_CONNECTED":
        rows = math.prod(inp) // weights[-1] if len(weights) == 2 and weights[-1] else 0
        _expect(len(weights) == 2 and rows * weights[1] == math.prod(inp) and out and out[-1] == weights[0]
                and math.prod(out) == rows * weights[0], label, "input, weights and output disagree", shapes[:2] + [out])
        channels = weights[0]
    else:
        depthwise = opcode == "DEPTHWISE_CONV_2D"
        _expect(len(inp) == len(weights) == 4, label, "input and weights must be 4-D", [inp, weights])
        channels = weights[3] if depthwise else weights[0]
        fits = (weights[0] == 1 and channels % inp[3] == 0 and out[-1:] == (channels,)) if depthwise else (
            inp[3] % weights[3] == 0 and out[-1:] == (channels,))
        _expect(fits, label, "the weights disagree with the input or output channels", [inp, weights, out])
        _windowed(label, opts, inp, out, weights[1], weights[2])
    _expect(bias is None or math.prod(bias) == channels, label, f"the bias must have {channels} values",
            [bias or (), (channels,)])


def check_op_shapes(index: int, opcode: str, inputs: tuple[int, ...], outputs: tuple[int, ...], options,
                    shapes: list[tuple[int, ...]]) -> None:
    """The output shape an op writes agrees with its inputs, for the ops whose rule is simple."""
    label = f"op #{index} ({opcode})"
    ins = [shapes[i] if i >= 0 else None for i in inputs]
    out = shapes[outputs[0]]
    if opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        _weighted(label, opcode, options, [ins[0], ins[1], ins[2] if len(ins) > 2 else None, out])
    elif opcode in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        _expect(len(ins[0]) == 4 and out[3:] == ins[0][3:], label, "pooling keeps the channels", [ins[0], out])
        _windowed(label, options, ins[0], out, options.filterHeight, options.filterWidth)
    elif opcode in SAME_SHAPE_OPS:
        _expect(out == ins[0], label, "the output must have the input's shape", [ins[0], out])
    elif opcode == "RESHAPE":
        _expect(math.prod(out) == math.prod(ins[0]), label, "a reshape keeps the element count", [ins[0], out])
    elif opcode in BROADCAST_OPS:
        try:
            broadcast = tuple(np.broadcast_shapes(ins[0], ins[1]))
        except ValueError:
            broadcast = None
        _expect(out == broadcast, label, "the output must be the inputs' broadcast shape", [ins[0], ins[1], out])
    elif opcode == "MEAN":
        _expect(math.prod(out) <= math.prod(ins[0]), label, "a mean cannot grow the tensor", [ins[0], out])
