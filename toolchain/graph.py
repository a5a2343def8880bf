"""The int8 graph view: a small, typed, read-only view over a TFLite flatbuffer. The only IR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from . import tflite_checks as checks
from .errors import TinyctlError
from .tflite_shapes import check_op_shapes

_OP_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
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
    lead_pad: tuple[int, int] = (0, 0)  # rows, columns of a PAD the engine folded in before the window


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
        return f"CUSTOM:{checks.text(code.customCode, f'custom op code {code.customCode!r}')}"
    return name


def _tensor(index: int, name: str, t: schema.TensorT, buffers: list) -> Tensor:
    """One tensor, after `checks.check_tensor` proved its buffer and quantization consistent."""
    dtype = checks.TYPE_NAMES[t.type]
    q = t.quantization
    shape = checks.ints(t.shape)
    raw = buffers[t.buffer].data if t.buffer > 0 else None
    data = None
    if raw is not None and len(raw) and dtype in _NUMPY_TYPES:
        data = np.frombuffer(bytes(raw), dtype=_NUMPY_TYPES[dtype]).reshape(shape)
    return Tensor(index=index, name=name, shape=shape, dtype=dtype,
                  scale=tuple(float(s) for s in (q.scale if q is not None and q.scale is not None else [])),
                  zero_point=checks.ints(q.zeroPoint if q is not None else None),
                  quantized_dimension=int(q.quantizedDimension) if q is not None else 0, data=data)


def _unpack(source: Path | bytes) -> schema.ModelT:
    buf = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise TinyctlError("not a TFLite flatbuffer (the 'TFL3' identifier is missing)",
                           "pass a .tflite file written by the TFLite converter")
    try:
        return schema.ModelT.InitFromPackedBuf(buf, 0)
    except Exception as exc:  # the generated parser raises anything from struct.error to IndexError
        raise TinyctlError(f"corrupt TFLite flatbuffer: {type(exc).__name__}: {exc}"[:300], "re-export the model") from exc


def _tensors(sub: schema.SubGraphT, buffers: list) -> tuple[Tensor, ...]:
    raw = sub.tensors or []
    names = [checks.text(t.name, f"the name of tensor #{i}") or f"tensor_{i}" for i, t in enumerate(raw)]
    for i, t in enumerate(raw):
        checks.check_tensor(i, names[i], t, buffers)
    return tuple(_tensor(i, names[i], t, buffers) for i, t in enumerate(raw))


def _operators(sub: schema.SubGraphT, codes: list[str], tensor_count: int) -> tuple[Operator, ...]:
    for i, op in enumerate(sub.operators or []):
        if not 0 <= op.opcodeIndex < len(codes):
            raise checks.refuse(f"op #{i} uses op code {op.opcodeIndex}, the model has {len(codes)}")
        checks.check_operator(i, codes[op.opcodeIndex], op, tensor_count)
    return tuple(Operator(index=i, opcode=codes[op.opcodeIndex], inputs=checks.ints(op.inputs),
                          outputs=checks.ints(op.outputs), options=op.builtinOptions)
                 for i, op in enumerate(sub.operators or []))


def read_graph(source: Path | bytes) -> Graph:
    """Parse a .tflite file (or its bytes); a file that is not a well-formed TFLite model is a clear error."""
    model = _unpack(source)
    if not model.subgraphs or len(model.subgraphs) != 1:
        raise TinyctlError(f"the model has {len(model.subgraphs or [])} subgraphs",
                           "tinyctl supports single-subgraph models (no control flow)")
    sub = model.subgraphs[0]
    tensors = _tensors(sub, model.buffers or [])
    inputs, outputs = checks.ints(sub.inputs), checks.ints(sub.outputs)
    if not inputs or not outputs or any(not 0 <= i < len(tensors) for i in inputs + outputs):
        raise checks.refuse(f"the model's inputs {list(inputs)} and outputs {list(outputs)} must name some of "
                            f"its {len(tensors)} tensors")
    operators = _operators(sub, [_opcode_name(c) for c in model.operatorCodes or []], len(tensors))
    checks.check_dataflow(inputs, outputs, [(op.inputs, op.outputs) for op in operators],
                          [t.is_constant for t in tensors], [bool(t.isVariable) for t in sub.tensors or []],
                          [t.name for t in tensors])
    shapes = [t.shape for t in tensors]
    for op in operators:
        check_op_shapes(op.index, op.opcode, op.inputs, op.outputs, op.options, shapes)
    return Graph(tensors=tensors, operators=operators, inputs=inputs, outputs=outputs)
