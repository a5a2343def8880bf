"""Stage `engine`: our own C engine for the model: the memory plan, model.c/.h, the self-test's
golden data (inputs and the TFLite-Micro outputs for them) and the app built for the host.

Models with an op the engine has no kernel for yet still build for TFLite-Micro; the report says why
the engine was skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..codegen import emit_engine_c, emit_golden_c
from ..datasets import test_inputs
from ..engine.registry import require_runnable
from ..errors import TinyctlError
from ..firmware_run import HOST_EXECUTABLE
from ..graph import Graph
from ..hostrun import compile_host
from ..model_source import ModelSource
from ..planner import Plan, check_plan, plan_arena
from ..codegen.model_info import emit_model_info
from ..runtimes import quantize_input, run_tflm
GOLDEN_COUNT = 4


def engine_support(graph: Graph) -> str | None:
    """None when the engine can run the model, else the reason it cannot (op, layer and, for a variant
    of a known op, what its kernel does not take)."""
    try:
        require_runnable(graph)
    except TinyctlError as exc:
        return exc.message
    return None


def plan_engine_arena(graph: Graph) -> Plan:
    """The static arena plan, proved by simulation that no two live tensors overlap."""
    plan = plan_arena(graph)
    try:
        check_plan(graph, plan)
    except AssertionError as exc:
        raise TinyctlError(f"the engine's memory plan is invalid: {exc}", "this is a tinyctl bug; please report it") from exc
    return plan


def golden_io(source: ModelSource, graph: Graph, model: bytes, tflm_arena: int) -> tuple[np.ndarray, np.ndarray]:
    """The first GOLDEN_COUNT test inputs as int8 model inputs, and TFLite-Micro's outputs for them."""
    inp = graph.tensors[graph.inputs[0]]
    images = test_inputs(source, inp, GOLDEN_COUNT)
    inputs = quantize_input(images, inp.shape, inp.scale[0], inp.zero_point[0])
    return inputs.reshape(len(images), -1), run_tflm(model, images, tflm_arena).raw.reshape(len(images), -1)


def build_engine(graph: Graph, plan: Plan, golden: tuple[np.ndarray, np.ndarray], model_name: str,
                 board_name: str, build_dir: Path, wide: frozenset[int] = frozenset(),
                 staged: dict[int, int] | None = None) -> Path:
    """engine/: model.c/.h (the ops in `wide` on int16 weights, those in `staged` read from the arena),
    golden.c/.h and model_info.h (its digest from build_dir's model_int8.tflite); the app built with them for the
    host (HOST_EXECUTABLE)."""
    emit_engine_c(graph, plan, build_dir / "engine", wide, staged)
    emit_golden_c(*golden, model_name, board_name, build_dir / "engine")
    emit_model_info(graph, build_dir / "model_int8.tflite", build_dir / "engine")
    return compile_host(build_dir / "engine", build_dir / HOST_EXECUTABLE)
