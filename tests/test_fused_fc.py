"""The fused fully-connected stream (tinyctl.engine.wide_weights.fuse_fc) and the choice of it
(tinyctl.engine.ops.weighted.fc_fuses): the layout tc_fully_connected_fused_s8 reads, and every condition under
which its in-register requantisation is not proved equal to tc_requantize refuses it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tinyctl.engine.ops.weighted import WeightedOp, fc_fuses
from tinyctl.engine.params import Int8IO, Requant
from tinyctl.engine.wide_weights import fuse_fc, fused_fc_bytes, widen
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


def test_stream_holds_biases_rows_and_scales_block_by_block():
    rng = np.random.default_rng(5)
    rows = rng.integers(-128, 128, size=(8, 12), dtype=np.int8)
    bias = rng.integers(-9000, 9000, size=8).astype(np.int32)
    multiplier = rng.integers(1 << 30, 1 << 31, size=8).astype(np.int32)
    right = rng.integers(1, 23, size=8)
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
