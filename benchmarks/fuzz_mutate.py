"""Structure-aware mutations of model files, all drawn from one seeded numpy generator: bit flips,
integer fields set to edge values (in the raw bytes, in the TFLite object tree, in the ONNX protobuf and
in the checkpoint's dict), truncation, and splices between two real models."""

from __future__ import annotations

import io

import numpy as np
import onnx
import torch
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from benchmarks.fuzz_seeds import pack

EDGE_INTS = (0, 1, -1, 2, 3, 255, 256, 65535, 1 << 20, (1 << 31) - 1, -(1 << 31))
EDGE_FLOATS = (0.0, -1.0, float("nan"), float("inf"), -float("inf"), 1e-45, 3.4e38)
ODD_VALUES = ("x", "fast", [1, 2], [], {}, None, True, -1, 0, 1 << 40, float("nan"), [100000, 100000],
              [1, 100000, 100000], [3, 64], [1.5, 64, 64], {"input_shape": [1, 64, 64]})


def _pick(rng: np.random.Generator, values):
    return values[int(rng.integers(len(values)))]


def flip_bits(rng, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        buf[int(rng.integers(len(buf)))] ^= 1 << int(rng.integers(8))
    return bytes(buf)


def edge_word(rng, data: bytes) -> bytes:
    """A 4-byte aligned word (where flatbuffers keep offsets, lengths and int fields) set to an edge value."""
    buf = bytearray(data)
    at = int(rng.integers(len(buf) // 4)) * 4
    buf[at:at + 4] = (int(_pick(rng, EDGE_INTS)) & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(buf)


def truncate(rng, data: bytes) -> bytes:
    return data[:int(rng.integers(len(data)))]


def splice(rng, data: bytes, other: bytes) -> bytes:
    return data[:int(rng.integers(len(data)))] + other[int(rng.integers(len(other))):]


def _replaced(rng, values, value) -> list:
    """`values` (read-only numpy from the parser, or None) as a list with one random element set to `value`."""
    values = [int(v) if isinstance(value, int) else float(v) for v in (values if values is not None else ())]
    if not values:
        return [value]
    values[int(rng.integers(len(values)))] = value
    return values


def _tflite_field(rng, model: schema.ModelT) -> None:
    """One field of the object tree set to an edge value, a wrong length or a foreign value."""
    sub = model.subgraphs[0]
    tensor = _pick(rng, sub.tensors)
    op = _pick(rng, sub.operators)
    if tensor.quantization is None:
        tensor.quantization = schema.QuantizationParametersT()
    q = tensor.quantization
    edits = [
        lambda: setattr(tensor, "shape", _replaced(rng, tensor.shape, int(_pick(rng, EDGE_INTS)))),
        lambda: setattr(tensor, "shape", _replaced(rng, tensor.shape, 1)[:-1] or [int(_pick(rng, EDGE_INTS))]),
        lambda: setattr(tensor, "type", int(rng.integers(-128, 128))),
        lambda: setattr(tensor, "buffer", int(_pick(rng, EDGE_INTS)) & 0xFFFFFFFF),
        lambda: setattr(tensor, "name", bytes(rng.integers(0, 256, int(rng.integers(1, 12)), dtype=np.uint8))),
        lambda: setattr(q, "scale", _replaced(rng, q.scale, float(_pick(rng, EDGE_FLOATS)))),
        lambda: setattr(q, "zeroPoint", [int(_pick(rng, EDGE_INTS))] * int(rng.integers(0, 4))),
        lambda: setattr(q, "quantizedDimension", int(_pick(rng, EDGE_INTS))),
        lambda: setattr(op, "opcodeIndex", int(_pick(rng, EDGE_INTS)) & 0xFFFFFFFF),
        lambda: setattr(op, "inputs", _replaced(rng, op.inputs, int(_pick(rng, EDGE_INTS)))),
        lambda: setattr(op, "inputs", list(op.inputs)[:int(rng.integers(len(op.inputs)))]),
        lambda: setattr(op, "outputs", _replaced(rng, op.outputs, int(_pick(rng, EDGE_INTS)))),
        lambda: setattr(op, "builtinOptions", None),
        lambda: setattr(sub, "inputs", [int(_pick(rng, EDGE_INTS))]),
        lambda: setattr(sub, "outputs", []),
        lambda: setattr(model.operatorCodes[op.opcodeIndex], "builtinCode", int(rng.integers(0, 256))),
        lambda: setattr(model.buffers[tensor.buffer], "data", None if tensor.buffer else np.zeros(3, np.uint8)),
        lambda: sub.operators.reverse(),
    ]
    _pick(rng, edits)()


def tflite_fields(rng, data: bytes) -> bytes:
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    _tflite_field(rng, model)
    return pack(model)


def onnx_fields(rng, data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    graph = model.graph
    node = _pick(rng, graph.node)
    dims = graph.input[0].type.tensor_type.shape.dim
    initializer = _pick(rng, graph.initializer)
    edits = [
        lambda: dims[int(rng.integers(len(dims)))].__setattr__("dim_value", int(_pick(rng, EDGE_INTS))),
        lambda: initializer.dims.__setitem__(0, int(_pick(rng, EDGE_INTS))),
        lambda: initializer.__setattr__("raw_data", initializer.raw_data[:int(rng.integers(len(initializer.raw_data) + 1))]),
        lambda: node.input.__setitem__(int(rng.integers(len(node.input))), _pick(rng, ("", "nope", "logit", "image"))),
        lambda: node.__setattr__("op_type", _pick(rng, ("Conv", "Relu", "NoSuchOp", "Gemm", "If"))),
        lambda: graph.input.add().CopyFrom(graph.input[0]),
        lambda: graph.output.__delitem__(0),
        lambda: model.opset_import[0].__setattr__("version", int(_pick(rng, (0, 1, 99, 1 << 20)))),
    ]
    _pick(rng, edits)()
    return model.SerializeToString()


def checkpoint_fields(rng, data: bytes) -> bytes:
    payload = torch.load(io.BytesIO(data), weights_only=True)
    holder = _pick(rng, (payload, payload, payload["preprocessing"], payload["preprocessing"].get("dataset", {}),
                         payload["config"]))
    key = _pick(rng, sorted(holder) or ["x"])
    if rng.random() < 0.2:
        holder.pop(key, None)
    elif key == "state_dict":
        name = _pick(rng, sorted(payload["state_dict"]))
        payload["state_dict"][name] = _pick(rng, (torch.zeros(3), "weights", torch.zeros(0), None))
    else:
        holder[key] = _pick(rng, ODD_VALUES)
    out = io.BytesIO()
    torch.save(payload, out)
    return out.getvalue()


STRUCTURED = {".tflite": tflite_fields, ".onnx": onnx_fields, ".pt": checkpoint_fields}


def mutate(rng, suffix: str, data: bytes, other: bytes) -> tuple[str, bytes]:
    """(mutation name, mutant) of `data`; `other` is a second real model of the same kind, for splices."""
    name = _pick(rng, ("bits", "edge word", "truncate", "splice", "fields", "fields", "fields"))
    if name == "fields":
        return name, STRUCTURED[suffix](rng, data)
    if name == "splice":
        return name, splice(rng, data, other)
    return name, {"bits": flip_bits, "edge word": edge_word, "truncate": truncate}[name](rng, data)
