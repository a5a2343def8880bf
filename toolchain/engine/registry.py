"""The engine's op table: every module of ops/ declares OPS (OpSpec for one opcode or a family), and
the planner, the code generator and the kernel tests read them here. An opcode with no entry is
refused with its name and layer."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from ..errors import TinyctlError
from ..graph import Graph, Operator
from . import ops
from .kernel_case import KernelCase
from .op_spec import OpSpec, WideGain


def _collect() -> dict[str, OpSpec]:
    table: dict[str, OpSpec] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(ops.__path__)):
        for spec in importlib.import_module(f"{ops.__name__}.{module}").OPS:
            _add(table, spec)
    return table


def _add(table: dict[str, OpSpec], spec: OpSpec) -> None:
    for opcode in spec.opcodes:
        if opcode in table:
            raise ValueError(f"op {opcode} is registered twice")
        table[opcode] = spec


OPS: dict[str, OpSpec] = _collect()


def register(spec: OpSpec) -> None:
    """Add an op at run time (the registry's own test does; op modules are found by themselves)."""
    _add(OPS, spec)


def is_alias(opcode: str) -> bool:
    return opcode in OPS and OPS[opcode].alias


def in_place_shift(graph: Graph, op: Operator) -> int | None:
    """Bytes below an input that dies at the op where its output may start: 0 for an element-wise op
    (over a same-sized input), a windowed op's own shift, None where the op never runs in place."""
    spec = OPS.get(op.opcode)
    if spec is None:
        return None
    if spec.in_place:
        return 0
    return spec.in_place_shift(graph, op) if spec.in_place_shift else None


def op_spec(graph: Graph, op: Operator) -> OpSpec:
    """The op's entry; an opcode without one is refused with its name and layer."""
    if op.opcode not in OPS:
        raise TinyctlError(f"the tinyctl engine has no kernel for op {op.opcode} (layer {graph.layer_name(op)!r})",
                           f"supported ops: {', '.join(sorted(OPS))}; or use the TFLite-Micro backend")
    return OPS[op.opcode]


def require_supported(graph: Graph) -> None:
    """Every op must have an entry; otherwise name the first that has none and its layer."""
    for op in graph.operators:
        op_spec(graph, op)


def require_runnable(graph: Graph) -> None:
    """Every op has an entry whose parameter reader takes it: a variant its kernel cannot run (MEAN over
    the channels) is refused here, where the backend is chosen, rather than by the code generator."""
    for op in graph.operators:
        spec = op_spec(graph, op)
        try:
            spec.params(graph, op)
        except ValueError as exc:
            raise unsupported_variant(graph, op, exc) from exc


def unsupported_variant(graph: Graph, op: Operator, reason: Exception) -> TinyctlError:
    """The error for an op whose kernel cannot take this variant; `reason` comes from its op module."""
    return TinyctlError(f"the tinyctl engine cannot run op {op.opcode} (layer {graph.layer_name(op)!r}): {reason}",
                        "use the TFLite-Micro backend for this model")


def specs() -> list[OpSpec]:
    """Each entry once (a family is registered under each of its opcodes)."""
    return list({id(spec): spec for spec in OPS.values()}.values())


def kernel_cases() -> dict[str, Callable[[], KernelCase]]:
    """Every registered op's test cases by name (each name once over the whole registry)."""
    cases: dict[str, Callable[[], KernelCase]] = {}
    for spec in specs():
        for name, make in spec.cases.items():
            if name in cases:
                raise ValueError(f"kernel test case {name!r} is declared twice")
            cases[name] = make
    return cases


def wide_gains(graph: Graph) -> dict[int, WideGain]:
    """op index -> what pre-widening its weights to int16 costs and saves, for the ops that allow it."""
    gains = {}
    for op in graph.operators:
        spec = OPS.get(op.opcode)
        gain = spec.wide(graph, op) if spec and spec.wide else None
        if gain is not None:
            gains[op.index] = gain
    return gains
