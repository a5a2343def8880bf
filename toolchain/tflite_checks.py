"""Checks on a parsed TFLite model (the schema's object tree) before tinyctl reads it: every index,
length, name and shape must agree with the flatbuffer, so a damaged or hostile file is one clear error
naming the tensor or op, never an IndexError three stages later."""

from __future__ import annotations

import math

from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from .errors import TinyctlError

HINT = "the file is damaged or not written by the TFLite converter; re-export the model"
MAX_RANK = 8
MAX_ELEMENTS = (1 << 31) - 1          # TFLite-Micro and the engine count elements in int32
TYPE_NAMES = {code: name for name, code in vars(schema.TensorType).items() if not name.startswith("_")}
ITEM_BYTES = {"INT8": 1, "UINT8": 1, "BOOL": 1, "INT16": 2, "FLOAT16": 2, "INT32": 4, "FLOAT32": 4, "INT64": 8}
_ZERO_POINT_RANGE = {"INT8": (-128, 127), "UINT8": (0, 255)}
# Inputs every reader of an op indexes by position (an omitted optional input is -1).
_REQUIRED_INPUTS = {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 2, "FULLY_CONNECTED": 2, "TRANSPOSE_CONV": 3, "MEAN": 2,
                    "SUM": 2, "REDUCE_MAX": 2, "PAD": 2, "PADV2": 2, "MIRROR_PAD": 2, "RESIZE_NEAREST_NEIGHBOR": 2,
                    "RESIZE_BILINEAR": 2, "ADD": 2, "SUB": 2, "MUL": 2, "DIV": 2, "MAXIMUM": 2, "MINIMUM": 2,
                    "SQUARED_DIFFERENCE": 2, "PRELU": 2, "TRANSPOSE": 2, "STRIDED_SLICE": 4, "SLICE": 3,
                    "GATHER": 2, "BATCH_MATMUL": 2}
# The options object whose fields the engine and code generators read.
_OPTIONS = {"CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
            "FULLY_CONNECTED": "FullyConnectedOptions", "MAX_POOL_2D": "Pool2DOptions",
            "AVERAGE_POOL_2D": "Pool2DOptions", "SOFTMAX": "SoftmaxOptions", "ADD": "AddOptions",
            "SUB": "SubOptions", "MUL": "MulOptions", "LEAKY_RELU": "LeakyReluOptions",
            "CONCATENATION": "ConcatenationOptions", "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions"}

_ENUM = {"padding": schema.Padding, "fusedActivationFunction": schema.ActivationFunctionType}
# Window and enum fields of the options the engine and code generators compute with.
_OPTION_VALUES = {
    **{field: (lambda v: v >= 1) for field in ("strideH", "strideW", "dilationHFactor", "dilationWFactor",
                                                "filterHeight", "filterWidth")},
    **{field: (lambda v, enum=enum: v in vars(enum).values()) for field, enum in _ENUM.items()},
}


def refuse(what: str) -> TinyctlError:
    return TinyctlError(f"invalid TFLite model: {what}", HINT)


def text(value, what: str) -> str:
    """A flatbuffer string as text; names that are not UTF-8 are refused."""
    if value is None or isinstance(value, str):
        return value or ""
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise refuse(f"{what} is not UTF-8 text") from None


def ints(values) -> tuple[int, ...]:
    return tuple(int(v) for v in (values if values is not None else ()))


def check_tensor(index: int, name: str, t: schema.TensorT, buffers: list) -> None:
    """Type, shape, buffer and quantization of one tensor agree with each other."""
    label = f"tensor {name!r} (#{index})"
    if t.type not in TYPE_NAMES:
        raise refuse(f"{label} has unknown type code {t.type}")
    shape = ints(t.shape)
    if len(shape) > MAX_RANK or any(d < 1 for d in shape) or math.prod(shape) > MAX_ELEMENTS:
        raise refuse(f"{label} has shape {list(shape)}: dimensions must be positive, at most {MAX_RANK} of "
                     f"them and {MAX_ELEMENTS:,} elements in all")
    if t.sparsity is not None:
        raise refuse(f"{label} is sparse; tinyctl reads dense models only")
    if not 0 <= t.buffer < len(buffers):
        raise refuse(f"{label} names buffer {t.buffer}, the model has {len(buffers)}")
    _check_buffer(label, TYPE_NAMES[t.type], shape, buffers[t.buffer])
    if t.quantization is not None:
        _check_quantization(label, TYPE_NAMES[t.type], shape, t.quantization)


