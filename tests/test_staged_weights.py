"""Int16 weights staged in the arena (tinyctl.staged_weights): which layers, where, and that the default build reads
them from there. The firmware's self-test (bit-exact with TFLite-Micro, in QEMU) runs on the staged weights in
every default build and in test_suite_firmware's reference models."""

from __future__ import annotations

import re

import pytest

from tinyctl.engine.registry import wide_gains
from tinyctl.graph import read_graph
from tinyctl.planner import plan_arena
from tinyctl.staged_weights import COPY_CYCLES_PER_BYTE, staged_weights
from tinyctl.targets import resolve_board


@pytest.fixture(scope="module")
def detector(default_build):
    graph = read_graph(default_build[0] / "model_int8.tflite")
    return graph, plan_arena(graph), frozenset(wide_gains(graph))


def test_staged_weights_lie_in_bytes_no_live_tensor_holds(detector):
    graph, plan, wide = detector
    staged = staged_weights(graph, plan, wide, resolve_board("nucleo-f446re"))
    assert staged
    gains = wide_gains(graph)
    for index, offset in staged.items():
        end = offset + gains[index].weight_bytes
        assert offset % 16 == 0 and end <= plan.peak_bytes
        live = [t for t, (first, last) in plan.lifetimes.items() if first <= index <= last]
        assert all(end <= plan.offsets[t] or plan.offsets[t] + plan.sizes[t] <= offset for t in live)


def test_a_layer_is_staged_only_where_its_reads_cost_more_than_the_copy(detector):
    graph, plan, wide = detector
    board = resolve_board("nucleo-f446re")
    staged = staged_weights(graph, plan, wide, board)
    for index, gain in wide_gains(graph).items():
        lines = -(-gain.weight_bytes // 16)          # the F446's ART data cache: 8 lines of 16 bytes
        pays = lines > 8 and (gain.reads - 1) * lines * 5 > COPY_CYCLES_PER_BYTE * gain.weight_bytes
        assert (index in staged) == pays, index   # the arena has room for every one of the detector's
    assert not staged_weights(graph, plan, frozenset(), board)     # int8 weights: none


@pytest.mark.parametrize("board", ["host", "mps3-an547", "rpi-pico"])
def test_no_layer_is_staged_without_flash_wait_states(detector, board):
    assert not staged_weights(*detector, resolve_board(board))


def test_the_default_build_copies_each_staged_layers_weights_before_it(default_build):
    directory, report = default_build
    staged = [layer["op"] for layer in report["engine"]["layers"] if layer["staged_in_arena"]]
    assert staged and all(layer["weights"] == "int16" for layer in report["engine"]["layers"]
                          if layer["staged_in_arena"])
    source = (directory / "engine" / "model.c").read_text()
    for index in staged:
        call = re.search(rf"/\* op {index}: CONV_2D \*/\n(.*?)MODEL_LAYER_END", source, re.S).group(1)
        # its int16 weights, or a 1x1 layer's fused stream (int32 words)
        copy = re.search(rf"tc_copy_words\(arena \+ (\d+), op{index}_(wide|fused), sizeof op{index}_\2\);", call)
        word = {"wide": "int16_t", "fused": "int32_t"}[copy.group(2)] if copy else None
        assert copy and f"(const {word} *)(arena + {copy.group(1)})" in call
