"""PAD folded into the window op after it (tinyctl.engine.pad_fusion): bit-exact with TFLite-Micro on
every kernel path the folded op can take (conv: matmul, wide, window_small; depthwise: plane and general; max
pool), with the padding on every side, symmetric and not, stride 1 and 2; and the PADs that must
stay (a value other than the zero point, two readers, an average pool, the channel axis, a conv of
fewer than 4 input channels but for window_small's filters of at most 3 rows of at most 3 bytes)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from kernel_harness import build_engine, compare, kernel_model
from tinyctl.engine.kernel_case import KernelCase, normal
from tinyctl.engine.pad_fusion import lower
from tinyctl.graph import read_graph
from tinyctl.planner import plan_arena


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    return build_engine(tmp_path_factory.mktemp("engine"))


def _padded(seed, shape, paddings, then, value=0.0, **case):
    """x padded by `paddings` (value `value`), then `then(tf, y, rng)`."""
    rng = np.random.default_rng(seed)
    return KernelCase("PAD", lambda tf, x: then(tf, tf.pad(x, paddings, constant_values=value), rng),
                      shape, seed, **case)


def _conv(size, stride, cout):
    def then(tf, y, rng):
        return tf.nn.relu(tf.nn.conv2d(y, normal(rng, size, size, y.shape[-1], cout), stride, "VALID")
                          + normal(rng, cout))
    return then


def _depthwise(size, stride):
    def then(tf, y, rng):
        kernel = normal(rng, size, size, y.shape[-1], 1)
        return tf.nn.depthwise_conv2d(y, kernel, [1, stride, stride, 1], "VALID") + normal(rng, y.shape[-1])
    return then


def _pool(kind, size, stride):
    return lambda tf, y, rng: getattr(tf.nn, kind)(y, size, stride, "VALID")


HW = [[0, 0], [2, 2], [2, 2], [0, 0]]            # symmetric (1 each side: the converter makes it SAME)
TOP_LEFT = [[0, 0], [1, 0], [1, 0], [0, 0]]      # the default detector's
BOTTOM_RIGHT = [[0, 0], [0, 2], [2, 1], [0, 0]]

FUSED = {
    "conv8ch_s1_sym": (_padded, 83, (1, 8, 9, 8), HW, _conv(3, 1, 8)),
    "conv5ch_s2_bottom_right": (_padded, 84, (1, 9, 8, 5), BOTTOM_RIGHT, _conv(3, 2, 6)),
    "conv8ch_s1_sym_wide": (_padded, 85, (1, 8, 9, 8), HW, _conv(3, 1, 8), {"wide_weights": True}),
    "dw_s1_sym": (_padded, 86, (1, 10, 11, 6), HW, _depthwise(3, 1)),
    "dw_s2_top_left": (_padded, 87, (1, 17, 18, 4), TOP_LEFT, _depthwise(3, 2)),
    "dw5x5_s1_bottom_right": (_padded, 88, (1, 9, 8, 3), BOTTOM_RIGHT, _depthwise(5, 1)),
    "conv1ch_s2_detector": (_padded, 96, (1, 16, 16, 1), [[0, 0], [1, 1], [1, 1], [0, 0]], _conv(3, 2, 8)),
    "conv1ch_s1_bottom_right": (_padded, 82, (1, 9, 10, 1), BOTTOM_RIGHT, _conv(3, 1, 4)),
    "maxpool_s2_sym": (_padded, 89, (1, 9, 9, 4), [[0, 0], [1, 1], [1, 1], [0, 0]], _pool("max_pool2d", 3, 2),
                       {"value": -100.0}),
    "maxpool_s1_bottom_right": (_padded, 90, (1, 7, 8, 5), BOTTOM_RIGHT, _pool("max_pool2d", 2, 1),
                                {"value": -100.0}),
}


def _case(spec) -> KernelCase:
    make, seed, shape, paddings, then, *extra = spec
    extra = extra[0] if extra else {}
    value = extra.get("value", 0.0)
    return make(seed, shape, paddings, then, value, **{k: v for k, v in extra.items() if k != "value"})


def _folded(graph) -> list[int]:
    return [op.index for op in lower(graph).operators if op.opcode == "FUSED_PAD"]


@pytest.mark.parametrize("name", sorted(FUSED))
def test_folded_pad_is_bit_exact_with_tflm(engine, name, tmp_path):
    case = _case(FUSED[name])
    model = kernel_model(case)
    graph = read_graph(model)
    assert _folded(graph), f"the PAD of {graph.opcodes()} was not folded"
    pad = next(op for op in graph.operators if op.opcode.startswith("PAD"))
    _, plan = compare(model, tmp_path, seed=zlib.crc32(name.encode()), count=8, engine=engine,
                      wide=case.wide_weights)
    assert pad.outputs[0] not in plan.offsets, "the padded tensor is still planned"


def _two_readers(tf, y, rng):
    c = y.shape[-1]
    return tf.nn.conv2d(y, normal(rng, 1, 1, c, c), 1, "VALID") + y


KEPT = {
    "value_not_the_zero_point": (_padded, 91, (1, 8, 8, 3), TOP_LEFT, _conv(3, 2, 4), {"value": 0.5}),
    "two_readers": (_padded, 92, (1, 7, 7, 4), BOTTOM_RIGHT, _two_readers),
    "average_pool": (_padded, 93, (1, 9, 9, 4), TOP_LEFT, _pool("avg_pool2d", 3, 2)),
    "max_pool_value_above_its_clamp": (_padded, 94, (1, 9, 9, 4), TOP_LEFT, _pool("max_pool2d", 3, 2)),
    # the whole-window conv path gathers padded windows slowly but for small ones
    # (pad_fusion._gathers_border_fast); its explicit padding is tested bit-exact in
    # tests/test_kernels_dsp.py's folded pad cases
    "conv3ch_s2_top_left": (_padded, 81, (1, 12, 12, 3), TOP_LEFT, _conv(3, 2, 8)),
    "conv1ch_5x5_bottom_right": (_padded, 97, (1, 9, 10, 1), BOTTOM_RIGHT, _conv(5, 1, 4)),
    "channel_axis": (_padded, 95, (1, 8, 8, 3), [[0, 0], [1, 0], [1, 0], [1, 1]], _conv(3, 2, 4)),
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_pad_that_would_not_be_exact_stays(engine, name, tmp_path):
    model = kernel_model(_case(KEPT[name]))
    graph = read_graph(model)
    assert any(op.opcode.startswith("PAD") for op in graph.operators), f"the converter left {graph.opcodes()}"
    assert not _folded(graph)
    compare(model, tmp_path, seed=zlib.crc32(name.encode()), count=4, engine=engine)


def test_folding_shrinks_the_arena():
    """The padded tensor leaves the plan: below the PAD's own step (its input and the padded tensor),
    which every plan that runs the PAD holds at once."""
    graph = read_graph(kernel_model(_case(FUSED["conv5ch_s2_bottom_right"])))
    assert plan_arena(graph).peak_bytes < 9 * 8 * 5 + 11 * 9 * 5
