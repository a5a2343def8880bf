"""Stage `engine`: our own C engine for the model (memory plan, model.c/.h) built and run on the host.

Models with an op the engine has no kernel for yet still build for TFLite-Micro; the report says why
the engine was skipped."""

from __future__ import annotations

from pathlib import Path

from ..codegen import emit_engine_c
from ..crossbuild import compile_objects, section_sizes
from ..errors import TinyctlError
from ..graph import Graph
from ..hostrun import compile_host
from ..paths import FIRMWARE_TEMPLATES_DIR
from ..planner import Plan, check_plan, plan_arena, require_supported
from ..targets import Board

HOST_EXECUTABLE = Path("host") / "model_host"


def engine_support(graph: Graph) -> str | None:
    """None when the engine can run the model, else the reason it cannot (op and layer)."""
    try:
        require_supported(graph)
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


def build_engine(graph: Graph, plan: Plan, build_dir: Path) -> Path:
    """engine/model.c and model.h, compiled with the kernels into a host executable for validation."""
    emit_engine_c(graph, plan, build_dir / "engine")
    return compile_host(build_dir / "engine", FIRMWARE_TEMPLATES_DIR / "engine", build_dir / HOST_EXECUTABLE)


def cross_compile_engine(board: Board, build_dir: Path) -> dict:
    """Compile model.c and the kernels for the board's core: flash (text + data) and static RAM (bss)
    of the engine, before startup code and linking (those come with the firmware)."""
    kernels = FIRMWARE_TEMPLATES_DIR / "engine"
    sources = [build_dir / "engine" / "model.c", *sorted(kernels.glob("*.c"))]
    objects = compile_objects(board, sources, [build_dir / "engine", kernels], build_dir / "engine" / "obj")
    return {"core": board.core, **section_sizes(objects)}
