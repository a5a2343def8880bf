"""What one engine op (or a family of opcodes sharing one parameter reader) declares to the registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..graph import Graph, Operator


@dataclass(frozen=True)
class OpSpec:
    """`params` reads the kernel's parameters from the graph the way TFLite-Micro's Prepare does and
    raises ValueError for a variant the kernel cannot take; `emit(c, op, prefix, params)` writes the
    op's constants (c.data, names starting with prefix) and its kernel call (c.call) into model.c.
    `in_place`: the kernel reads input element i just before writing output element i, so the planner
    may give the output a same-sized input's bytes. `in_place_shift(graph, op)`: for a windowed op whose
    kernels read every input element before writing the output element that many bytes below it, the
    shift (None: not for this op), so the planner may place the output that far below its input.
    `alias`: no kernel, the output is the input's bytes.
    `cases`: name -> a callable giving a KernelCase (kernel_case.py), the kernel's bit-exact tests.
    `wide(graph, op)`: for an op whose weights may be pre-widened to int16 (wide_weights.py), the flash
    that adds and the instructions it saves per inference on a DSP core (WideGain), else None; emit
    then writes the wide layout for the ops in the emitter's `wide` set."""
    opcodes: tuple[str, ...]
    params: Callable[[Graph, Operator], Any]
    emit: Callable[[Any, Operator, str, Any], None]
    in_place: bool = False
    in_place_shift: Callable[[Graph, Operator], int | None] | None = None
    alias: bool = False
    cases: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    wide: Callable[[Graph, Operator], WideGain | None] | None = None


@dataclass(frozen=True)
class WideGain:
    extra_bytes: int                 # flash the int16 weights add
    instructions_saved: int          # per inference, estimated from the micro-kernels' inner loops
    weight_bytes: int = 0            # the int16 weights' array
    reads: int = 1                   # times the kernel reads that array per inference (staged_weights.py)
