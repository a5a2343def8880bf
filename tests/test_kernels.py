"""Invariant 1 for the engine: every kernel equals the TFLite-Micro reference bit for bit.

Each case is a small single-op model that TensorFlow's converter quantizes to int8; shapes are
drawn from a seeded RNG so the cases are random but reproducible."""

from __future__ import annotations

import ctypes
import dataclasses
import math
import zlib

import numpy as np
import pytest

from kernel_harness import ACTIVATIONS, build_engine, compare, kernel_model, zero_bias_as_null
from tinyctl.engine import padding_offset, plane_stream, quantize_multiplier, registry
from tinyctl.engine.ops.weighted import weighted_op
from tinyctl.engine.params import nhwc
from tinyctl.engine.quant import PADDING_SAME, PADDING_VALID
from tinyctl.engine.registry import kernel_cases
from tinyctl.graph import read_graph
from tinyctl.planner import in_place_inputs

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


# Every registered op's cases (declared in its module, toolchain/engine/ops/) but the activations'
# (tests/test_kernels_activations.py), by name: () -> KernelCase.
CASES = {name: make for name, make in kernel_cases().items() if make().opcode not in ACTIVATIONS}


def _model(case: str) -> bytes:
    return kernel_model(CASES[case]())


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_bit_exact_with_tflm(engine, case, tmp_path):
    kernel_case = CASES[case]()
    opcode, act = kernel_case.opcode, kernel_case.activation
    graph, plan = compare(kernel_model(kernel_case), tmp_path, seed=zlib.crc32(case.encode()), count=8,
                          engine=engine, view=zero_bias_as_null, wide=kernel_case.wide_weights)
    ops = [op for op in graph.operators if op.opcode == opcode]
    assert ops, f"the converter emitted {graph.opcodes()}, not {opcode}"
    takers = in_place_inputs(graph, plan.lifetimes).get(ops[0].index)
    assert not takers or plan.in_place.get(ops[0].outputs[0]) in takers, "it may run in place, so it must here"
    if act is not None:
        assert ops[0].options.fusedActivationFunction == ACT_CODES[act], "activation was not fused"
    if kernel_case.wide_weights and opcode == "FULLY_CONNECTED":
        fused = "tc_fully_connected_fused_s8" in (tmp_path / "model.c").read_text()
        assert fused == case.startswith("fc_fused"), "fc_fuses picks the fused stream for exactly the fc_fused cases"
    if kernel_case.wide_weights and opcode == "CONV_2D":
        text = (tmp_path / "model.c").read_text()
        fused = "tc_pointwise_fused_s8" in text
        assert fused == case.startswith("conv_fused"), "pointwise_fuses picks the fused stream for exactly conv_fused"
        assert ("TC_POINTWISE_FUSED_AT(fused_" in text) == fused, "the blocks for its shape"
    if kernel_case.wide_weights and opcode == "DEPTHWISE_CONV_2D":
        text = (tmp_path / "model.c").read_text()
        assert "tc_depthwise_plane_stream_s8" in text, "not on its channel records"
        w = weighted_op(graph, ops[0])
        spec = plane_stream.passes(nhwc(w.input.shape), nhwc(w.output.shape), w.window, w.io)  # for its shape
        assert (f"TC_PLANE_{spec[0].upper()}_AT(plane_" in text) if spec else "TC_PLANE_PASSES_OF(" not in text
        assert spec or case == "dw_records_s2_same_none", "rows of 10 at stride 2 alone take the passes for any step"


@pytest.mark.parametrize("case", ["add_cross_broadcast", "add_same_shape", "sub_const_first_relu",
                                  "mul_mean_broadcast_relu", "concat_cols_const", "concat_rows_three",
                                  "resize_half_pixel_centers", "relu6_within_range", "leaky_relu_negative_alpha",
                                  "quantize_after_tanh"])
def test_generated_code_is_bit_exact_with_tflm(case, tmp_path):
    """model.c as codegen writes it (constant operands, pointer tables, in-place calls) for each new op."""
    compare(_model(case), tmp_path, seed=zlib.crc32(case.encode()))


@pytest.mark.parametrize("case, opcode, tensor, change, message", [
    # TFLite-Micro's int8 CONCATENATION does not rescale
    ("concat_channels", "CONCATENATION", "input", {"scale": (0.5,)}, "quantized like the output"),
    ("quantize_from_relu_scales", "QUANTIZE", "input", {"dtype": "FLOAT32"}, "int8 tensors only"),
    ("quantize_from_relu_scales", "QUANTIZE", "output", {"scale": (0.5, 0.25)}, "per channel"),
    # TFLite-Micro aborts when ADD's output multiplier is not below 1
    ("add_channel_const_relu", "ADD", "output", {"scale": (1e-9,)}, "too small"),
])
def test_variants_tflm_does_not_run_are_refused(case, opcode, tensor, change, message):
    graph = read_graph(_model(case))
    op = next(op for op in graph.operators if op.opcode == opcode)
    index = op.inputs[0] if tensor == "input" else op.outputs[0]
    tensors = list(graph.tensors)
    tensors[index] = dataclasses.replace(tensors[index], **change)
    with pytest.raises(ValueError, match=message):
        registry.OPS[opcode].params(dataclasses.replace(graph, tensors=tuple(tensors)), op)


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
