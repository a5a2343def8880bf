"""The MLPerf Tiny reference models through tinyctl's engine, end to end, against TFLite-Micro: the engine
built for the host and the firmware run under QEMU on netduinoplus2 (Cortex-M4) and mps2-an500
(Cortex-M7) give outputs bit-exact with TFLite-Micro's on seeded random int8 inputs (batch mode), the
firmware's self-test passes, and the engine's arena is no larger than TFLite-Micro's.

Each model is converted once per session and each (model, board) firmware is built once; the two
boards of a model are built at the same time (make and QEMU are child processes)."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tinyctl.errors import TinyctlError
from tinyctl.firmware import STACK_BYTES
from tinyctl.firmware_run import HOST_EXECUTABLE, run_firmware_batch, selftest
from tinyctl.graph import Graph, read_graph
from tinyctl.hostrun import run_host
from tinyctl.pipeline import build_engine_firmware
from tinyctl.planner import Plan, arena_lower_bound
from tinyctl.reference_models import REFERENCE_MODELS, build_reference_model
from tinyctl.runtimes import tflm_int8_outputs
from tinyctl.stages.engine import plan_engine_arena
from tinyctl.stages.tflm import _ArenaProbe, measure_arena, measure_tflm_arena
from tinyctl.targets import resolve_board

NAMES = list(REFERENCE_MODELS)
BOARDS = ("nucleo-f446re", "disco-f746ng")   # QEMU netduinoplus2 (Cortex-M4), mps2-an500 (Cortex-M7)
INPUTS = 8         # seeded random int8 inputs per model, through the host build and both firmwares
GOLDEN = 2         # the first of them embedded for the self-test (MobileNet's input is 27 KB of flash)
SEED = 20


@dataclass
class Case:
    model: bytes
    graph: Graph
    plan: Plan
    inputs: np.ndarray       # [INPUTS, *input shape], int8
    expected: np.ndarray     # [INPUTS, output size], int8: TFLite-Micro's outputs


@pytest.fixture(scope="module")
def case():
    """name -> Case: the model converted (seed 0), planned and run by TFLite-Micro, once per session."""
    cache = {}

    def get(name: str) -> Case:
        if name not in cache:
            model = build_reference_model(name)
            graph = read_graph(model)
            shape = graph.tensors[graph.inputs[0]].shape[1:]
            inputs = np.random.default_rng(SEED).integers(-128, 128, size=(INPUTS, *shape), dtype=np.int8)
            cache[name] = Case(model, graph, plan_engine_arena(graph), inputs, tflm_int8_outputs(model, inputs))
        return cache[name]

    return get


@pytest.fixture(scope="module")
def built(case, tmp_path_factory):
    """(name, board) -> (build directory, build_engine_firmware's result): engine sources, host app and
    firmware with GOLDEN self-test inputs, self-tested under QEMU; both boards of a model at once."""
    cache = {}

    def build(name: str, board: str) -> tuple[Path, dict]:
        c = case(name)
        golden = (c.inputs[:GOLDEN].reshape(GOLDEN, -1), c.expected[:GOLDEN])

        def one(board_name: str):
            out = tmp_path_factory.mktemp(f"{name}-{board_name}")
            return out, build_engine_firmware(c.graph, c.plan, golden, name, resolve_board(board_name), out)

        if (name, board) not in cache:
            with ThreadPoolExecutor(len(BOARDS)) as pool:
                futures = {b: pool.submit(one, b) for b in BOARDS if (name, b) not in cache}
                for b, future in futures.items():
                    cache[(name, b)] = future.result()
        return cache[(name, board)]

    return build


@pytest.mark.parametrize("name", NAMES)
def test_engine_arena_is_no_larger_than_tflite_micros(case, name):
    c = case(name)
    assert c.plan.peak_bytes <= measure_arena(c.model)


# Each model's arena in benchmarks/results.md of 2026-12-04 20:48, before depthwise ran in place.
ARENA_BEFORE_IN_PLACE_DEPTHWISE = {"resnet8": 49_152, "mobilenet_v1_025": 64_512, "ds_cnn": 16_000,
                                   "fc_autoencoder": 768}


@pytest.mark.parametrize("name", NAMES)
def test_engine_arena_never_grows_and_keeps_above_its_lower_bound(case, name):
    c = case(name)
    assert arena_lower_bound(c.graph)[0] <= c.plan.peak_bytes <= ARENA_BEFORE_IN_PLACE_DEPTHWISE[name]


def test_in_place_depthwise_shrinks_mobilenets_arena(case):
    """A depthwise layer of MobileNet in place takes its arena from 64,512 B to within 1% of the lower
    bound (55,696 B against 55,296 B)."""
    c = case("mobilenet_v1_025")
    assert c.plan.peak_bytes <= 1.01 * arena_lower_bound(c.graph)[0] < 0.9 * ARENA_BEFORE_IN_PLACE_DEPTHWISE[
        "mobilenet_v1_025"]
    assert any(c.graph.operators[c.plan.lifetimes[out][0]].opcode == "DEPTHWISE_CONV_2D" for out in c.plan.in_place)


def test_tflite_micro_arena_is_the_smallest_that_runs(case, tmp_path):
    """fc_autoencoder's recorded total is too small (FULLY_CONNECTED's Prepare needs temporary space on
    top, and TFLite-Micro crashes just short of enough): measure_arena finds the smallest size that runs."""
    model = case("fc_autoencoder").model
    arena = measure_tflm_arena(model)
    probe = _ArenaProbe(model, tmp_path)
    try:
        assert arena.recorded < arena.bytes and probe.runs(arena.bytes) and not probe.runs(arena.bytes - 1)
    finally:
        probe.close()


def test_measure_arena_refuses_what_tflite_micro_cannot_run():
    with pytest.raises(TinyctlError, match="TFLite-Micro cannot run this model"):
        measure_arena(b"not a flatbuffer" * 8)


@pytest.mark.parametrize("name", NAMES)
def test_host_engine_is_bit_exact_with_tflite_micro(case, built, name):
    c = case(name)
    assert len({row.tobytes() for row in c.expected}) > 1      # the inputs matter: not a constant output
    out, _ = built(name, BOARDS[0])
    assert selftest(resolve_board("host"), out, c.graph)["passed"]
    np.testing.assert_array_equal(run_host(out / HOST_EXECUTABLE, c.inputs), c.expected)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", NAMES)
def test_firmware_is_bit_exact_with_tflite_micro(case, built, name, board):
    c = case(name)
    out, result = built(name, board)
    report = result["selftest"]
    assert report["passed"] and f"golden outputs matched: {GOLDEN}/{GOLDEN}" in report["console"]
    assert report["instructions"]["inferences"] == GOLDEN and report["instructions"]["per_inference"] > 0
    # the deepest kernels (int16 blocks with their lanes and scales on the stack) still within the reservation
    assert 1024 < report["stack"]["peak_bytes"] <= report["stack"]["reserved_bytes"] == STACK_BYTES
    np.testing.assert_array_equal(run_firmware_batch(resolve_board(board), out, c.inputs), c.expected)


def test_mobilenets_pointwise_layers_read_their_weights_from_the_arena(case, built):
    """On the F446 (5 wait states, a 128-byte flash data buffer) the int16 weights of MobileNet's 1x1 layers from
    24x24 down to 6x6 are staged in free arena bytes (tinyctl.staged_weights), and the firmware above is still
    bit-exact on them; the 3x3 layers' (read three times) are not worth the copy."""
    c = case("mobilenet_v1_025")
    _, result = built("mobilenet_v1_025", BOARDS[0])
    pointwise = [op.index for op in c.graph.operators if op.opcode == "CONV_2D" and op.index > 0]
    assert len(result["staged"]) >= 9 and set(result["staged"]) <= set(pointwise)
    assert not {pointwise[-1], pointwise[-2]} & set(result["staged"])

