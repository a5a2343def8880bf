"""`tinyctl inspect` of an int8 TFLite model: per op its shapes, MACs (tinyctl.macs), parameters, weight and
activation bytes, and whether the tinyctl engine and TFLite-Micro run it; totals; and the fit on a board."""

from __future__ import annotations

from .engine.registry import OPS
from .graph import Graph, Operator, read_graph
from .macs import op_macs
from .planner import tensor_bytes
from .stages.engine import engine_support, plan_engine_arena
from .stages.memory import RUNTIME_RAM_RESERVE, TFLM_RUNTIME_FLASH_BASE, TFLM_RUNTIME_FLASH_PER_OP, tflm_budget
from .tflm_ops import TFLM_RESOLVER_METHODS

METHOD = "per TFLite operator, read off the int8 flatbuffer (the graph the build compiles)"


def engine_verdict(graph: Graph | None, op: Operator | None, opcode: str) -> str | None:
    """None when the engine has a kernel for the op (and, given the op, its parameter reader accepts this
    variant), else why not."""
    spec = OPS.get(opcode)
    if spec is None:
        return "no kernel"
    if op is not None:
        try:
            spec.params(graph, op)
        except ValueError as exc:   # the reader's way of refusing a variant the kernel cannot take
            return f"unsupported variant: {exc}"
    return None


def _layer(graph: Graph, op: Operator) -> dict:
    inputs = [graph.tensors[i] for i in op.inputs if i >= 0]
    constants = [t for t in inputs if t.is_constant]
    engine = engine_verdict(graph, op, op.opcode)
    return {"index": op.index, "op": op.opcode, "layer": graph.layer_name(op),
            "inputs": [list(t.shape) for t in inputs if not t.is_constant],
            "output": list(graph.tensors[op.outputs[0]].shape), "macs": op_macs(graph, op),
            "params": sum(t.data.size for t in constants), "weight_bytes": sum(t.data.nbytes for t in constants),
            "activation_bytes": sum(tensor_bytes(graph, i) for i in op.outputs),
            "engine": engine is None, "engine_reason": engine, "tflm": op.opcode in TFLM_RESOLVER_METHODS}


def inspect_tflite(model: bytes, board=None) -> dict:
    """The inspection of a TFLite model; `board` (a targets.Board) adds the estimated fit."""
    graph = read_graph(model)
    layers = [_layer(graph, op) for op in graph.operators]
    constants = {i: graph.tensors[i] for op in graph.operators for i in op.inputs
                 if i >= 0 and graph.tensors[i].is_constant}   # a tensor two ops share counts once
    engine_ok = engine_support(graph) is None and all(layer["engine"] for layer in layers)
    totals = {"macs": sum(layer["macs"] for layer in layers),
              "params": sum(t.data.size for t in constants.values()),
              "weight_bytes": sum(t.data.nbytes for t in constants.values()),
              "model_bytes": len(model),
              "engine_arena_bytes": plan_engine_arena(graph).peak_bytes if engine_ok else None}
    result = {"format": "tflite", "method": METHOD, "layers": layers, "totals": totals,
              "engine_supported": engine_ok, "tflm_supported": all(layer["tflm"] for layer in layers)}
    if board is not None:
        result["fit"] = _fit(board, model, graph, totals)
    return result


def _fit(board, model: bytes, graph: Graph, totals: dict) -> dict:
    """TFLite-Micro's figures as `tinyctl build` computes them (measured arena, runtime flash estimated) and,
    when the engine runs the model, its planned arena with the same runtime estimate as a bound."""
    from .stages.tflm import measure_arena   # runs TFLite-Micro once: only when a board is asked for

    fit = {"board": board.name, "tflm": tflm_budget(board, measure_arena(model), len(model), len(graph.opcodes()))}
    if totals["engine_arena_bytes"] is not None:
        runtime = TFLM_RUNTIME_FLASH_BASE + TFLM_RUNTIME_FLASH_PER_OP * len(graph.opcodes())
        ram, flash = totals["engine_arena_bytes"] + RUNTIME_RAM_RESERVE, totals["weight_bytes"] + runtime
        fit["engine"] = {"arena_bytes": totals["engine_arena_bytes"], "ram_needed_bytes": ram,
                         "ram_size_bytes": board.ram.size, "flash_needed_bytes": flash,
                         "flash_size_bytes": board.flash.size, "runtime_flash_estimate_bytes": runtime,
                         "fits": ram <= board.ram.size and flash <= board.flash.size}
    return fit
