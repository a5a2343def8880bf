"""The engine backend: model.c/model.h that run an int8 graph on firmware_templates/engine's kernels,
with weights as `static const` arrays (flash) and one static arena laid out by the planner.

Same graph and plan -> same bytes: nothing here reads the clock or the environment."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..engine import (binary_op, concat_op, hard_swish_op, leaky_relu_op, logistic_tanh_op, mean_op, nhwc, pad_op,
                      pool_op, rescale_op, resize_op, softmax_op, weighted_op)
from ..errors import TinyctlError
from ..graph import Graph, Operator, Tensor
from ..planner import Plan, require_supported

_PER_LINE = 16
_CALL_WIDTH = 100


def _comment(text: str) -> str:
    return text.replace("*/", "* /")


def c_initializer(values: np.ndarray) -> str:
    """The integers as a brace-enclosed C initializer, _PER_LINE to a line ({0} when empty)."""
    flat = [int(v) for v in np.asarray(values).ravel()]
    lines = [", ".join(str(v) for v in flat[k:k + _PER_LINE]) for k in range(0, len(flat), _PER_LINE)]
    body = ",\n    ".join(lines) if lines else "0"
    return f"{{\n    {body}\n}}"


def _array(ctype: str, name: str, values: np.ndarray) -> str:
    return f"static const {ctype} {name}[{max(np.asarray(values).size, 1)}] = {c_initializer(values)};\n"


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
        self.data.append(f"\n/* op {op.index}: {op.opcode} -> {_comment(self.graph.layer_name(op))} */\n")
        self.calls.append(f"    /* op {op.index}: {op.opcode} */\n")
        try:
            emit = {"CONV_2D": self.weighted, "DEPTHWISE_CONV_2D": self.weighted, "FULLY_CONNECTED": self.weighted,
                    "MAX_POOL_2D": self.pool, "AVERAGE_POOL_2D": self.pool, "MEAN": self.mean,
                    "PAD": self.pad, "PADV2": self.pad, "SOFTMAX": self.softmax, "LOGISTIC": self.logistic_tanh,
                    "TANH": self.logistic_tanh, "HARD_SWISH": self.hard_swish, "ADD": self.binary,
                    "SUB": self.binary, "MUL": self.binary, "QUANTIZE": self.rescale, "RELU": self.rescale,
                    "RELU6": self.rescale, "LEAKY_RELU": self.leaky_relu, "CONCATENATION": self.concat,
                    "RESIZE_NEAREST_NEIGHBOR": self.resize}.get(op.opcode, self.alias)
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
            self.call("tc_fully_connected_s8", self.ptr(w.input), batches, depth, weights, units, bias_arg,
                      self.ptr(w.output), f"&{p}_io", f"&{p}_rq")
            return
        self.data.append(_dims(f"{p}_in", w.input.shape) + _dims(f"{p}_w", w.weights.shape)
                         + _dims(f"{p}_out", w.output.shape) + _window(f"{p}_win", w.window))
        kernel = "tc_conv2d_s8" if op.opcode == "CONV_2D" else "tc_depthwise_conv2d_s8"
        self.call(kernel, self.ptr(w.input), f"&{p}_in", weights, f"&{p}_w", bias_arg, self.ptr(w.output),
                  f"&{p}_out", f"&{p}_win", f"&{p}_io", f"&{p}_rq")

    def pool(self, op: Operator, p: str) -> None:
        q = pool_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", q.input.shape) + _dims(f"{p}_out", q.output.shape)
                         + _window(f"{p}_win", q.window) + _io(f"{p}_io", q.io))
        kernel = "tc_max_pool2d_s8" if op.opcode == "MAX_POOL_2D" else "tc_average_pool2d_s8"
        self.call(kernel, self.ptr(q.input), f"&{p}_in", self.ptr(q.output), f"&{p}_out", q.filter_h, q.filter_w,
                  f"&{p}_win", f"&{p}_io")

    def mean(self, op: Operator, p: str) -> None:
        m = mean_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", m.input.shape))
        self.call("tc_mean_hw_s8", self.ptr(m.input), f"&{p}_in", self.ptr(m.output), m.input_zero_point,
                  m.output_zero_point, m.multiplier, m.shift)

    def pad(self, op: Operator, p: str) -> None:
        q = pad_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", q.input.shape) + _dims(f"{p}_out", q.output.shape)
                         + _array("int32_t", f"{p}_before", np.array(q.before)))
        self.call("tc_pad_s8", self.ptr(q.input), f"&{p}_in", self.ptr(q.output), f"&{p}_out", f"{p}_before",
                  f"(int8_t){q.pad_value}")

    def softmax(self, op: Operator, p: str) -> None:
        s = softmax_op(self.graph, op)
        self.call("tc_softmax_s8", self.ptr(s.input), self.ptr(s.output), s.outer, s.depth, s.input_multiplier,
                  s.input_left_shift, s.diff_min)

    def logistic_tanh(self, op: Operator, p: str) -> None:
        s = logistic_tanh_op(self.graph, op)
        self.call(f"tc_{op.opcode.lower()}_s8", self.ptr(s.input), self.ptr(s.output), s.size, s.input_zero_point,
                  s.input_range_radius, s.input_multiplier, s.input_left_shift)

    def hard_swish(self, op: Operator, p: str) -> None:
        h = hard_swish_op(self.graph, op)
        self.call("tc_hard_swish_s8", self.ptr(h.input), self.ptr(h.output), h.size, h.input_zero_point,
                  h.output_zero_point, h.reluish_multiplier, h.reluish_exponent, h.output_multiplier, h.output_exponent)

    def operand(self, t: Tensor) -> str:
        """An int8 input: its constant array, or its bytes in the arena."""
        return self.const(t, "int8_t") if t.is_constant else self.ptr(t)

    def binary(self, op: Operator, p: str) -> None:
        b = binary_op(self.graph, op)
        a1, a2 = self.operand(b.input1), self.operand(b.input2)
        ctype = "tc_mul_params" if op.opcode == "MUL" else "tc_add_params"
        self.data.append(_dims(f"{p}_s1", b.strides1) + _dims(f"{p}_s2", b.strides2)
                         + _dims(f"{p}_out", b.output.shape)
                         + f"static const {ctype} {p}_params = {c_initializer(dataclasses.astuple(b.params))};\n")
        self.call(f"tc_{op.opcode.lower()}_s8", a1, f"&{p}_s1", a2, f"&{p}_s2", self.ptr(b.output), f"&{p}_out",
                  f"&{p}_params")

    def rescale(self, op: Operator, p: str) -> None:
        r = rescale_op(self.graph, op)
        self.data.append(_io(f"{p}_io", r.io))
        self.call("tc_rescale_s8", self.ptr(r.input), self.ptr(r.output), r.size, f"&{p}_io", r.multiplier, r.shift)

    def leaky_relu(self, op: Operator, p: str) -> None:
        r = leaky_relu_op(self.graph, op)
        self.data.append(f"static const tc_leaky_relu_params {p}_params = "
                         f"{c_initializer(dataclasses.astuple(r.params))};\n")
        self.call("tc_leaky_relu_s8", self.ptr(r.input), self.ptr(r.output), r.size, f"&{p}_params")

    def concat(self, op: Operator, p: str) -> None:
        c = concat_op(self.graph, op)
        sources = ", ".join(self.operand(t) for t in c.inputs)
        self.data.append(f"static const int8_t *const {p}_inputs[{len(c.inputs)}] = {{{sources}}};\n"
                         + _array("int32_t", f"{p}_chunks", np.array(c.chunks)))
        self.call("tc_concatenation_s8", f"{p}_inputs", f"{p}_chunks", len(c.inputs), c.outer, self.ptr(c.output))

    def resize(self, op: Operator, p: str) -> None:
        r = resize_op(self.graph, op)
        self.data.append(_dims(f"{p}_in", r.input.shape) + _dims(f"{p}_out", r.output.shape)
                         + _array("int32_t", f"{p}_ys", np.array(r.source_y))
                         + _array("int32_t", f"{p}_xs", np.array(r.source_x)))
        self.call("tc_resize_nearest_neighbor_s8", self.ptr(r.input), f"&{p}_in", self.ptr(r.output), f"&{p}_out",
                  f"{p}_ys", f"{p}_xs")

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
