"""Small real models for the fuzzer to mutate, made in milliseconds without a converter: fully-int8
TFLite flatbuffers written through the TFLite schema (conv -> mean -> fully connected) and float ONNX
graphs built with onnx.helper (conv -> relu -> global pool -> gemm). The shipped checkpoint seeds .pt."""

from __future__ import annotations

import flatbuffers
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT

# (image side, channels, conv filters) of each seed; two shapes give the splices different layouts.
SHAPES = ((16, 1, 4), (24, 3, 8))


def _tensor(model: schema.ModelT, name: str, dtype: str, shape, scale, zero_point=None, data=None) -> int:
    buffer = schema.BufferT()
    if data is not None:
        buffer.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
    model.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.name, tensor.shape, tensor.buffer = name.encode(), list(shape), len(model.buffers) - 1
    tensor.type = getattr(schema.TensorType, dtype)
    tensor.quantization = schema.QuantizationParametersT()
    tensor.quantization.scale = list(np.atleast_1d(scale).astype(float))
    tensor.quantization.zeroPoint = list(zero_point if zero_point is not None else [0] * len(tensor.quantization.scale))
    model.subgraphs[0].tensors.append(tensor)
    return len(model.subgraphs[0].tensors) - 1


def _operator(model: schema.ModelT, opcode: str, inputs, outputs, options_type: str, options) -> None:
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, opcode)
    model.operatorCodes.append(code)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = len(model.operatorCodes) - 1, list(inputs), list(outputs)
    op.builtinOptionsType, op.builtinOptions = getattr(schema.BuiltinOptions, options_type), options
    model.subgraphs[0].operators.append(op)


def tiny_tflite(side: int, channels: int, filters: int, seed: int = 0) -> bytes:
    """A fully-int8 detector-shaped TFLite model: [1, side, side, channels] int8 in, [1, 1] int8 out."""
    rng = np.random.default_rng(seed)
    model = schema.ModelT()
    model.version, model.operatorCodes, model.buffers, model.subgraphs = 3, [], [schema.BufferT()], [schema.SubGraphT()]
    model.subgraphs[0].tensors, model.subgraphs[0].operators = [], []
    image = _tensor(model, "image", "INT8", [1, side, side, channels], 1 / 255, [-128])
    weights = _tensor(model, "conv/weights", "INT8", [filters, 3, 3, channels], rng.uniform(0.01, 0.02, filters),
                      data=rng.integers(-127, 128, (filters, 3, 3, channels), dtype=np.int8))
    bias = _tensor(model, "conv/bias", "INT32", [filters], np.full(filters, 1e-4),
                   data=rng.integers(-500, 500, filters, dtype=np.int32))
    conv = _tensor(model, "conv", "INT8", [1, side, side, filters], 0.05, [-128])
    axes = _tensor(model, "mean/axes", "INT32", [2], 1.0, data=np.array([1, 2], np.int32))
    pooled = _tensor(model, "mean", "INT8", [1, filters], 0.02, [-128])
    fc_weights = _tensor(model, "head/weights", "INT8", [1, filters], 0.01,
                         data=rng.integers(-127, 128, (1, filters), dtype=np.int8))
    fc_bias = _tensor(model, "head/bias", "INT32", [1], 2e-4, data=np.array([7], np.int32))
    logit = _tensor(model, "logit", "INT8", [1, 1], 0.1, [0])
    conv_options = schema.Conv2DOptionsT()
    conv_options.strideH = conv_options.strideW = 1
    _operator(model, "CONV_2D", [image, weights, bias], [conv], "Conv2DOptions", conv_options)
    _operator(model, "MEAN", [conv, axes], [pooled], "ReducerOptions", schema.ReducerOptionsT())
    _operator(model, "FULLY_CONNECTED", [pooled, fc_weights, fc_bias], [logit], "FullyConnectedOptions",
              schema.FullyConnectedOptionsT())
    model.subgraphs[0].inputs, model.subgraphs[0].outputs = [image], [logit]
    return pack(model)


def pack(model: schema.ModelT) -> bytes:
    """The .tflite bytes of a schema object tree."""
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def tiny_onnx(side: int, channels: int, filters: int, seed: int = 0) -> bytes:
    """A float detector-shaped ONNX model: [1, channels, side, side] in, [1, 1] out."""
    rng = np.random.default_rng(seed)
    initializers = [numpy_helper.from_array(rng.normal(size=(filters, channels, 3, 3)).astype(np.float32), "conv_w"),
                    numpy_helper.from_array(np.zeros(filters, np.float32), "conv_b"),
                    numpy_helper.from_array(rng.normal(size=(1, filters)).astype(np.float32), "head_w"),
                    numpy_helper.from_array(np.zeros(1, np.float32), "head_b")]
    nodes = [helper.make_node("Conv", ["image", "conv_w", "conv_b"], ["conv"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["conv"], ["relu"]),
             helper.make_node("GlobalAveragePool", ["relu"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["flat"]),
             helper.make_node("Gemm", ["flat", "head_w", "head_b"], ["logit"], transB=1)]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, channels, side, side])],
                              [helper.make_tensor_value_info("logit", TensorProto.FLOAT, [1, 1])], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def seeds() -> dict[str, list[bytes]]:
    """Seed files by suffix: two TFLite, two ONNX models and the shipped checkpoint."""
    return {".tflite": [tiny_tflite(*shape) for shape in SHAPES], ".onnx": [tiny_onnx(*shape) for shape in SHAPES],
            ".pt": [DEFAULT_CHECKPOINT.read_bytes()]}