def _check_buffer(label: str, dtype: str, shape: tuple[int, ...], buffer: schema.BufferT) -> None:
    if buffer.offset > 1 or buffer.size:
        raise refuse(f"{label} keeps its data outside the flatbuffer; tinyctl reads models under 2 GB")
    size = len(buffer.data) if buffer.data is not None else 0
    if size and dtype in ITEM_BYTES and size != math.prod(shape) * ITEM_BYTES[dtype]:
        raise refuse(f"{label} has shape {list(shape)} of {dtype} ({math.prod(shape) * ITEM_BYTES[dtype]:,} B) "
                     f"but its buffer holds {size:,} B")


def _check_quantization(label: str, dtype: str, shape: tuple[int, ...], q: schema.QuantizationParametersT) -> None:
    scale = [float(s) for s in (q.scale if q.scale is not None else ())]
    zero_point = ints(q.zeroPoint)
    if not all(math.isfinite(s) and s > 0 for s in scale):
        raise refuse(f"{label} has a scale that is not a positive finite number: {scale[:8]}")
    if len(zero_point) != len(scale):
        raise refuse(f"{label} has {len(scale)} scales but {len(zero_point)} zero points")
    if len(scale) > 1 and not (0 <= q.quantizedDimension < len(shape) and shape[q.quantizedDimension] == len(scale)):
        raise refuse(f"{label} has {len(scale)} per-channel scales along dimension {q.quantizedDimension} "
                     f"of shape {list(shape)}")
    low, high = _ZERO_POINT_RANGE.get(dtype, (-(1 << 31), (1 << 31) - 1))
    if any(not low <= z <= high for z in zero_point):
        raise refuse(f"{label} has a zero point outside {low}..{high} for {dtype}: {list(zero_point[:8])}")


def check_operator(index: int, opcode: str, op: schema.OperatorT, tensor_count: int) -> None:
    """Tensor indices in range, the inputs readers index by position present, the options of the op's kind."""
    label = f"op #{index} ({opcode})"
    inputs, outputs = ints(op.inputs), ints(op.outputs)
    if any(not -1 <= i < tensor_count for i in inputs) or any(not 0 <= i < tensor_count for i in outputs):
        raise refuse(f"{label} names tensors {list(inputs)} -> {list(outputs)}, the model has {tensor_count}")
    required = _REQUIRED_INPUTS.get(opcode, 1)
    if len(inputs) < required or any(i < 0 for i in inputs[:required]) or not outputs:
        raise refuse(f"{label} needs {required} input(s) and an output, it has {list(inputs)} -> {list(outputs)}")
    expected = _OPTIONS.get(opcode)
    if expected is not None and not isinstance(op.builtinOptions, getattr(schema, expected + "T")):
        raise refuse(f"{label} lacks its {expected} (found {type(op.builtinOptions).__name__})")
    for field, valid in _OPTION_VALUES.items():
        value = getattr(op.builtinOptions, field, None)
        if value is not None and not valid(value):
            raise refuse(f"{label} has {field} {value}")


def check_dataflow(inputs: tuple[int, ...], outputs: tuple[int, ...], operators: list[tuple[tuple, tuple]],
                   constant: list[bool], variable: list[bool], names: list[str]) -> None:
    """Ops in execution order: each reads only constants, variables, graph inputs and what an earlier
    op wrote; no tensor is written twice."""
    written = set(inputs)
    for index, (op_inputs, op_outputs) in enumerate(operators):
        for i in op_inputs:
            if i >= 0 and not (constant[i] or variable[i]) and i not in written:
                raise refuse(f"op #{index} reads tensor {names[i]!r} (#{i}) before any op writes it")
        for i in op_outputs:
            if i in written or constant[i]:
                raise refuse(f"op #{index} writes tensor {names[i]!r} (#{i}), which is already a constant, "
                             "an input or another op's output")
            written.add(i)
    for i in outputs:
        if i not in written and not constant[i]:
            raise refuse(f"the model's output {names[i]!r} (#{i}) is written by no op")
