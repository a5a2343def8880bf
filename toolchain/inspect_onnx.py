"""`tinyctl inspect` of a float ONNX model (or a tinyctl checkpoint, through its ONNX export): per node its
shapes (onnx shape inference), MACs, parameters, weight and activation bytes, and whether the engine and
TFLite-Micro run the TFLite op the node is expected to become; totals; and an int8 fit estimate for a board."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx

from .errors import TinyctlError
from .inspect_tflite import engine_verdict
from .staging import owned_temp_dir
from .stages.memory import RUNTIME_RAM_RESERVE, TFLM_RUNTIME_FLASH_BASE, TFLM_RUNTIME_FLASH_PER_OP
from .tflm_ops import TFLM_RESOLVER_METHODS

METHOD = ("per ONNX node, shapes by onnx shape inference; float weights as stored; the TFLite op each node is "
          "expected to become after conversion (an activation after a conv is usually fused into it)")
# ONNX op -> the builtin TFLite op onnx2tf makes of it (Conv with one group per channel: DEPTHWISE_CONV_2D)
EXPECTED_TFLITE_OP = {
    "Conv": "CONV_2D", "Gemm": "FULLY_CONNECTED", "MatMul": "FULLY_CONNECTED", "Add": "ADD", "Sub": "SUB",
    "Mul": "MUL", "Div": "DIV", "Relu": "RELU", "Clip": "RELU6", "LeakyRelu": "LEAKY_RELU", "Sigmoid": "LOGISTIC",
    "Tanh": "TANH", "HardSwish": "HARD_SWISH", "MaxPool": "MAX_POOL_2D", "AveragePool": "AVERAGE_POOL_2D",
    "GlobalAveragePool": "MEAN", "ReduceMean": "MEAN", "Concat": "CONCATENATION", "Reshape": "RESHAPE",
    "Flatten": "RESHAPE", "Squeeze": "RESHAPE", "Unsqueeze": "RESHAPE", "Pad": "PAD", "Softmax": "SOFTMAX",
    "Resize": "RESIZE_NEAREST_NEIGHBOR", "Transpose": "TRANSPOSE",
}


def _shapes(graph: onnx.GraphProto) -> dict[str, list[int]]:
    infos = [*graph.input, *graph.value_info, *graph.output]
    return {info.name: [d.dim_value for d in info.type.tensor_type.shape.dim] for info in infos}


def _tflite_op(node: onnx.NodeProto, weights: list[onnx.TensorProto]) -> str | None:
    if node.op_type == "Conv":
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        return "DEPTHWISE_CONV_2D" if group > 1 and weights and weights[0].dims[1] == 1 else "CONV_2D"
    return EXPECTED_TFLITE_OP.get(node.op_type)


def _macs(node: onnx.NodeProto, weights: list[onnx.TensorProto], output: list[int]) -> int:
    """Conv: each output element takes C/group * kh * kw; Gemm/MatMul with a constant matrix: K per element."""
    if not weights or not output:
        return 0
    dims = list(weights[0].dims)
    if node.op_type == "Conv":
        return math.prod(output) * math.prod(dims[1:])
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return math.prod(output) * dims[1 if trans_b else 0]
    if node.op_type == "MatMul":
        return math.prod(output) * dims[-2]
    return 0


def _layer(index: int, node: onnx.NodeProto, shapes: dict, inits: dict, itemsize: dict) -> dict:
    weights = [inits[name] for name in node.input if name in inits]
    output = shapes.get(node.output[0], [])
    op = _tflite_op(node, weights)
    engine = engine_verdict(None, None, op) if op else "no TFLite equivalent known"
    return {"index": index, "op": node.op_type + (f" -> {op}" if op else ""), "layer": node.name or node.output[0],
            "inputs": [shapes.get(name, []) for name in node.input if name and name not in inits],
            "output": output, "macs": _macs(node, weights, output),
            "params": sum(math.prod(w.dims) for w in weights),
            "weight_bytes": sum(math.prod(w.dims) * _itemsize(w.data_type) for w in weights),
            "activation_bytes": math.prod(output) * itemsize.get(node.output[0], 4) if output else 0,
            "engine": engine is None, "engine_reason": engine, "tflm": op in TFLM_RESOLVER_METHODS}


def _itemsize(elem_type: int) -> int:
    return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).itemsize


def inspect_onnx(path: Path, board=None, method: str = METHOD) -> dict:
    try:
        model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    except Exception as exc:   # onnx raises DecodeError, ValidationError, InferenceError, ...
        raise TinyctlError(f"cannot read {path} as ONNX: {exc}", "pass a .onnx file exported with static shapes") from exc
    graph = model.graph
    inits, shapes = {i.name: i for i in graph.initializer}, _shapes(graph)
    itemsize = {v.name: _itemsize(v.type.tensor_type.elem_type) for v in [*graph.value_info, *graph.output]}
    nodes = [node for node in graph.node if node.op_type != "Constant"]
    layers = [_layer(i, node, shapes, inits, itemsize) for i, node in enumerate(nodes)]
    totals = {"macs": sum(layer["macs"] for layer in layers),
              "params": sum(math.prod(i.dims) for i in inits.values()),
              "weight_bytes": sum(math.prod(i.dims) * _itemsize(i.data_type) for i in inits.values()),
              "model_bytes": Path(path).stat().st_size}
    result = {"format": "onnx", "method": method, "layers": layers, "totals": totals,
              "engine_supported": all(layer["engine"] for layer in layers),
              "tflm_supported": all(layer["tflm"] for layer in layers)}
    if board is not None:
        result["fit"] = _int8_fit(board, layers, totals)
    return result


def _int8_fit(board, layers: list[dict], totals: dict) -> dict:
    """Estimates for the int8 build: 1 byte per parameter plus the runtime; RAM at least the largest op's int8
    inputs and output live together (the real arena comes from the planner after conversion)."""
    ops = len({layer["op"] for layer in layers})
    runtime = TFLM_RUNTIME_FLASH_BASE + TFLM_RUNTIME_FLASH_PER_OP * ops
    arena = max((sum(math.prod(s) for s in layer["inputs"] if s) + math.prod(layer["output"] or [0])
                 for layer in layers), default=0)
    ram, flash = arena + RUNTIME_RAM_RESERVE, totals["params"] + runtime
    return {"board": board.name, "int8_estimate": {
        "arena_bytes": arena, "ram_needed_bytes": ram, "ram_size_bytes": board.ram.size, "flash_needed_bytes": flash,
        "flash_size_bytes": board.flash.size, "runtime_flash_estimate_bytes": runtime,
        "fits": ram <= board.ram.size and flash <= board.flash.size}}


def inspect_checkpoint(path: Path, board=None) -> dict:
    """A tinyctl checkpoint, inspected through the same ONNX export `tinyctl build` makes (in a temp dir)."""
    from .stages.export import export_float_onnx
    from .model_source import load_source

    source = load_source(path)
    with owned_temp_dir("tinyctl-inspect-") as tmp:
        onnx_path = Path(tmp) / "model.onnx"
        export_float_onnx(source, onnx_path, np.zeros((1, *source.input_shape), np.float32))
        result = inspect_onnx(onnx_path, board, "its ONNX export (as `tinyctl build` makes it); " + METHOD)
    result["format"], result["totals"]["model_bytes"] = "checkpoint", Path(path).stat().st_size
    return result
