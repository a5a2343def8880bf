"""Invariant 1 for the activation kernels: SOFTMAX, LOGISTIC, TANH and HARD_SWISH equal the
TFLite-Micro reference bit for bit, on random shapes and on input scales from tiny to huge.

The input scale follows the spread of the calibration data (`std`): a huge scale sends most inputs
past the saturation radius of LOGISTIC/TANH and most softmax differences below diff_min, a tiny one
gives HARD_SWISH a "relu-ish" exponent below -15 (where its int16 rounding divide degenerates)."""

from __future__ import annotations

import functools
import zlib

import flatbuffers
import numpy as np
import pytest
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from kernel_harness import build_engine, build_model, compare, convert, run_oracle
from tinyctl.engine import softmax_op
from tinyctl.graph import read_graph


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return build_engine(tmp_path_factory.mktemp("engine"))


def _shape(seed: int, rank: int) -> tuple[int, ...]:
    return tuple(int(d) for d in np.random.default_rng(seed).integers(1, 9, size=rank))


def _patched(model: bytes, beta: float = 1.0, output_scale_factor: float = 1.0) -> bytes:
    """The model with the softmax beta and the output scale (times the factor) set in the flatbuffer:
    the converter always writes beta = 1 (it keeps a scalar multiply as its own MUL op) and picks
    output scales close to the input's, while TFLite-Micro takes any of these."""
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    for op in m.subgraphs[0].operators:
        if isinstance(op.builtinOptions, schema.SoftmaxOptionsT):
            op.builtinOptions.beta = beta
    output = m.subgraphs[0].tensors[m.subgraphs[0].outputs[0]].quantization
    output.scale = [float(np.float32(output.scale[0] * output_scale_factor))]
    builder = flatbuffers.Builder(len(model))
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _softmax(seed, rank, beta=1.0, std=1.0, depth=None):
    shape = _shape(seed, rank)[:-1] + ((depth,) if depth else (int(np.random.default_rng(seed).integers(2, 33)),))
    return _patched(convert(lambda tf, x: tf.nn.softmax(x), shape, seed, input_std=std), beta=beta)


def _logistic(tf, x):
    return tf.sigmoid(x)


def _tanh(tf, x):
    return tf.tanh(x)


def _hard_swish(tf, x):
    return x * tf.nn.relu6(x + 3) / 6       # the converter fuses this into one HARD_SWISH


def _unary(fn, seed, rank, std=1.0, output_scale_factor=1.0):
    return _patched(convert(fn, _shape(seed, rank), seed, input_std=std), output_scale_factor=output_scale_factor)


CASES = {
    "softmax_1d": ("SOFTMAX", functools.partial(_softmax, 101, 1)),
    "softmax_2d_beta_0.5": ("SOFTMAX", functools.partial(_softmax, 102, 2, 0.5)),
    "softmax_3d_beta_2.5": ("SOFTMAX", functools.partial(_softmax, 103, 3, 2.5)),
    "softmax_4d": ("SOFTMAX", functools.partial(_softmax, 104, 4)),
    "softmax_4d_beta_0.1_small_scale": ("SOFTMAX", functools.partial(_softmax, 105, 4, 0.1, 0.01)),
    "softmax_large_scale": ("SOFTMAX", functools.partial(_softmax, 106, 2, 1.0, 30.0)),        # diff_min -31
    "softmax_beta_clamped": ("SOFTMAX", functools.partial(_softmax, 107, 2, 100.0, 30.0)),     # capped, diff_min 0
    "softmax_long_rows": ("SOFTMAX", functools.partial(_softmax, 108, 2, 1.0, 1.0, 1000)),
    "logistic_1d": ("LOGISTIC", functools.partial(_unary, _logistic, 111, 1)),
    "logistic_4d": ("LOGISTIC", functools.partial(_unary, _logistic, 112, 4)),
    "logistic_small_scale": ("LOGISTIC", functools.partial(_unary, _logistic, 113, 3, 0.005)),
    "logistic_large_scale": ("LOGISTIC", functools.partial(_unary, _logistic, 114, 2, 20.0)),
    "logistic_huge_scale": ("LOGISTIC", functools.partial(_unary, _logistic, 115, 2, 500.0)),  # radius 0
    "tanh_2d": ("TANH", functools.partial(_unary, _tanh, 121, 2)),
    "tanh_4d": ("TANH", functools.partial(_unary, _tanh, 122, 4)),
    "tanh_small_scale": ("TANH", functools.partial(_unary, _tanh, 123, 3, 0.005)),
    "tanh_large_scale": ("TANH", functools.partial(_unary, _tanh, 124, 2, 20.0)),
    "tanh_huge_scale": ("TANH", functools.partial(_unary, _tanh, 125, 1, 500.0)),
    "hard_swish_2d": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 131, 2)),
    "hard_swish_4d": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 132, 4)),
    "hard_swish_small_scale": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 133, 4, 0.01)),
    "hard_swish_large_scale": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 134, 3, 50.0)),
    "hard_swish_tiny_scale": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 135, 2, 1e-6)),
    # output exponent 0 (no final rounding shift) and below -15 (the int16 rounding divide degenerates)
    "hard_swish_fine_output": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 136, 2, 1.0, 1 / 40)),
    "hard_swish_tiny_scale_fine_output": ("HARD_SWISH",
                                          functools.partial(_unary, _hard_swish, 137, 3, 1e-6, 1 / 40)),
    "hard_swish_coarse_output": ("HARD_SWISH", functools.partial(_unary, _hard_swish, 138, 3, 1.0, 2000.0)),
}


@functools.cache
def _model(case: str) -> bytes:
    return CASES[case][1]()


@pytest.mark.parametrize("case", sorted(CASES))
def test_activation_bit_exact_with_tflm(engine, case, tmp_path):
    graph, _ = compare(_model(case), tmp_path, seed=zlib.crc32(case.encode()), count=16, engine=engine)
    assert graph.opcodes() == [CASES[case][0]], f"the converter emitted {graph.opcodes()}"


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
    graph = read_graph(_patched(_model("softmax_1d"), beta=1e-9))
    with pytest.raises(ValueError, match="too small"):
        softmax_op(graph, graph.operators[0])


def test_generated_code_runs_the_activations_bit_exact(tmp_path):
    """model.c for HARD_SWISH -> TANH -> LOGISTIC -> SOFTMAX, built with the kernels, equals TFLM."""
    model = convert(lambda tf, x: tf.nn.softmax(tf.sigmoid(tf.tanh(_hard_swish(tf, x)))), (3, 12), 141)
    graph, _ = compare(model, tmp_path, seed=141, count=8)
    assert graph.opcodes() == ["HARD_SWISH", "TANH", "LOGISTIC", "SOFTMAX"]
