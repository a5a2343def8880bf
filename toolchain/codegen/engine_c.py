"""The engine backend: model.c/model.h that run an int8 graph on firmware_templates/engine's kernels,
with weights as `static const` arrays (flash) and one static arena laid out by the planner.

Same graph and plan -> same bytes: nothing here reads the clock or the environment."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine import mean_op, nhwc, pad_op, pool_op, weighted_op
from ..errors import TinyctlError
from ..graph import Graph, Operator, Tensor
from ..planner import Plan, require_supported

_PER_LINE = 16


def _comment(text: str) -> str:
    return text.replace("*/", "* /")


def _array(ctype: str, name: str, values: np.ndarray) -> str:
    flat = [int(v) for v in np.asarray(values).ravel()]
    lines = [", ".join(str(v) for v in flat[k:k + _PER_LINE]) for k in range(0, len(flat), _PER_LINE)]
    body = ",\n    ".join(lines) if lines else "0"
    return f"static const {ctype} {name}[{max(len(flat), 1)}] = {{\n    {body}\n}};\n"


def _dims(name: str, shape) -> str:
    n, h, w, c = nhwc(shape)
    return f"static const tc_dims {name} = {{{n}, {h}, {w}, {c}}};\n"


def _window(name: str, w) -> str:
    return (f"static const tc_window {name} = {{{w.stride_h}, {w.stride_w}, {w.dilation_h}, {w.dilation_w}, "
            f"{w.pad_top}, {w.pad_left}}};\n")


def _io(name: str, io) -> str:
    return (f"static const tc_int8_io {name} = {{{io.input_zero_point}, {io.output_zero_point}, "
            f"{io.act_min}, {io.act_max}}};\n")


class _Emitter:
    """Collects the constant data (file scope) and the calls (model_invoke body) op by op."""

    def __init__(self, graph: Graph, plan: Plan):
        self.graph, self.plan = graph, plan
        self.data: list[str] = []
        self.calls: list[str] = []
        self.emitted: set[int] = set()           # constants already written (ops may share one)

    def ptr(self, t: Tensor) -> str:
        return f"(arena + {self.plan.offsets[t.index]})"

    def const(self, t: Tensor, ctype: str) -> str:
        name = f"t{t.index}_data"
        if t.data is None:
            raise ValueError(f"tensor {t.name!r} must be a constant")
        if t.index in self.emitted:
            return name
        self.emitted.add(t.index)
        self.data.append(f"/* {_comment(t.name)} {list(t.shape)} */\n" + _array(ctype, name, t.data))
        return name

    def op(self, op: Operator) -> None:
        p = f"op{op.index}"
        self.data.append(f"\n/* op {op.index}: {op.opcode} -> {_comment(self.graph.layer_name(op))} */\n")
        self.calls.append(f"    /* op {op.index}: {op.opcode} */\n")
        try:
            emit = {"CONV_2D": self.weighted, "DEPTHWISE_CONV_2D": self.weighted, "FULLY_CONNECTED": self.weighted,
                    "MAX_POOL_2D": self.pool, "AVERAGE_POOL_2D": self.pool, "MEAN": self.mean,
                    "PAD": self.pad, "PADV2": self.pad}.get(op.opcode, self.alias)
            emit(op, p)
            self.calls.append(f"    MODEL_LAYER_END({op.index});\n")
        except ValueError as exc:  # a parameter the kernels cannot take (params.py says which)
            raise TinyctlError(f"the tinyctl engine cannot run op {op.opcode} (layer {self.graph.layer_name(op)!r}): "
                               f"{exc}", "use the TFLite-Micro backend for this model") from exc

    def weighted(self, op: Operator, p: str) -> None:
        w = weighted_op(self.graph, op)
        weights = self.const(w.weights, "int8_t")
        bias = self.const(w.bias, "int32_t") if w.bias is not None else None
        self.data.append(_array("int32_t", f"{p}_multiplier", w.requant.multiplier)
                         + _array("int32_t", f"{p}_shift", w.requant.shift)
                         + f"static const tc_requant {p}_rq = "
                         + f"{{{p}_multiplier, {p}_shift, {len(w.requant.multiplier)}}};\n"
                         + _io(f"{p}_io", w.io))
        bias_arg = bias or "(const int32_t *)0"
        if op.opcode == "FULLY_CONNECTED":
            units, depth = w.weights.shape
            batches = int(np.prod(w.input.shape)) // depth
            self.calls.append(f"    tc_fully_connected_s8({self.ptr(w.input)}, {batches}, {depth}, {weights}, {units}, "
                              f"{bias_arg}, {self.ptr(w.output)}, &{p}_io, &{p}_rq);\n")
            return
        self.data.append(_dims(f"{p}_in", w.input.shape) + _dims(f"{p}_w", w.weights.shape)
                         + _dims(f"{p}_out", w.output.shape) + _window(f"{p}_win", w.window))
        kernel = "tc_conv2d_s8" if op.opcode == "CONV_2D" else "tc_depthwise_conv2d_s8"
        self.calls.append(f"    {kernel}({self.ptr(w.input)}, &{p}_in, {weights}, &{p}_w, {bias_arg},\n"
                          f"        {self.ptr(w.output)}, &{p}_out, &{p}_win, &{p}_io, &{p}_rq);\n")

    def pool(self, op: Operator, p: str) -> None:
        q = pool_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", q.input.shape) + _dims(f"{p}_out", q.output.shape)
                         + _window(f"{p}_win", q.window) + _io(f"{p}_io", q.io))
        kernel = "tc_max_pool2d_s8" if op.opcode == "MAX_POOL_2D" else "tc_average_pool2d_s8"
        self.calls.append(f"    {kernel}({self.ptr(q.input)}, &{p}_in, {self.ptr(q.output)}, &{p}_out, "
                          f"{q.filter_h}, {q.filter_w}, &{p}_win, &{p}_io);\n")

    def mean(self, op: Operator, p: str) -> None:
        m = mean_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", m.input.shape))
        self.calls.append(f"    tc_mean_hw_s8({self.ptr(m.input)}, &{p}_in, {self.ptr(m.output)}, "
                          f"{m.input_zero_point}, {m.output_zero_point}, {m.multiplier}, {m.shift});\n")

    def pad(self, op: Operator, p: str) -> None:
        q = pad_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", q.input.shape) + _dims(f"{p}_out", q.output.shape)
                         + _array("int32_t", f"{p}_before", np.array(q.before)))
        self.calls.append(f"    tc_pad_s8({self.ptr(q.input)}, &{p}_in, {self.ptr(q.output)}, &{p}_out, "
                          f"{p}_before, (int8_t){q.pad_value});\n")

    def alias(self, op: Operator, p: str) -> None:
        """RESHAPE: the planner gave the output its input's bytes, so nothing moves."""
        src, dst = op.inputs[0], op.outputs[0]
        if self.plan.offsets[src] != self.plan.offsets[dst]:
            raise ValueError("the plan does not alias the RESHAPE output with its input")
        self.calls.append(f"    /* {p}: RESHAPE, same bytes at arena + {self.plan.offsets[dst]} */\n")


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

