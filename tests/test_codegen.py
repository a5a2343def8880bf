"""The engine backend end to end: generated model.c built with the host gcc gives the TFLite-Micro
interpreter's int8 outputs bit for bit on the default model's test images, and is reproducible."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from kernel_harness import kernel_model
from tinyctl.codegen import emit_engine_c, emit_golden_c
from tinyctl.codegen.model_info import emit_model_info
from tinyctl.engine.registry import kernel_cases
from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.hostrun import compile_host, run_host
from tinyctl.planner import plan_arena

IMAGES = 96


@pytest.fixture(scope="module")
def model(default_build) -> bytes:
    return (default_build[0] / "model_int8.tflite").read_bytes()


@pytest.fixture(scope="module")
def generated(model, default_build, tmp_path_factory):
    graph = read_graph(model)
    out = tmp_path_factory.mktemp("engine_c")
    emit_engine_c(graph, plan_arena(graph), out / "c")
    emit_golden_c(np.zeros((1, 4096), np.int8), np.zeros((1, 1), np.int8), "default", "host", out / "c")
    emit_model_info(graph, default_build[0] / "model_int8.tflite", out / "c")
    exe = compile_host(out / "c", out / "model_host")
    return graph, out / "c", exe


def _test_inputs(graph) -> np.ndarray:
    """The first IMAGES test images quantized with the model's input parameters, NHWC."""
    from tinyctl.datasets import labelled_split
    from tinyctl.model_source import load_source

    images, _ = labelled_split(load_source(None), "test")
    x = images[:IMAGES].transpose(0, 2, 3, 1)
    inp = graph.tensors[graph.inputs[0]]
    q = np.clip(np.round(x / inp.scale[0]) + inp.zero_point[0], -128, 127).astype(np.int8)
    return q.reshape(IMAGES, *inp.shape)


def _tflm(model: bytes, arena_bytes: int, inputs: np.ndarray) -> np.ndarray:
    from tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena_bytes)
    outputs = []
    for x in inputs:
        interpreter.set_input(x, 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0)).ravel())
    return np.stack(outputs)


def test_host_engine_is_bit_exact_with_tflm(generated, model, default_build):
    graph, _, exe = generated
    inputs = _test_inputs(graph)
    expected = _tflm(model, default_build[1]["memory"]["tflm"]["arena_bytes"], inputs)
    got = run_host(exe, inputs)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected), f"{np.count_nonzero(got != expected)} of {got.size} outputs differ"
    assert len(np.unique(expected)) > 1  # the images exercise more than one output value


def test_generated_sources_are_reproducible(generated, tmp_path):
    graph, first, _ = generated
    paths = emit_engine_c(graph, plan_arena(graph), tmp_path)
    assert sorted(p.name for p in paths) == ["model.c", "model.h"]
    for path in paths:
        assert path.read_bytes() == (first / path.name).read_bytes()


def test_generated_code_keeps_weights_const_and_arena_static(generated):
    graph, c_dir, _ = generated
    source, header = (c_dir / "model.c").read_text(), (c_dir / "model.h").read_text()
    plan = plan_arena(graph)
    assert f"#define MODEL_ARENA_BYTES {plan.peak_bytes}" in header
    assert "int model_invoke(const int8_t *input, int8_t *output);" in header
    assert "static int8_t arena[MODEL_ARENA_BYTES]" in source
    assert "malloc" not in source
    weights = [t for t in graph.tensors if t.is_constant and t.dtype == "INT8"]
    assert all(f"static const int8_t t{t.index}_data[" in source for t in weights)


def test_the_input_is_read_where_the_caller_holds_it_unless_written(generated, tmp_path):
    """The default detector's first layer reads the caller's input in place (copied into the arena only when it is
    not 16-byte aligned, as the firmware's and the golden inputs are declared); a model whose op overwrites its input
    in place (LEAKY_RELU) has it copied first, every time. Both ways are bit-exact in tests/test_kernels.py, whose
    runs put every other input one byte off a boundary."""
    source = (generated[1] / "model.c").read_text()
    assert "if ((uintptr_t)input % 16 != 0) {" in source and source.count("((int8_t *)model_in)") == 1
    assert "#define MODEL_INPUT_ALIGNED __attribute__((aligned(16)))" in (generated[1] / "model.h").read_text()
    golden = (generated[1] / "golden.c").read_text()
    assert "golden_inputs[GOLDEN_COUNT * MODEL_INPUT_SIZE] MODEL_INPUT_ALIGNED" in golden
    graph = read_graph(kernel_model(kernel_cases()["leaky_relu_0.2"]()))
    plan = plan_arena(graph)
    assert plan.in_place == {graph.operators[0].outputs[0]: graph.inputs[0]}
    emit_engine_c(graph, plan, tmp_path)
    source = (tmp_path / "model.c").read_text()
    assert "model_in =" not in source and "    memcpy(arena + 0, input, MODEL_INPUT_SIZE);\n" in source


def test_an_unsupported_op_is_refused_with_its_name(generated, tmp_path):
    graph, _, _ = generated
    plan = plan_arena(graph)
    op = graph.operators[-1]
    bad = dataclasses.replace(graph, operators=(*graph.operators[:-1], dataclasses.replace(op, opcode="SVDF")))
    with pytest.raises(TinyctlError, match=re.escape(f"op SVDF (layer {graph.layer_name(op)!r})")):
        emit_engine_c(bad, plan, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_a_compile_error_reports_gccs_message(tmp_path):
    (tmp_path / "model.c").write_text("int model_invoke(void) { return undefined_name; }\n")
    (tmp_path / "model.h").write_text("#define MODEL_INPUT_SIZE 1\n#define MODEL_OUTPUT_SIZE 1\n")
    with pytest.raises(TinyctlError, match="undefined_name"):
        compile_host(tmp_path, tmp_path / "exe")
