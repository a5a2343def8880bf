"""The engine's op registry: an op added through it alone is planned, generated, compiled and run
bit-exact; an opcode it does not hold is refused by name and layer everywhere the engine is chosen."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kernel_harness import compare, convert, kernel_model
from tinyctl.codegen import emit_engine_c
from tinyctl.engine import registry
from tinyctl.engine.op_spec import OpSpec
from tinyctl.errors import TinyctlError
from tinyctl.graph import Graph, Operator, Tensor, read_graph
from tinyctl.planner import plan_arena
from tinyctl.stages.engine import engine_support

COPY = "TEST_RELU_COPY"


def _renamed(graph: Graph, old: str, new: str) -> Graph:
    ops = tuple(dataclasses.replace(op, opcode=new) if op.opcode == old else op for op in graph.operators)
    return dataclasses.replace(graph, operators=ops)


def _relu_copy() -> OpSpec:
    """RELU under another opcode: RELU's parameter reader and C call, given the op as a RELU."""
    relu = registry.OPS["RELU"]

    def params(graph, op):
        return relu.params(graph, dataclasses.replace(op, opcode="RELU"))

    def emit(c, op, prefix, p):
        relu.emit(c, dataclasses.replace(op, opcode="RELU"), prefix, p)
    return OpSpec((COPY,), params, emit, in_place=relu.in_place)


def test_an_op_added_through_the_registry_alone_runs_bit_exact(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "OPS", dict(registry.OPS))
    registry.register(_relu_copy())
    model = kernel_model(registry.OPS["RELU"].cases["relu"]())
    graph, plan = compare(model, tmp_path, seed=131, count=8, view=lambda g: _renamed(g, "RELU", COPY))
    assert graph.opcodes() == [COPY]
    assert plan.in_place == plan_arena(read_graph(model)).in_place == {graph.outputs[0]: graph.inputs[0]}
    source = (tmp_path / "model.c").read_text()
    assert f"/* op 0: {COPY} */" in source and "tc_rescale_s8(" in source


def test_an_opcode_is_registered_once(monkeypatch):
    monkeypatch.setattr(registry, "OPS", dict(registry.OPS))
    with pytest.raises(ValueError, match="RELU is registered twice"):
        registry.register(dataclasses.replace(_relu_copy(), opcodes=("RELU",)))


def _unknown_op_graph() -> Graph:
    """input -> RELU -> TEST_UNKNOWN, on int8 [1, 16] tensors."""
    tensors = tuple(Tensor(i, f"t{i}", (1, 16), "INT8", (0.1,), (0,), 0, None) for i in range(3))
    ops = (Operator(0, "RELU", (0,), (1,), None), Operator(1, "TEST_UNKNOWN", (1,), (2,), None))
    return Graph(tensors, ops, (0,), (2,))


def test_an_unregistered_opcode_is_refused_with_its_name_and_layer(tmp_path):
    graph = _unknown_op_graph()
    message = re.escape("op TEST_UNKNOWN (layer 't2')")
    with pytest.raises(TinyctlError, match=message):
        plan_arena(graph)
    with pytest.raises(TinyctlError, match=message):
        emit_engine_c(graph, plan_arena(_renamed(graph, "TEST_UNKNOWN", "RELU")), tmp_path / "c")
    assert not (tmp_path / "c").exists()
    assert re.search(message, engine_support(graph))
    assert engine_support(_renamed(graph, "TEST_UNKNOWN", "RESHAPE")) is None  # an alias op is registered too


def test_a_variant_its_params_reader_refuses_is_the_reason_to_fall_back_to_tflm():
    """MEAN is registered, but its kernel averages over H and W only: the support check, which picks the
    backend, names the op, its layer and why, so the build takes TFLite-Micro instead of failing in codegen."""
    graph = read_graph(convert(lambda tf, x: tf.reduce_mean(x, axis=[3], keepdims=True), (1, 6, 6, 4), seed=11))
    assert graph.opcodes() == ["MEAN"]
    reason = engine_support(graph)
    assert reason is not None and f"cannot run op MEAN (layer {graph.layer_name(graph.operators[0])!r})" in reason
    assert "only MEAN over H and W of a 4-D tensor is supported" in reason


def test_every_op_with_a_kernel_declares_cases_of_its_own_opcodes():
    for spec in registry.specs():
        assert spec.alias or spec.cases, f"{spec.opcodes} declare no test cases"
        assert {make().opcode for make in spec.cases.values()} <= set(spec.opcodes)
