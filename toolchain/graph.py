"""The int8 graph view: a small, typed, read-only view over a TFLite flatbuffer. The only IR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from .errors import TinyctlError

_OP_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
_TYPE_NAMES = {code: name for name, code in vars(schema.TensorType).items() if not name.startswith("_")}
_NUMPY_TYPES = {"INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "INT32": np.int32,
                "INT64": np.int64, "FLOAT32": np.float32, "FLOAT16": np.float16, "BOOL": np.bool_}


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str                       # TFLite type name: INT8, INT32, FLOAT32, ...
    scale: tuple[float, ...]         # one per tensor, or one per channel
    zero_point: tuple[int, ...]
    quantized_dimension: int
    data: np.ndarray | None          # constant contents, None for activations

    @property
    def is_constant(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class Operator:
    index: int
    opcode: str                      # builtin name: CONV_2D, ...; CUSTOM:<name> for custom ops
    inputs: tuple[int, ...]          # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]
    options: object | None           # the schema's options object (e.g. Conv2DOptionsT)


@dataclass(frozen=True)
class Graph:
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def layer_name(self, op: Operator) -> str:
        """The name users know a layer by: its first output tensor's name."""
        return self.tensors[op.outputs[0]].name if op.outputs else f"op #{op.index}"

    def opcodes(self) -> list[str]:
        """Distinct op names, in order of first use."""
        return list(dict.fromkeys(op.opcode for op in self.operators))


def _opcode_name(code: schema.OperatorCodeT) -> str:
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)  # the schema keeps both fields
    name = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
    if name == "CUSTOM":
        custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
        return f"CUSTOM:{custom}"
    return name


def _tensor(index: int, t: schema.TensorT, buffers: list) -> Tensor:
    dtype = _TYPE_NAMES.get(t.type, f"TYPE_{t.type}")
    q = t.quantization
    scale = tuple(float(s) for s in (q.scale if q is not None and q.scale is not None else []))
    zero_point = tuple(int(z) for z in (q.zeroPoint if q is not None and q.zeroPoint is not None else []))
    raw = buffers[t.buffer].data if 0 < t.buffer < len(buffers) else None
    data = None
    if raw is not None and len(raw) and dtype in _NUMPY_TYPES:
        shape = tuple(int(d) for d in t.shape) if t.shape is not None else ()
        data = np.frombuffer(bytes(raw), dtype=_NUMPY_TYPES[dtype]).reshape(shape)
    name = t.name.decode() if isinstance(t.name, bytes) else (t.name or f"tensor_{index}")
    return Tensor(index=index, name=name, shape=tuple(int(d) for d in (t.shape if t.shape is not None else [])),
                  dtype=dtype, scale=scale, zero_point=zero_point,
                  quantized_dimension=int(q.quantizedDimension) if q is not None else 0, data=data)


def read_graph(source: Path | bytes) -> Graph:
    """Parse a .tflite file (or its bytes); a file that is not a TFLite model is a clear error."""
    buf = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise TinyctlError("not a TFLite flatbuffer (the 'TFL3' identifier is missing)",
                           "pass a .tflite file written by the TFLite converter")
    try:
        model = schema.ModelT.InitFromPackedBuf(buf, 0)
    except Exception as exc:  # the generated parser raises anything from struct.error to IndexError
        raise TinyctlError(f"corrupt TFLite flatbuffer: {exc}", "re-export the model") from exc
    if not model.subgraphs or len(model.subgraphs) != 1:
        raise TinyctlError(f"the model has {len(model.subgraphs or [])} subgraphs",
                           "tinyctl supports single-subgraph models (no control flow)")
    sub = model.subgraphs[0]
    codes = [_opcode_name(c) for c in model.operatorCodes]
    tensors = tuple(_tensor(i, t, model.buffers) for i, t in enumerate(sub.tensors))
    operators = tuple(
        Operator(index=i, opcode=codes[op.opcodeIndex], inputs=tuple(int(x) for x in op.inputs),
                 outputs=tuple(int(x) for x in op.outputs), options=op.builtinOptions)
        for i, op in enumerate(sub.operators or []))
    return Graph(tensors=tensors, operators=operators, inputs=tuple(int(x) for x in sub.inputs),
                 outputs=tuple(int(x) for x in sub.outputs))
