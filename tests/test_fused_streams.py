"""The fused streams of weights, biases and scales (tinyctl.engine.wide_weights): fuse_fc's for a fully-connected layer
and fuse_pointwise's for a 1x1 convolution, and the choice of them (tinyctl.engine.ops.weighted.fc_fuses and
pointwise_fuses): the layouts tc_fully_connected_fused_s8 and tc_pointwise_fused_s8 read, and every condition under
which their kernels or their in-register requantisation do not hold refuses them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tinyctl.engine.ops.weighted import WeightedOp, fc_fuses, pointwise_fuses
from tinyctl.engine.params import Int8IO, Requant, Window
from tinyctl.engine.wide_weights import (CONV_BLOCK, fuse_fc, fuse_pointwise, fused_fc_bytes, fused_pointwise_bytes,
                                        widen)
from tinyctl.graph import Tensor


def _tensor(index: int, data: np.ndarray | None, shape) -> Tensor:
    return Tensor(index, f"t{index}", tuple(shape), "INT8" if data is None or data.dtype == np.int8 else "INT32",
                  (0.1,), (0,), 0, data)


def _layer(units=8, depth=16, bias=1000, shifts=-7, io=Int8IO(-128, -128, -128, 127)) -> WeightedOp:
    rng = np.random.default_rng(units * depth)
    weights = rng.integers(-127, 128, size=(units, depth), dtype=np.int8)
    return WeightedOp(_tensor(0, None, (1, depth)), _tensor(1, weights, weights.shape),
                      _tensor(2, np.full(units, bias, np.int32), (units,)), _tensor(3, None, (1, units)), io,
                      Requant(np.full(units, 1 << 30, np.int32), np.full(units, shifts, np.int32)), None)


def _stream_inputs(seed: int, rows: int, depth: int) -> tuple[np.ndarray, ...]:
    """Random int8 rows, biases, multipliers and right shifts for a stream."""
    rng = np.random.default_rng(seed)
    return (rng.integers(-128, 128, size=(rows, depth), dtype=np.int8),
            rng.integers(-9000, 9000, size=rows).astype(np.int32),
            rng.integers(1 << 30, 1 << 31, size=rows).astype(np.int32), rng.integers(1, 23, size=rows))


def test_stream_holds_biases_rows_and_scales_block_by_block():
    rows, bias, multiplier, right = _stream_inputs(5, 8, 12)
    stream = fuse_fc(rows, bias, multiplier, right, -5)
    assert stream.dtype == np.int32 and stream.nbytes == fused_fc_bytes(8, 12)
    words = 4 + 2 * 12 + 12
    for block in range(2):
        units = slice(4 * block, 4 * block + 4)
        part = stream[block * words:(block + 1) * words]
        assert part[:4].tolist() == bias[units].tolist()
        assert part[4:28].view(np.int16).tolist() == widen(rows[units], 4).tolist()   # int16 pairs, low half first
        scales = part[28:].reshape(4, 3)
        assert scales[:, 0].tolist() == multiplier[units].tolist() and scales[:, 2].tolist() == right[units].tolist()
        assert scales[:, 1].tolist() == [(1 << (r - 1)) - 5 * (1 << r) for r in right[units]]


def test_a_layer_in_the_proved_range_fuses():
    assert fc_fuses(_layer())
    assert fc_fuses(_layer(shifts=-1)) and fc_fuses(_layer(shifts=-22))
    assert fc_fuses(dataclasses.replace(_layer(), bias=None))


@pytest.mark.parametrize("layer, why", [
    (_layer(units=6), "units not a multiple of 4"),
    (_layer(depth=10), "depth not a multiple of 4"),
    (_layer(io=Int8IO(-128, -128, -128, 100)), "a clamp inside [-128, 127]"),
    (_layer(io=Int8IO(-128, 0, 0, 127)), "ReLU on a zero point above -128"),
    (_layer(shifts=0), "no right shift"),
    (_layer(shifts=-23), "a right shift over 22"),
    (_layer(shifts=3), "a left shift"),
    (_layer(bias=(1 << 30) - 128 * 256 * 16), "sums that may reach 2^30"),
])
def test_layers_outside_the_proof_keep_the_other_layouts(layer, why):
    assert not fc_fuses(layer), why


def _conv_layer(channels=8, depth=32, pixels=(3, 3), kernel=(1, 1), bias=1000, shifts=-7,
                io=Int8IO(-128, -128, -128, 127), pad=(0, 0)) -> WeightedOp:
    rng = np.random.default_rng(channels * depth)
    weights = rng.integers(-127, 128, size=(channels, *kernel, depth), dtype=np.int8)
    return WeightedOp(_tensor(0, None, (1, *pixels, depth)), _tensor(1, weights, weights.shape),
                      _tensor(2, np.full(channels, bias, np.int32), (channels,)),
                      _tensor(3, None, (1, *pixels, channels)), io,
                      Requant(np.full(channels, 1 << 30, np.int32), np.full(channels, shifts, np.int32)),
                      Window(1, 1, 1, 1, *pad))


def test_stream_holds_doubled_biases_weights_and_the_scales_pair_by_pair():
    rows, bias, multiplier, right = _stream_inputs(6, 6, 16)
    stream = fuse_pointwise(rows, bias, multiplier, right, 7)
    assert stream.dtype == np.int32 and stream.nbytes == fused_pointwise_bytes(6, 16)
    words = 2 + 16 + 6
    for pair in range(3):
        channels = slice(2 * pair, 2 * pair + 2)
        part = stream[pair * words:(pair + 1) * words]
        assert part[:2].tolist() == (2 * bias[channels]).tolist()
        # the -128 weights double to -256, still an int16
        assert part[2:18].view(np.int16).tolist() == (2 * widen(rows[channels], CONV_BLOCK)).tolist()
        scales = part[18:].reshape(2, 3)
        assert scales[:, 0].tolist() == multiplier[channels].tolist()
        more = 256 if pair < 2 else 0   # the second channel's right flags another pair to come
        assert scales[:, 2].tolist() == [right[2 * pair], right[2 * pair + 1] + more]
        assert scales[:, 1].tolist() == [(1 << (r - 1)) + 7 * (1 << r) for r in right[channels]]


def test_a_1x1_layer_in_the_proved_range_fuses():
    assert pointwise_fuses(_conv_layer())
    assert pointwise_fuses(_conv_layer(depth=288, pixels=(1, 3), shifts=-1))
    assert pointwise_fuses(_conv_layer(depth=16))   # one four of groups: its own blocks, or the loop's odd entry
    assert pointwise_fuses(_conv_layer(shifts=-22))
    assert pointwise_fuses(dataclasses.replace(_conv_layer(), bias=None))


@pytest.mark.parametrize("layer, why", [
    (_conv_layer(depth=8), "8 channels: tc_pointwise_pixels is the faster"),
    (_conv_layer(depth=40), "a depth not a multiple of 16"),
    (_conv_layer(depth=304), "a depth over the lanes' 288"),
    (_conv_layer(channels=7), "an odd channel count"),
    (_conv_layer(pixels=(1, 2)), "under three output pixels"),
    (_conv_layer(kernel=(3, 3)), "not a 1x1 window"),
    (_conv_layer(pad=(0, 1)), "padding before the image"),
    (_conv_layer(io=Int8IO(-128, -128, -128, 100)), "a clamp inside [-128, 127]"),
    (_conv_layer(shifts=0), "no right shift"),
    (_conv_layer(shifts=-23), "a right shift over 22"),
    (_conv_layer(bias=(1 << 30) - 128 * 256 * 32), "sums that may reach 2^30"),
])
def test_1x1_layers_outside_the_kernel_or_the_proof_keep_the_other_layouts(layer, why):
    assert not pointwise_fuses(layer), why
