"""RESHAPE: no kernel; the planner gives the output its input's bytes, so nothing moves."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..op_spec import OpSpec


def _no_params(graph: Graph, op: Operator) -> None:
    """A reshape only renames bytes: there is nothing to read."""


def _emit(c, op: Operator, p: str, _params: None) -> None:
    src, dst = op.inputs[0], op.outputs[0]
    if c.plan.offsets[src] != c.plan.offsets[dst]:
        raise ValueError(f"the plan does not alias the {op.opcode} output with its input")
    c.calls.append(f"    /* {p}: {op.opcode}, same bytes at arena + {c.plan.offsets[dst]} */\n")


OPS = (OpSpec(("RESHAPE",), _no_params, _emit, alias=True),)
