"""Invariant 1 for the engine: every kernel equals the TFLite-Micro reference bit for bit.

Each case is a small single-op model that TensorFlow's converter quantizes to int8; shapes are
drawn from a seeded RNG so the cases are random but reproducible."""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import math
import operator
import zlib

import numpy as np
import pytest

from kernel_harness import build_engine, compare, convert, zero_bias_as_null
from tinyctl.engine import binary_op, concat_op, padding_offset, quantize_multiplier, rescale_op
from tinyctl.engine.quant import PADDING_SAME, PADDING_VALID
from tinyctl.graph import read_graph

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
ACT_CODES = {"none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3}


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    return build_engine(tmp_path_factory.mktemp("engine"))


@pytest.fixture(scope="session")
def requantize(engine):
    fn = ctypes.CDLL(str(engine)).tc_requantize
    fn.restype, fn.argtypes = ctypes.c_int32, [ctypes.c_int32, ctypes.c_int32, ctypes.c_int]
    return fn


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


def _shape(rng, rank: int, ones: tuple[int, ...] = ()) -> tuple[int, ...]:
    """A random activation shape, batch 1 when 4-D; the dims in `ones` are 1."""
    shape = [int(d) for d in rng.integers(2, 9, size=rank)]
    for d in (0, *ones) if rank == 4 else ones:
        shape[d] = 1
    return tuple(shape)


# Second operands of ADD/SUB/MUL: (input shape ones, make(tf, x, rng) -> (a, b)).
_OPERANDS = {
    "channel": ((), lambda tf, x, rng: (x, _normal(rng, x.shape[-1]))),                 # x op const[c]
    "channel_first": ((), lambda tf, x, rng: (_normal(rng, x.shape[-1]), x)),           # const[c] op x
    "scalar": ((), lambda tf, x, rng: (x, np.float32(rng.normal() * 2))),
    "rows": ((), lambda tf, x, rng: (x, _normal(rng, *x.shape[1:-1], 1))),               # const[h.., 1]
    "cross": ((2,), lambda tf, x, rng: (x, _normal(rng, int(rng.integers(2, 7)), 1))),  # [1,h,1,c] op [w,1]
    "mean": ((), lambda tf, x, rng: (x, tf.reduce_mean(x, axis=[1, 2], keepdims=True))),
    "relu": ((), lambda tf, x, rng: (x, tf.nn.relu(x))),                               # same shape, no broadcast
    "self": ((), lambda tf, x, rng: (x, x)),
}
_ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}


def _binary(seed, kind, operand, act="none", rank=4):
    rng = np.random.default_rng(seed)
    ones, make = _OPERANDS[operand]
    shape = _shape(rng, rank, ones)

    def build(tf, x):
        return _activation(tf, _ARITHMETIC[kind](*make(tf, x, np.random.default_rng(seed))), act)
    return convert(build, shape, seed)


def _concat(seed, axis, parts, rank=4):
    rng = np.random.default_rng(seed)
    shape = _shape(rng, rank)
    const_shape = list(shape)
    const_shape[axis] = int(rng.integers(1, 5))
    pieces = {"x": lambda tf, x: x,
              "relu": lambda tf, x: tf.nn.relu(x),
              "double": lambda tf, x: x * 2.0,
              "const": lambda tf, x: tf.constant(_normal(rng, *const_shape))}
    return convert(lambda tf, x: tf.concat([pieces[p](tf, x) for p in parts], axis=axis), shape, seed)


def _resize(seed, align_corners=False, half_pixel_centers=False, scale=(2, 2)):
    """Nearest-neighbour resize to about `scale` times the input size (random, so it may not be a whole
    multiple); checks the converter kept the options."""
    rng = np.random.default_rng(seed)
    shape = _shape(rng, 4)
    size = [max(1, int(d * s + rng.integers(-1, 2))) for d, s in zip(shape[1:3], scale)]
    model = convert(lambda tf, x: tf.compat.v1.image.resize_nearest_neighbor(
        x, size, align_corners=align_corners, half_pixel_centers=half_pixel_centers), shape, seed)
    options = next(op for op in read_graph(model).operators if op.opcode == "RESIZE_NEAREST_NEIGHBOR").options
    assert (options.alignCorners, options.halfPixelCenters) == (align_corners, half_pixel_centers)
    return model


def _unary(seed, fn, rank=4, input_std=1.0):
    return convert(fn, _shape(np.random.default_rng(seed), rank), seed, input_std=input_std)