/* input {_comment(inp.name)!s}: int8 {list(inp.shape)}, real = {inp.scale[0]!r} * (q - {inp.zero_point[0]}) */
#define MODEL_INPUT_SIZE {int(np.prod(inp.shape))}
#define MODEL_INPUT_ZERO_POINT ({inp.zero_point[0]})
#define MODEL_INPUT_SCALE {inp.scale[0]!r}
/* output {_comment(out.name)!s}: int8 {list(out.shape)}, real = {out.scale[0]!r} * (q - {out.zero_point[0]}) */
#define MODEL_OUTPUT_SIZE {int(np.prod(out.shape))}
#define MODEL_OUTPUT_ZERO_POINT ({out.zero_point[0]})
#define MODEL_OUTPUT_SCALE {out.scale[0]!r}
/* Activation arena (static, in RAM), planned by tinyctl.planner. */
#define MODEL_ARENA_BYTES {arena}

/* Runs the model once: input holds MODEL_INPUT_SIZE int8 values (NHWC), output receives
 * MODEL_OUTPUT_SIZE. Returns 0. Not reentrant (one static arena). */
int model_invoke(const int8_t *input, int8_t *output);

#endif /* TINYCTL_MODEL_H */
"""


def _source(graph: Graph, plan: Plan) -> str:
    inp, out = _io_tensors(graph)
    emitter = _Emitter(graph, plan)
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
            + f"    memcpy(arena + {plan.offsets[inp.index]}, input, MODEL_INPUT_SIZE);\n"
            + "".join(emitter.calls)
            + f"    memcpy(output, arena + {plan.offsets[out.index]}, MODEL_OUTPUT_SIZE);\n"
            + "    return 0;\n}\n")


def emit_engine_c(graph: Graph, plan: Plan, out_dir: Path) -> list[Path]:
    """Write model.h and model.c into out_dir; returns their paths."""
    require_supported(graph)
    files = {"model.h": _header(graph, plan), "model.c": _source(graph, plan)}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = out_dir / name
        path.write_bytes(text.encode())
        paths.append(path)
    return paths
