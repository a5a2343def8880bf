"""Invariant 1 for the activation kernels: SOFTMAX, LOGISTIC, TANH and HARD_SWISH equal the
TFLite-Micro reference bit for bit, on random shapes and on input scales from tiny to huge.

The input scale follows the spread of the calibration data (`std`): a huge scale sends most inputs
past the saturation radius of LOGISTIC/TANH and most softmax differences below diff_min, a tiny one
gives HARD_SWISH a "relu-ish" exponent below -15 (where its int16 rounding divide degenerates)."""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pytest

from kernel_harness import ACTIVATIONS, build_engine, build_model, compare, convert, kernel_model, patched, run_oracle
from tinyctl.engine import softmax_op
from tinyctl.engine.ops.hard_swish import hard_swish
from tinyctl.engine.registry import kernel_cases
from tinyctl.graph import read_graph


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return build_engine(tmp_path_factory.mktemp("engine"))


# The activations' cases, declared in their op modules (toolchain/engine/ops/), by name: () -> KernelCase.
CASES = {name: make for name, make in kernel_cases().items() if make().opcode in ACTIVATIONS}


@functools.cache
def _model(case: str) -> bytes:
    return kernel_model(CASES[case]())


@pytest.mark.parametrize("case", sorted(CASES))
def test_activation_bit_exact_with_tflm(engine, case, tmp_path):
    graph, _ = compare(_model(case), tmp_path, seed=zlib.crc32(case.encode()), count=16, engine=engine)
    assert graph.opcodes() == [CASES[case]().opcode], f"the converter emitted {graph.opcodes()}"


def _every_and_extreme_inputs(shape) -> list[np.ndarray]:
    """Every int8 value (over as many inputs as it takes), then all -128, all 127, alternating
    extremes and one 127 among -128s."""
    size = int(np.prod(shape))
    every = np.resize(np.arange(-128, 128), -(-256 // size) * size).reshape(-1, size)
    alternating = np.where(np.arange(size) % 2 == 0, -128, 127)
    single = np.full(size, -128)
    single[size // 2] = 127
    rows = [*every, np.full(size, -128), np.full(size, 127), alternating, single]
    return [np.asarray(v, dtype=np.int8).reshape(shape) for v in rows]


# Not softmax_long_rows: 1000 equal values make TFLite-Micro abort (see test_softmax_past_tflm_limit).
@pytest.mark.parametrize("case", sorted(set(CASES) - {"softmax_long_rows"}))
def test_every_and_extreme_input_values_bit_exact_with_tflm(engine, case, tmp_path):
    model = _model(case)
    graph = read_graph(model)
    _, run = build_model(graph, tmp_path, engine)
    inputs = _every_and_extreme_inputs(graph.tensors[graph.inputs[0]].shape)
    for x, expected in zip(inputs, run_oracle(model, inputs)):
        np.testing.assert_array_equal(run(x), expected)


def test_softmax_past_tflm_limit_gives_the_minimum(engine, tmp_path):
    """A row whose exp sum reaches 512 fails a check in TFLite-Micro; each probability is then
    below 1/512, which rounds to the output minimum."""
    graph = read_graph(_model("softmax_long_rows"))
    _, run = build_model(graph, tmp_path, engine)
    out = run(np.full(graph.tensors[graph.inputs[0]].shape, 7, dtype=np.int8))
    assert (out == -128).all()


def test_softmax_refuses_a_beta_its_int8_path_cannot_scale():
    graph = read_graph(patched(_model("softmax_1d"), beta=1e-9))
    with pytest.raises(ValueError, match="too small"):
        softmax_op(graph, graph.operators[0])


def test_generated_code_runs_the_activations_bit_exact(tmp_path):
    """model.c for HARD_SWISH -> TANH -> LOGISTIC -> SOFTMAX, built with the kernels, equals TFLM."""
    model = convert(lambda tf, x: tf.nn.softmax(tf.sigmoid(tf.tanh(hard_swish(tf, x)))), (3, 12), 141)
    graph, _ = compare(model, tmp_path, seed=141, count=8)
    assert graph.opcodes() == ["HARD_SWISH", "TANH", "LOGISTIC", "SOFTMAX"]