def _as_quantize(model: bytes) -> bytes:
    """A single-op model with its op turned into QUANTIZE: an int8 -> int8 requantization between the
    op's input and output quantizations."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    m = schema.ModelT.InitFromPackedBuf(model, 0)
    (code,) = m.operatorCodes
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
    m.subgraphs[0].operators[0].builtinOptionsType, m.subgraphs[0].operators[0].builtinOptions = 0, None
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _leaky(alpha):
    return lambda tf, x: tf.nn.leaky_relu(x, alpha)


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
    "add_channel_const_relu": ("ADD", "relu", functools.partial(_binary, 81, "add", "channel", "relu")),
    "add_mean_broadcast_relu6": ("ADD", "relu6", functools.partial(_binary, 82, "add", "mean", "relu6")),
    "add_cross_broadcast": ("ADD", "none", functools.partial(_binary, 83, "add", "cross")),
    "add_same_shape": ("ADD", "none", functools.partial(_binary, 84, "add", "relu")),
    "add_rank2_channel_const": ("ADD", "none", functools.partial(_binary, 85, "add", "channel", rank=2)),
    "add_rank3_rows_const": ("ADD", "relu_n1_to_1", functools.partial(_binary, 86, "add", "rows", "relu_n1_to_1", 3)),
    "sub_channel_const": ("SUB", "none", functools.partial(_binary, 91, "sub", "channel")),
    "sub_const_first_relu": ("SUB", "relu", functools.partial(_binary, 92, "sub", "channel_first", "relu")),
    "sub_mean_broadcast": ("SUB", "none", functools.partial(_binary, 93, "sub", "mean")),
    "sub_cross_broadcast_relu6": ("SUB", "relu6", functools.partial(_binary, 94, "sub", "cross", "relu6")),
    "sub_rank3_rows_const": ("SUB", "none", functools.partial(_binary, 95, "sub", "rows", rank=3)),
    "mul_channel_const_relu6": ("MUL", "relu6", functools.partial(_binary, 101, "mul", "channel", "relu6")),
    "mul_scalar_const": ("MUL", "none", functools.partial(_binary, 102, "mul", "scalar")),
    "mul_mean_broadcast_relu": ("MUL", "relu", functools.partial(_binary, 103, "mul", "mean", "relu")),
    "mul_square": ("MUL", "none", functools.partial(_binary, 104, "mul", "self")),
    "mul_cross_broadcast": ("MUL", "none", functools.partial(_binary, 105, "mul", "cross")),
    "mul_rank2_channel_const": ("MUL", "none", functools.partial(_binary, 106, "mul", "channel", rank=2)),
    "concat_channels": ("CONCATENATION", "none", functools.partial(_concat, 111, 3, ["x", "relu"])),
    "concat_rows_three": ("CONCATENATION", "none", functools.partial(_concat, 112, 1, ["x", "double", "x"])),
    "concat_cols_const": ("CONCATENATION", "none", functools.partial(_concat, 113, 2, ["const", "x"])),
    "concat_rank2_batch": ("CONCATENATION", "none", functools.partial(_concat, 114, 0, ["x", "double"], 2)),
    "concat_rank3_last": ("CONCATENATION", "none", functools.partial(_concat, 115, -1, ["relu", "x", "const"], 3)),
    "resize_up": ("RESIZE_NEAREST_NEIGHBOR", None, functools.partial(_resize, 121)),
    "resize_down": ("RESIZE_NEAREST_NEIGHBOR", None, functools.partial(_resize, 122, scale=(0.5, 0.7))),
    "resize_align_corners": ("RESIZE_NEAREST_NEIGHBOR", None, functools.partial(_resize, 123, True)),
    "resize_align_corners_to_1": ("RESIZE_NEAREST_NEIGHBOR", None,
                                  functools.partial(_resize, 124, True, scale=(0.1, 0.1))),
    "resize_half_pixel_centers": ("RESIZE_NEAREST_NEIGHBOR", None, functools.partial(_resize, 125, False, True)),
    "resize_half_pixel_down_up": ("RESIZE_NEAREST_NEIGHBOR", None,
                                  functools.partial(_resize, 128, False, True, (0.6, 1.5))),
    "relu": ("RELU", None, functools.partial(_unary, 131, lambda tf, x: tf.nn.relu(x))),
    "relu_rank2": ("RELU", None, functools.partial(_unary, 132, lambda tf, x: tf.nn.relu(x), 2)),
    "relu6_within_range": ("RELU6", None, functools.partial(_unary, 133, lambda tf, x: tf.nn.relu6(x), 4, 4.0)),
    "relu6_beyond_range": ("RELU6", None, functools.partial(_unary, 134, lambda tf, x: tf.nn.relu6(x), 3)),
    "leaky_relu_0.2": ("LEAKY_RELU", None, functools.partial(_unary, 141, _leaky(0.2))),
    "leaky_relu_0.01_rank3": ("LEAKY_RELU", None, functools.partial(_unary, 142, _leaky(0.01), 3)),
    "leaky_relu_negative_alpha": ("LEAKY_RELU", None, functools.partial(_unary, 143, _leaky(-0.3))),
    "leaky_relu_alpha_1.5": ("LEAKY_RELU", None, functools.partial(_unary, 144, _leaky(1.5), 2)),
    "quantize_from_relu_scales": ("QUANTIZE", None, lambda: _as_quantize(_unary(151, lambda tf, x: tf.nn.relu(x)))),
    "quantize_from_leaky_scales": ("QUANTIZE", None, lambda: _as_quantize(_unary(152, _leaky(0.2), 2, 3.0))),
    "quantize_after_tanh": ("QUANTIZE", None, functools.partial(_unary, 153, lambda tf, x: tf.concat(
        [tf.nn.tanh(x), x * 4.0], axis=-1))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_bit_exact_with_tflm(engine, case, tmp_path):
    opcode, act, make = CASES[case]
    graph, _ = compare(make(), tmp_path, seed=zlib.crc32(case.encode()), count=8, engine=engine,
                       view=zero_bias_as_null)
    ops = [op for op in graph.operators if op.opcode == opcode]
    assert ops, f"the converter emitted {graph.opcodes()}, not {opcode}"
    if act is not None:
        assert ops[0].options.fusedActivationFunction == ACT_CODES[act], "activation was not fused"


@pytest.mark.parametrize("case", ["add_cross_broadcast", "add_same_shape", "sub_const_first_relu",
                                  "mul_mean_broadcast_relu", "concat_cols_const", "concat_rows_three",
                                  "resize_half_pixel_centers", "relu6_within_range", "leaky_relu_negative_alpha",
                                  "quantize_after_tanh"])
def test_generated_code_is_bit_exact_with_tflm(case, tmp_path):
    """model.c as codegen writes it (constant operands, pointer tables, in-place calls) for each new op."""
    compare(CASES[case][2](), tmp_path, seed=zlib.crc32(case.encode()))


@pytest.mark.parametrize("case, opcode, tensor, change, message", [
    # TFLite-Micro's int8 CONCATENATION does not rescale
    ("concat_channels", "CONCATENATION", "input", {"scale": (0.5,)}, "quantized like the output"),
    ("quantize_from_relu_scales", "QUANTIZE", "input", {"dtype": "FLOAT32"}, "int8 tensors only"),
    ("quantize_from_relu_scales", "QUANTIZE", "output", {"scale": (0.5, 0.25)}, "per channel"),
    # TFLite-Micro aborts when ADD's output multiplier is not below 1
    ("add_channel_const_relu", "ADD", "output", {"scale": (1e-9,)}, "too small"),
])
def test_variants_tflm_does_not_run_are_refused(case, opcode, tensor, change, message):
    graph = read_graph(CASES[case][2]())
    op = next(op for op in graph.operators if op.opcode == opcode)
    index = op.inputs[0] if tensor == "input" else op.outputs[0]
    tensors = list(graph.tensors)
    tensors[index] = dataclasses.replace(tensors[index], **change)
    params = {"CONCATENATION": concat_op, "QUANTIZE": rescale_op, "ADD": binary_op}[opcode]
    with pytest.raises(ValueError, match=message):
        params(dataclasses.replace(graph, tensors=tuple(tensors)), op)


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
def test_requantize_edge_cases(requantize, x, multiplier, shift, expected):
    assert _reference_requantize(x, multiplier, shift) == expected
    assert requantize(x, multiplier, shift) == expected


def test_requantize_matches_reference_on_random_values(requantize):
    rng = np.random.default_rng(7)
    for _ in range(2000):
        x = int(rng.integers(INT32_MIN, INT32_MAX, endpoint=True))
        multiplier = int(rng.integers(1 << 30, INT32_MAX, endpoint=True))
        shift = int(rng.integers(-31, 8))
        assert requantize(x, multiplier, shift) == _reference_requantize(x, multiplier, shift)
