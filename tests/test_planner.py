"""Invariant 2: the planned arena never holds two live tensors in the same bytes (checked by
simulating every op step), and its peak is no larger than TFLite-Micro's arena."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kernel_harness import compare, convert
from tinyctl.errors import TinyctlError
from tinyctl.graph import Graph, Operator, Tensor, read_graph
from tinyctl.engine.pad_fusion import FUSED_PAD, lower
from tinyctl.engine.params import Window
from tinyctl.engine.window_in_place import pixel_lag
from tinyctl.planner import ALIGNMENT, Plan, arena_lower_bound, check_plan, free_at, op_bytes, plan_arena


@pytest.fixture(scope="module")
def graph(default_build) -> Graph:
    return read_graph(default_build[0] / "model_int8.tflite")


@pytest.fixture(scope="module")
def lowered(graph) -> Graph:
    """The default detector as the engine runs it: its PAD folded into the first conv (engine/pad_fusion.py)."""
    return lower(graph)


def test_default_plan_passes_the_simulation(graph, lowered):
    plan = plan_arena(graph)
    check_plan(graph, plan)
    used = {i for op in lowered.operators for i in (*op.inputs, *op.outputs) if i >= 0}
    activations = {t.index for t in graph.tensors if not t.is_constant}
    assert set(plan.offsets) == activations & used
    assert [op.opcode for op in lowered.operators].count(FUSED_PAD) == 1     # its output never needs a place
    assert all(offset % ALIGNMENT == 0 for offset in plan.offsets.values())


def test_default_peak_is_within_the_tflm_arena(graph, lowered, default_build):
    plan = plan_arena(graph)
    largest_pair = max(plan.sizes[op.inputs[0]] + plan.sizes[op.outputs[0]] for op in lowered.operators if op.inputs)
    assert largest_pair <= plan.peak_bytes <= default_build[1]["memory"]["tflm"]["arena_bytes"]
    # no larger than before depthwise ran in place (benchmarks/results.md of 2026-12-04), at its lower bound
    assert plan.peak_bytes <= 16_384 and arena_lower_bound(graph)[0] <= plan.peak_bytes
    assert default_build[1]["engine"]["arena_lower_bound_bytes"] == arena_lower_bound(graph)[0]


def test_the_simulation_catches_an_overlap(graph, lowered):
    plan = plan_arena(graph)
    op = next(op for op in lowered.operators if op.opcode == "CONV_2D")
    offsets = dict(plan.offsets)
    offsets[op.outputs[0]] = offsets[op.inputs[0]]  # the conv would overwrite the input it is reading
    with pytest.raises(AssertionError, match=f"op step {op.index}"):
        check_plan(graph, dataclasses.replace(plan, offsets=offsets))


def test_the_simulation_catches_a_misaligned_offset(graph):
    plan = plan_arena(graph)
    offsets = dict(plan.offsets)
    offsets[graph.outputs[0]] += 1
    with pytest.raises(AssertionError, match="unaligned"):
        check_plan(graph, dataclasses.replace(plan, offsets=offsets))


def _tensor(index: int, shape, constant: bool = False) -> Tensor:
    data = np.zeros(shape, dtype=np.int32) if constant else None
    return Tensor(index, f"t{index}", tuple(shape), "INT32" if constant else "INT8", (1.0,), (0,), 0, data)


def _chain(opcodes: list[str]) -> Graph:
    """input [1,8,8,4] -> op -> ... ; each op reads the previous tensor (and a constant shape)."""
    tensors = [_tensor(0, (1, 8, 8, 4)), _tensor(1, (4,), constant=True)]
    ops = []
    for k, opcode in enumerate(opcodes):
        tensors.append(_tensor(len(tensors), (1, 8, 8, 4) if k % 2 else (1, 256)))
        ops.append(Operator(k, opcode, (len(tensors) - 2 if k else 0, 1), (len(tensors) - 1,), None))
    return Graph(tuple(tensors), tuple(ops), (0,), (len(tensors) - 1,))


def test_free_at_finds_the_lowest_gap_no_live_tensor_holds():
    """Tensors 1 [0, 64) live at steps 0-1, 2 [64, 100) at 1-2, 3 [128, 192) at 2-3, in a 192-byte arena."""
    plan = Plan({1: 0, 2: 64, 3: 128}, {1: 64, 2: 36, 3: 64}, 192, {1: (0, 1), 2: (1, 2), 3: (2, 3)})
    assert free_at(plan, 1, 64) == 112          # past tensor 2, aligned up from its end at 100
    assert free_at(plan, 1, 81) is None         # 112 + 81 is past the arena's end: the arena never grows
    assert free_at(plan, 2, 64) == 0            # tensor 1 is dead by step 2
    assert free_at(plan, 3, 128) == 0 and free_at(plan, 3, 129) is None


def test_reshape_output_shares_its_input():
    graph = _chain(["PAD", "RESHAPE", "MAX_POOL_2D"])
    plan = plan_arena(graph)
    check_plan(graph, plan)
    assert plan.offsets[3] == plan.offsets[2] and plan.aliases == {3: 2}
    assert plan.offsets[4] != plan.offsets[3]


def _conv_leaky_add(tf, x):
    kernel = np.random.default_rng(5).normal(size=(1, 1, 8, 8)).astype(np.float32)
    return tf.nn.leaky_relu(tf.nn.conv2d(x, kernel, 1, "SAME"), 0.1) + x


def test_in_place_lowers_the_peak_and_stays_bit_exact(tmp_path):
    graph, plan = compare(convert(_conv_leaky_add, (1, 8, 8, 8), seed=3), tmp_path, seed=3)
    assert graph.opcodes() == ["CONV_2D", "LEAKY_RELU", "ADD"]
    x, conv_out, leaky_out, add_out = graph.inputs[0], *(op.outputs[0] for op in graph.operators)
    assert plan.in_place[leaky_out] == conv_out and plan.in_place[add_out] in (x, leaky_out)
    # x, the conv output and the LEAKY_RELU output are all live at step 1: 3 x 512 bytes unless in place
    assert plan.peak_bytes == 2 * 512
    offsets = {**plan.offsets, leaky_out: plan.offsets[x]}  # over x, which ADD still reads
    with pytest.raises(AssertionError, match="op step 1"):
        check_plan(graph, dataclasses.replace(plan, offsets=offsets))


def _graph(count: int, ops: list[tuple[str, list[int], int]], outputs: list[int]) -> Graph:
    """`count` [1, 8, 8, 4] tensors, t0 the input; ops as (opcode, inputs, output)."""
    operators = tuple(Operator(k, opcode, tuple(ins), (out,), None) for k, (opcode, ins, out) in enumerate(ops))
    return Graph(tuple(_tensor(i, (1, 8, 8, 4)) for i in range(count)), operators, (0,), tuple(outputs))


def test_in_place_waits_for_views_and_spares_graph_outputs():
    # t2 = reshape(t1) is read after t3 = relu(t1), so t3 may not take t1's bytes
    graph = _graph(5, [("RELU", [0], 1), ("RESHAPE", [1], 2), ("RELU", [1], 3), ("ADD", [3, 2], 4)], [4])
    plan = plan_arena(graph)
    check_plan(graph, plan)
    assert plan.in_place == {1: 0, 4: 3}
    # a graph output keeps its bytes even when the last op reads it
    graph = _graph(3, [("RELU", [0], 1), ("RELU", [1], 2)], [1, 2])
    plan = plan_arena(graph)
    check_plan(graph, plan)
    assert plan.in_place == {1: 0}
    with pytest.raises(AssertionError, match="op step 1"):
        check_plan(graph, dataclasses.replace(plan, offsets={**plan.offsets, 2: plan.offsets[1]}))


def test_an_unsupported_op_is_refused_with_its_name_and_layer():
    with pytest.raises(TinyctlError, match=r"op SVDF \(layer 't3'\)"):
        plan_arena(_chain(["PAD", "SVDF"]))


def test_lower_bound_is_the_op_needing_the_most_bytes_at_once():
    shapes = [(1, 8, 8, 4), (1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16), (1, 4, 4, 16), (1, 256)]
    ops = [("CONV_2D", [0], 1), ("RELU", [1], 2), ("ADD", [2, 1], 3), ("MAX_POOL_2D", [3], 4), ("RESHAPE", [4], 5)]
    graph = Graph(tuple(_tensor(i, s) for i, s in enumerate(shapes)),
                  tuple(Operator(k, opcode, tuple(ins), (out,), None) for k, (opcode, ins, out) in enumerate(ops)),
                  (0,), (5,))
    # CONV 256 + 1024; RELU in place 1024; ADD both inputs, its output over one: 2048; MAX_POOL 1280; RESHAPE 256
    assert [op_bytes(graph, op) for op in graph.operators] == [1280, 1024, 2048, 1280, 256]
    assert arena_lower_bound(graph) == (2048, 2)
    assert plan_arena(graph).peak_bytes >= 2048


@pytest.mark.parametrize("padding, stride, expected", [("SAME", 1, 12 + 1 + 1), ("VALID", 1, 1), ("SAME", 2, 1)])
def test_depthwise_lag_reaches_back_to_the_earliest_pixel_still_read(padding, stride, expected):
    pad = 1 if padding == "SAME" and stride == 1 else 0
    out = (12 if padding == "SAME" else 10) // stride
    assert pixel_lag((12, 12), (out, out), Window(stride, stride, 1, 1, pad, pad)) == expected


def _depthwise_relu(tf, x):
    kernel = np.random.default_rng(7).normal(size=(3, 3, 8, 1)).astype(np.float32)
    return tf.nn.relu(tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "SAME"))


def test_depthwise_in_place_below_its_input_lowers_the_peak_and_stays_bit_exact(tmp_path):
    graph, plan = compare(convert(_depthwise_relu, (1, 12, 12, 8), seed=4), tmp_path, seed=4)
    assert graph.opcodes() == ["DEPTHWISE_CONV_2D"]
    x, y = graph.inputs[0], graph.outputs[0]
    shift = (12 + 1 + 1) * 8  # a row and two pixels of 8 channels, a multiple of 16
    assert plan.in_place == {y: x} and plan.offsets[x] - plan.offsets[y] == shift
    assert plan.peak_bytes == 12 * 12 * 8 + shift < 2 * 12 * 12 * 8
    with pytest.raises(AssertionError, match="op step 0"):  # 2 pixels short of the lag
        check_plan(graph, dataclasses.replace(plan, offsets={**plan.offsets, y: plan.offsets[y] + 16}))
