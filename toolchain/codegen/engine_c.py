"""The engine backend: model.c/model.h that run an int8 graph on firmware_templates/engine's kernels,
with weights as `static const` arrays (flash) and one static arena laid out by the planner.

Same graph and plan -> same bytes: nothing here reads the clock or the environment."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine import c_text
from ..engine.c_text import comment
from ..engine.pad_fusion import FUSED_PAD, lower
from ..engine.registry import op_spec, require_supported, unsupported_variant
from ..errors import TinyctlError
from ..graph import Graph, Operator, Tensor
from ..planner import Plan

_CALL_WIDTH = 100


class _Emitter:
    """Collects the constant data (file scope) and the calls (model_invoke body) op by op. Each op's
    registry entry writes its part through data, calls, call(), ptr(), const(), operand(), wide and staged."""

    def __init__(self, graph: Graph, plan: Plan, wide: frozenset[int], staged: dict[int, int],
                 direct_input: int | None = None):
        self.graph, self.plan = graph, plan
        self.direct_input = direct_input         # the input tensor the layers read where the caller has it
        self.wide = wide                         # op indices whose weights go pre-widened to int16
        self.staged = staged                     # op index -> arena offset its int16 weights are copied to first
        self.data: list[str] = []
        self.calls: list[str] = []
        self.emitted: set[int] = set()           # constants already written (ops may share one)
        self.written: set[str] = set()           # data that ops share (once)

    def ptr(self, t: Tensor) -> str:
        """The tensor's bytes: in the arena, or the caller's for the model's input where the layers read it in place
        (_reads_input_in_place); a constant where the kernel reads an activation is refused."""
        if t.index not in self.plan.offsets:
            raise ValueError(f"tensor {t.name!r} is a constant where the kernel reads an activation")
        if t.index == self.direct_input:
            return "((int8_t *)model_in)"   # read alone (_reads_input_in_place): the cast loses no write
        return f"(arena + {self.plan.offsets[t.index]})"

    def const(self, t: Tensor, ctype: str) -> str:
        name = f"t{t.index}_data"
        if t.data is None:
            raise ValueError(f"tensor {t.name!r} must be a constant")
        if t.index in self.emitted:
            return name
        self.emitted.add(t.index)
        self.data.append(f"/* {comment(t.name)} {list(t.shape)} */\n" + c_text.array(ctype, name, t.data))
        return name

    def once(self, text: str) -> None:
        """Data that ops may share (an engine header's include, an instance for a shape): written the first time."""
        if text not in self.written:
            self.written.add(text)
            self.data.append(text)

    def call(self, kernel: str, *args) -> None:
        """One kernel call in model_invoke, its arguments wrapped to lines of about _CALL_WIDTH."""
        lines, line = [], f"    {kernel}("
        for i, arg in enumerate(args):
            text = f"{arg}{', ' if i + 1 < len(args) else ');'}"
            if len(line) + len(text) > _CALL_WIDTH and not line.endswith("("):
                lines.append(line.rstrip())
                line = "        "
            line += text
        self.calls.append("\n".join([*lines, line]) + "\n")

    def op(self, op: Operator) -> None:
        p = f"op{op.index}"
        self.data.append(f"\n/* op {op.index}: {op.opcode} -> {comment(self.graph.layer_name(op))} */\n")
        self.calls.append(f"    /* op {op.index}: {op.opcode} */\n")
        if op.opcode == FUSED_PAD:
            self.calls.append(f"    MODEL_LAYER_END({op.index});\n")
            return
        spec = op_spec(self.graph, op)
        try:
            spec.emit(self, op, p, spec.params(self.graph, op))
            self.calls.append(f"    MODEL_LAYER_END({op.index});\n")
        except ValueError as exc:  # a parameter the kernel cannot take (its op module says which)
            raise unsupported_variant(self.graph, op, exc) from exc

    def operand(self, t: Tensor) -> str:
        """An int8 input: its constant array, or its bytes in the arena."""
        return self.const(t, "int8_t") if t.is_constant else self.ptr(t)


def _io_tensors(graph: Graph) -> tuple[Tensor, Tensor]:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise TinyctlError(f"the model has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs",
                           "the engine backend takes one int8 input and one int8 output")
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    for t in (inp, out):
        if t.dtype != "INT8":
            raise TinyctlError(f"model tensor {t.name!r} is {t.dtype}", "export with int8 input and output")
    return inp, out


def _header(graph: Graph, plan: Plan) -> str:
    inp, out = _io_tensors(graph)
    arena = max(plan.peak_bytes, 16)
    return f"""/* Generated by tinyctl (engine backend). Do not edit. */
#ifndef TINYCTL_MODEL_H
#define TINYCTL_MODEL_H

#include <stdint.h>

/* input {comment(inp.name)!s}: int8 {list(inp.shape)}, real = {inp.scale[0]!r} * (q - {inp.zero_point[0]}) */
#define MODEL_INPUT_SIZE {int(np.prod(inp.shape))}
#define MODEL_INPUT_ZERO_POINT ({inp.zero_point[0]})
#define MODEL_INPUT_SCALE {inp.scale[0]!r}
/* output {comment(out.name)!s}: int8 {list(out.shape)}, real = {out.scale[0]!r} * (q - {out.zero_point[0]}) */
#define MODEL_OUTPUT_SIZE {int(np.prod(out.shape))}
#define MODEL_OUTPUT_ZERO_POINT ({out.zero_point[0]})
#define MODEL_OUTPUT_SCALE {out.scale[0]!r}
/* Activation arena (static, in RAM), planned by tinyctl.planner. */
#define MODEL_ARENA_BYTES {arena}
/* An input at a 16-byte boundary, as this declares it, is read where it is rather than copied into the arena. */
#if defined(__GNUC__)
#define MODEL_INPUT_ALIGNED __attribute__((aligned(16)))
#else
#define MODEL_INPUT_ALIGNED
#endif

/* Runs the model once: input holds MODEL_INPUT_SIZE int8 values (NHWC), output receives
 * MODEL_OUTPUT_SIZE. Returns 0. Not reentrant (one static arena). */
int model_invoke(const int8_t *input, int8_t *output);

#endif /* TINYCTL_MODEL_H */
"""


def _reads_input_in_place(plan: Plan, inp: Tensor, out: Tensor) -> bool:
    """Whether the layers may read the model's input where the caller holds it: no RESHAPE view or in-place output
    shares its bytes (nothing writes them) and it is not the output."""
    return inp.index != out.index and inp.index not in {*plan.aliases.values(), *plan.in_place.values()}


def _input_copy(plan: Plan, inp: Tensor, direct: bool) -> str:
    """model_invoke's first lines: the input copied into the arena, or, where the layers may read it in place, only
    when it is not 16-byte aligned as every arena tensor is (MobileNet's 27 kB input: 21.6 k estimated cycles)."""
    copy = f"memcpy(arena + {plan.offsets[inp.index]}, input, MODEL_INPUT_SIZE);"
    if not direct:
        return f"    {copy}\n"
    return ("    const int8_t *model_in = input;\n"
            "    if ((uintptr_t)input % 16 != 0) {\n"
            f"        {copy}\n"
            f"        model_in = arena + {plan.offsets[inp.index]};\n"
            "    }\n")


def _source(graph: Graph, plan: Plan, wide: frozenset[int], staged: dict[int, int]) -> str:
    inp, out = _io_tensors(graph)
    graph = lower(graph)                     # the graph the plan is of
    direct = _reads_input_in_place(plan, inp, out)
    emitter = _Emitter(graph, plan, wide, staged, inp.index if direct else None)
    for op in graph.operators:
        emitter.op(op)
    return ("/* Generated by tinyctl (engine backend). Do not edit. */\n"
            "#include <string.h>\n\n#include \"model.h\"\n#include \"tinyctl_engine.h\"\n\n"
            "#if defined(__GNUC__)\n#define MODEL_ALIGN16 __attribute__((aligned(16)))\n#else\n"
            "#define MODEL_ALIGN16\n#endif\n\n"
            "/* Firmware that counts work per layer defines MODEL_LAYER_HOOK as the name of its marker. */\n"
            "#ifdef MODEL_LAYER_HOOK\nvoid MODEL_LAYER_HOOK(int op_index);\n"
            "#define MODEL_LAYER_END(i) MODEL_LAYER_HOOK(i)\n#else\n#define MODEL_LAYER_END(i) ((void)0)\n#endif\n\n"
            "static int8_t arena[MODEL_ARENA_BYTES] MODEL_ALIGN16;\n"
            + "".join(emitter.data)
            + "\nint model_invoke(const int8_t *input, int8_t *output)\n{\n"
            + _input_copy(plan, inp, direct)
            + "".join(emitter.calls)
            + f"    memcpy(output, arena + {plan.offsets[out.index]}, MODEL_OUTPUT_SIZE);\n"
            + "    return 0;\n}\n")


def emit_engine_c(graph: Graph, plan: Plan, out_dir: Path, wide: frozenset[int] = frozenset(),
                  staged: dict[int, int] | None = None) -> list[Path]:
    """Write model.h and model.c into out_dir, the weights of the ops in `wide` pre-widened to int16
    (tinyctl.engine.wide_weights), those of the ops in `staged` copied into the arena at that offset before their
    layer runs (tinyctl.staged_weights); returns their paths."""
    require_supported(graph)
    files = {"model.h": _header(graph, plan), "model.c": _source(graph, plan, wide, staged or {})}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = out_dir / name
        path.write_bytes(text.encode())
        paths.append(path)
    return paths
