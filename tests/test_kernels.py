"""Invariant 1 for the engine: every kernel equals the TFLite-Micro reference bit for bit.

Each case is a small single-op model that TensorFlow's converter quantizes to int8; shapes are
drawn from a seeded RNG so the cases are random but reproducible."""

from __future__ import annotations

import functools
import math
import zlib

import numpy as np
import pytest

from kernel_harness import build_engine, compare, convert
from tinyctl.engine import padding_offset, quantize_multiplier
from tinyctl.engine.quant import PADDING_SAME, PADDING_VALID

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
ACT_CODES = {"none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3}


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    return build_engine(tmp_path_factory.mktemp("engine"))


def _activation(tf, y, act):
    return {"none": lambda v: v, "relu": tf.nn.relu, "relu6": tf.nn.relu6,
            "relu_n1_to_1": lambda v: tf.clip_by_value(v, -1.0, 1.0)}[act](y)


def _normal(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


# --- model builders: (seed, structural choices) -> (model bytes, expected opcode, activation) ---

def _conv(seed, stride, padding, act, dilation=1, bias=True):
    rng = np.random.default_rng(seed)
    h, w, cin, cout = rng.integers(6, 13), rng.integers(6, 13), rng.integers(1, 9), rng.integers(1, 9)
    kernel, b = _normal(rng, rng.choice([3, 5]), rng.choice([2, 3, 5]), cin, cout), _normal(rng, cout)

    def build(tf, x):
        y = tf.nn.conv2d(x, kernel, stride, padding, dilations=dilation)
        return _activation(tf, y + b if bias else y, act)
    return convert(build, (1, h, w, cin), seed)


def _depthwise(seed, multiplier, stride, padding, act, dilation=1):
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(6, 13), rng.integers(6, 13), rng.integers(1, 9)
    kernel, b = _normal(rng, rng.choice([3, 5]), rng.choice([2, 3]), c, multiplier), _normal(rng, c * multiplier)
    strides = [1, stride, stride, 1]
    return convert(lambda tf, x: _activation(tf, tf.nn.depthwise_conv2d(
        x, kernel, strides, padding, dilations=[dilation, dilation]) + b, act), (1, h, w, c), seed)


def _dense(seed, per_channel, act, batches=1):
    rng = np.random.default_rng(seed)
    depth, units = rng.integers(4, 65), rng.integers(2, 33)
    kernel, b = _normal(rng, depth, units), _normal(rng, units)
    return convert(lambda tf, x: _activation(tf, tf.matmul(x, kernel) + b, act), (batches, depth), seed,
                   per_channel_dense=per_channel)


def _pool(seed, kind, size, stride, padding, act="none"):
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(5, 14), rng.integers(5, 14), rng.integers(1, 9)
    pool = {"max": "max_pool2d", "avg": "avg_pool2d"}[kind]
    return convert(lambda tf, x: _activation(tf, getattr(tf.nn, pool)(x, size, stride, padding), act),
                   (1, h, w, c), seed)


def _mean(seed, keepdims):
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(2, 12), rng.integers(2, 12), rng.integers(1, 17)
    return convert(lambda tf, x: tf.reduce_mean(x, axis=[1, 2], keepdims=keepdims), (1, h, w, c), seed)


def _pad(seed, then_conv):
    rng = np.random.default_rng(seed)
    h, w, c = rng.integers(3, 9), rng.integers(3, 9), rng.integers(1, 9)
    paddings = [[0, 0]] + [list(rng.integers(1, 3, size=2)) for _ in range(2)] + [[0, 0]]
    kernel = _normal(rng, 3, 3, c, 4)

    def build(tf, x):
        y = tf.pad(x, paddings)
        return tf.nn.conv2d(y, kernel, 2, "VALID") if then_conv else y
    return convert(build, (1, h, w, c), seed)


CASES = {
    "conv_s1_same_relu": ("CONV_2D", "relu", functools.partial(_conv, 11, 1, "SAME", "relu")),
    "conv_s2_same_relu6": ("CONV_2D", "relu6", functools.partial(_conv, 12, 2, "SAME", "relu6")),
    "conv_s1_valid_none": ("CONV_2D", "none", functools.partial(_conv, 13, 1, "VALID", "none")),
    "conv_s2_valid_relu": ("CONV_2D", "relu", functools.partial(_conv, 14, 2, "VALID", "relu")),
    "conv_dilation2_same": ("CONV_2D", "none", functools.partial(_conv, 15, 1, "SAME", "none", 2)),
    # the converter gives a bias-free conv an all-zero bias, which the harness passes as NULL
    "conv_no_bias_relu_n1_to_1": ("CONV_2D", "relu_n1_to_1",
                                  functools.partial(_conv, 16, 1, "SAME", "relu_n1_to_1", bias=False)),
    "dw_m1_s1_same_relu6": ("DEPTHWISE_CONV_2D", "relu6", functools.partial(_depthwise, 21, 1, 1, "SAME", "relu6")),
    "dw_m2_s2_same_none": ("DEPTHWISE_CONV_2D", "none", functools.partial(_depthwise, 22, 2, 2, "SAME", "none")),
    "dw_m1_s2_valid_relu": ("DEPTHWISE_CONV_2D", "relu", functools.partial(_depthwise, 23, 1, 2, "VALID", "relu")),
    "dw_m2_dilation2_valid": ("DEPTHWISE_CONV_2D", "none",
                              functools.partial(_depthwise, 24, 2, 1, "VALID", "none", 2)),
    "fc_per_channel_relu": ("FULLY_CONNECTED", "relu", functools.partial(_dense, 31, True, "relu")),
    "fc_per_tensor_none": ("FULLY_CONNECTED", "none", functools.partial(_dense, 32, False, "none")),
    "fc_per_channel_batch3": ("FULLY_CONNECTED", "none", functools.partial(_dense, 33, True, "none", 3)),
    "maxpool_2x2_s2_valid": ("MAX_POOL_2D", "none", functools.partial(_pool, 41, "max", 2, 2, "VALID")),
    "maxpool_3x3_s2_same": ("MAX_POOL_2D", "none", functools.partial(_pool, 42, "max", 3, 2, "SAME")),
    "maxpool_3x3_s1_same_relu": ("MAX_POOL_2D", "relu", functools.partial(_pool, 43, "max", 3, 1, "SAME", "relu")),
    "maxpool_2x3_s1x2_same": ("MAX_POOL_2D", "none", functools.partial(_pool, 44, "max", (2, 3), (1, 2), "SAME")),
    "avgpool_2x2_s2_valid": ("AVERAGE_POOL_2D", "none", functools.partial(_pool, 51, "avg", 2, 2, "VALID")),
    "avgpool_3x3_s2_same": ("AVERAGE_POOL_2D", "none", functools.partial(_pool, 52, "avg", 3, 2, "SAME")),
    "avgpool_3x3_s1_same": ("AVERAGE_POOL_2D", "none", functools.partial(_pool, 53, "avg", 3, 1, "SAME")),
    "avgpool_4x2_s2x1_same_relu6": ("AVERAGE_POOL_2D", "relu6",
                                    functools.partial(_pool, 54, "avg", (4, 2), (2, 1), "SAME", "relu6")),
    "mean_keepdims": ("MEAN", None, functools.partial(_mean, 61, True)),
    "mean_no_keepdims": ("MEAN", None, functools.partial(_mean, 62, False)),
    "mean_other_shape": ("MEAN", None, functools.partial(_mean, 63, False)),
    "pad_alone": ("PAD", None, functools.partial(_pad, 71, False)),
    "pad_then_conv": ("PAD", None, functools.partial(_pad, 72, True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_bit_exact_with_tflm(engine, case):
    opcode, act, make = CASES[case]
    graph = compare(engine, make(), seed=zlib.crc32(case.encode()))
    ops = [op for op in graph.operators if op.opcode == opcode]
    assert ops, f"the converter emitted {graph.opcodes()}, not {opcode}"
    if act is not None:
        assert ops[0].options.fusedActivationFunction == ACT_CODES[act], "activation was not fused"


# --- fixed-point arithmetic ---

@pytest.mark.parametrize("real, expected", [
    (0.0, (0, 0)),
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.75, (3 << 29, 0)),
    (0.1, (1717986918, -3)),              # 0.8 * 2^31 = 1717986918.4 rounds down
    (0.5 + 2.0**-32, ((1 << 30) + 1, 0)),  # an exact .5 tie rounds away from zero, not to even
    (1.0 - 2.0**-40, (1 << 30, 1)),        # the fraction rounds up to 1.0: halve and bump the shift
    (2.0**-32, (1 << 30, -31)),            # the smallest shift kept
    (2.0**-33, (0, 0)),                    # below it everything flushes to zero
    (3.0, (3 << 29, 2)),
])
def test_quantize_multiplier(real, expected):
    assert quantize_multiplier(real) == expected


def test_padding_offsets_follow_tflite():
    assert padding_offset(PADDING_SAME, 9, 3, 2) == 1      # out 5: (4*2 + 3 - 9) // 2
    assert padding_offset(PADDING_SAME, 8, 3, 2) == 0      # total 1 goes to the bottom/right
    assert padding_offset(PADDING_SAME, 8, 3, 1, 2) == 2   # dilated 3x3 spans 5
    assert padding_offset(PADDING_VALID, 9, 3, 2) == 0


def _reference_requantize(x: int, multiplier: int, shift: int) -> int:
    """gemmlowp's SaturatingRoundingDoublingHighMul then RoundingDivideByPOT, in Python integers."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((x << left) + 2**31) % 2**32 - 2**31          # int32 wrap of x * 2^left
    if a == multiplier == INT32_MIN:
        high = INT32_MAX
    else:
        ab = a * multiplier
        nudged = ab + (1 << 30 if ab >= 0 else 1 - (1 << 30))
        high = int(math.copysign(abs(nudged) // 2**31, nudged))  # C division truncates toward zero
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if (high & mask) > threshold else 0)


@pytest.mark.parametrize("x, multiplier, shift, expected", [
    (INT32_MIN, INT32_MIN, 0, INT32_MAX),   # the one saturating product
    (3, 1 << 30, -1, 1),                    # 0.75 rounds to 1
    (-3, 1 << 30, -1, -1),                  # -0.75 rounds to -1
    (5, 1 << 30, -2, 1),                    # 0.625
    (5, 1 << 30, -1, 2),                    # 1.25: 2.5 -> 3, then 1.5 -> 2 (single rounding gives 1)
    (-3, 1 << 30, 0, -1),                   # -1.5 ties toward +inf in the high multiply
    (3, 1 << 30, 0, 2),                     # 1.5 -> 2
    (100, 1 << 30, 1, 100),                 # shift +1 applied before the multiply
    (INT32_MAX, INT32_MAX, 0, INT32_MAX - 1),
    (1 << 29, 1 << 30, 2, -(1 << 30)),      # x * 4 wraps to INT32_MIN in int32, as in the reference
])
def test_requantize_edge_cases(engine, x, multiplier, shift, expected):
    assert _reference_requantize(x, multiplier, shift) == expected
    assert engine.tc_requantize(x, multiplier, shift) == expected


def test_requantize_matches_reference_on_random_values(engine):
    rng = np.random.default_rng(7)
    for _ in range(2000):
        x = int(rng.integers(INT32_MIN, INT32_MAX, endpoint=True))
        multiplier = int(rng.integers(1 << 30, INT32_MAX, endpoint=True))
        shift = int(rng.integers(-31, 8))
        assert engine.tc_requantize(x, multiplier, shift) == _reference_requantize(x, multiplier, shift)
