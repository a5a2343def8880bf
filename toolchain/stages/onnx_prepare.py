"""A user's ONNX as onnx2tf can convert it: input and output names it keeps, batch 1, an opset it knows.

Exporters name graph inputs after the first op that reads them (`onnx::Relu_0` when a module starts with
`x.relu()`) and onnx2tf mangles such names (KeyError: 'onnx____Relu_0'); a dynamic batch axis and opsets
above the one we export at are further things onnx2tf does not take from users' files. A model that needs
none of this is copied byte for byte.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import onnx
from onnx import version_converter

from ..errors import TinyctlError

ONNX_OPSET = 17                                    # the opset we export at and onnx2tf converts best
KEPT_NAME = re.compile(r"[A-Za-z0-9_.]+\Z")   # names onnx2tf keeps as they are (input.1, 87)


def prepare_user_onnx(path: Path, out: Path) -> None:
    """Write `path` to `out` fixed for conversion (or copied when it needs no fix)."""
    model = onnx.load(str(path))
    changed = _fix_batch(model, path.name)
    changed |= _rename_io(model)
    if _opset(model) > ONNX_OPSET:
        model, changed = _downgrade(model, path.name), True
    if changed:
        onnx.save(model, str(out))
    else:
        shutil.copyfile(path, out)


def graph_inputs(model: onnx.ModelProto) -> list:
    """The graph's real inputs (old exporters also list the weights as inputs)."""
    initializers = {i.name for i in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in initializers]


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), ONNX_OPSET)


def _fix_batch(model: onnx.ModelProto, file_name: str) -> bool:
    """A dynamic batch axis becomes 1 (the MCU runs one sample); any other dynamic input axis is the user's
    to fix (shape inference then fixes the outputs' and intermediate shapes)."""
    batch_dims = []
    for value in graph_inputs(model):
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if not dim.HasField("dim_value") and axis != 0:
                raise TinyctlError(f"{file_name}: axis {axis} of input {value.name!r} has no fixed size",
                                   "export the model with a fixed input shape (only the batch axis may be dynamic)")
        batch_dims.extend(value.type.tensor_type.shape.dim[:1])
    batch_dims.extend(o.type.tensor_type.shape.dim[0] for o in model.graph.output if o.type.tensor_type.shape.dim)
    dynamic = [dim for dim in batch_dims if not dim.HasField("dim_value")]
    for dim in dynamic:
        dim.Clear()
        dim.dim_value = 1
    if dynamic:   # intermediate shapes recorded for a symbolic batch would contradict batch 1
        del model.graph.value_info[:]
        model.graph.CopyFrom(onnx.shape_inference.infer_shapes(model).graph)
    return bool(dynamic)


def _rename_io(model: onnx.ModelProto) -> bool:
    """Inputs and outputs whose names onnx2tf would mangle become `input`, `output` (or the first such name
    with a number that the graph does not use yet)."""
    graph = model.graph
    taken = {name for node in graph.node for name in [*node.input, *node.output]} | {i.name for i in graph.initializer}
    renames = {}
    for values, base in ((graph_inputs(model), "input"), (graph.output, "output")):
        for value in values:
            if not KEPT_NAME.match(value.name):
                renames[value.name] = _unused(base, taken)
    for value in [*graph.input, *graph.output, *graph.value_info]:
        value.name = renames.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    return bool(renames)


def _unused(name: str, taken: set[str]) -> str:
    """`name`, else `name_1`, `name_2`...: the first the graph does not use yet (now taken)."""
    candidate, number = name, 0
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate


def _downgrade(model: onnx.ModelProto, file_name: str) -> onnx.ModelProto:
    try:
        return version_converter.convert_version(model, ONNX_OPSET)
    except Exception as exc:  # the converter raises RuntimeError or its own errors per missing adapter
        raise TinyctlError(f"{file_name}: cannot convert opset {_opset(model)} to opset {ONNX_OPSET}: "
                           f"{str(exc).splitlines()[0]}",
                           f"re-export the model with opset_version={ONNX_OPSET}") from exc
