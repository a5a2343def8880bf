"""One harness for every engine kernel: single-op int8 models made by TensorFlow's converter, run in
the TFLite-Micro interpreter (the oracle) and in the engine C code built with the host gcc."""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import os
import subprocess
import warnings
from pathlib import Path

import numpy as np

from tinyctl.cflags import HOST_CFLAGS
from tinyctl.codegen import emit_engine_c
from tinyctl.engine import (AddParams, LeakyReluParams, MulParams, binary_op, concat_op, hard_swish_op, leaky_relu_op,
                            logistic_tanh_op, mean_op, nhwc, pad_op, pool_op, rescale_op, resize_op, softmax_op,
                            weighted_op)
from tinyctl.graph import Graph, read_graph
from tinyctl.planner import Plan, check_plan, plan_arena

ENGINE_DIR = Path(__file__).resolve().parents[1] / "firmware_templates" / "engine"
CFLAGS = [*HOST_CFLAGS, "-shared", "-fPIC"]

_i8p = np.ctypeslib.ndpointer(np.int8, flags="C_CONTIGUOUS")
_i32p = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")


class Dims(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in ("n", "h", "w", "c")]


class Requant(ctypes.Structure):
    _fields_ = [("multiplier", ctypes.POINTER(ctypes.c_int32)), ("shift", ctypes.POINTER(ctypes.c_int32)),
                ("count", ctypes.c_int32)]


class Int8IO(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in ("input_zero_point", "output_zero_point", "act_min", "act_max")]


class Window(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in
                ("stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left")]


def _mirror(params_class) -> type:
    """The ctypes struct of a params dataclass whose fields are its C struct's int32 fields, in order."""
    fields = [(f.name, ctypes.c_int32) for f in dataclasses.fields(params_class)]
    return type(params_class.__name__, (ctypes.Structure,), {"_fields_": fields})


_STRUCTS = {cls: _mirror(cls) for cls in (AddParams, MulParams, LeakyReluParams)}
_P = ctypes.POINTER
_BINARY = [_i8p, _P(Dims), _i8p, _P(Dims), _i8p, _P(Dims)]
_SIGNATURES = {
    "tc_add_s8": (None, [*_BINARY, _P(_STRUCTS[AddParams])]),
    "tc_mul_s8": (None, [*_BINARY, _P(_STRUCTS[MulParams])]),
    "tc_rescale_s8": (None, [_i8p, _i8p, ctypes.c_int32, _P(Int8IO), ctypes.c_int32, ctypes.c_int]),
    "tc_leaky_relu_s8": (None, [_i8p, _i8p, ctypes.c_int32, _P(_STRUCTS[LeakyReluParams])]),
    "tc_concatenation_s8": (None, [_P(ctypes.c_void_p), _i32p, ctypes.c_int32, ctypes.c_int32, _i8p]),
    "tc_resize_nearest_neighbor_s8": (None, [_i8p, _P(Dims), _i8p, _P(Dims), _i32p, _i32p]),
    "tc_requantize": (ctypes.c_int32, [ctypes.c_int32, ctypes.c_int32, ctypes.c_int]),
    "tc_conv2d_s8": (None, [_i8p, _P(Dims), _i8p, _P(Dims), ctypes.c_void_p, _i8p, _P(Dims),
                            _P(Window), _P(Int8IO), _P(Requant)]),
    "tc_fully_connected_s8": (None, [_i8p, ctypes.c_int32, ctypes.c_int32, _i8p, ctypes.c_int32,
                                     ctypes.c_void_p, _i8p, _P(Int8IO), _P(Requant)]),
    "tc_max_pool2d_s8": (None, [_i8p, _P(Dims), _i8p, _P(Dims), ctypes.c_int32, ctypes.c_int32,
                                _P(Window), _P(Int8IO)]),
    "tc_mean_hw_s8": (None, [_i8p, _P(Dims), _i8p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int]),
    "tc_pad_s8": (None, [_i8p, _P(Dims), _i8p, _P(Dims), _i32p, ctypes.c_int8]),
    "tc_softmax_s8": (None, [_i8p, _i8p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int, ctypes.c_int32]),
    "tc_logistic_s8": (None, [_i8p, _i8p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32,
                              ctypes.c_int]),
    "tc_hard_swish_s8": (None, [_i8p, _i8p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int16,
                                ctypes.c_int, ctypes.c_int16, ctypes.c_int]),
}
_SIGNATURES["tc_depthwise_conv2d_s8"] = _SIGNATURES["tc_conv2d_s8"]
_SIGNATURES["tc_average_pool2d_s8"] = _SIGNATURES["tc_max_pool2d_s8"]
_SIGNATURES["tc_sub_s8"] = _SIGNATURES["tc_add_s8"]
_SIGNATURES["tc_tanh_s8"] = _SIGNATURES["tc_logistic_s8"]


def _shared_library(sources: list[Path], lib_path: Path) -> ctypes.CDLL:
    """gcc the sources, with the engine's sources and warnings as errors, into a loaded shared library."""
    engine = sorted(str(p) for p in ENGINE_DIR.glob("*.c"))
    result = subprocess.run(["gcc", *CFLAGS, f"-I{ENGINE_DIR}", *map(str, sources), *engine, "-o", str(lib_path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the engine does not compile with {' '.join(CFLAGS)}:\n{result.stderr}")
    return ctypes.CDLL(str(lib_path))


def build_engine(out_dir: Path) -> ctypes.CDLL:
    """Compile every engine source into one shared library, with warnings as errors."""
    lib = _shared_library([], out_dir / "libtinyctl_engine.so")
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def _dims(shape) -> Dims:
    return Dims(*nhwc(shape))


def _window(w) -> Window:
    return Window(w.stride_h, w.stride_w, w.dilation_h, w.dilation_w, w.pad_top, w.pad_left)


def _int8_io(io) -> Int8IO:
    return Int8IO(io.input_zero_point, io.output_zero_point, io.act_min, io.act_max)


def _bias_pointer(p) -> tuple[np.ndarray | None, int | None]:
    """An all-zero bias goes in as NULL, as generated code may pass it, so that path runs too."""
    if p.bias is None or not p.bias.data.any():
        return None, None
    bias = np.ascontiguousarray(p.bias.data, dtype=np.int32)
    return bias, bias.ctypes.data


def _weighted(lib, graph: Graph, op, x: np.ndarray, *_) -> np.ndarray:  # weights and bias: from params
    p = weighted_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    weights = np.ascontiguousarray(p.weights.data)
    mult, shift = p.requant.multiplier, p.requant.shift  # kept alive for the call
    rq = Requant(mult.ctypes.data_as(_P(ctypes.c_int32)), shift.ctypes.data_as(_P(ctypes.c_int32)), len(mult))
    bias, bias_ptr = _bias_pointer(p)
    if op.opcode == "FULLY_CONNECTED":
        units, depth = p.weights.shape
        lib.tc_fully_connected_s8(x, x.size // depth, depth, weights, units, bias_ptr, out,
                                  _int8_io(p.io), rq)
    else:
        kernel = lib.tc_conv2d_s8 if op.opcode == "CONV_2D" else lib.tc_depthwise_conv2d_s8
        kernel(x, _dims(p.input.shape), weights, _dims(p.weights.shape), bias_ptr, out,
               _dims(p.output.shape), _window(p.window), _int8_io(p.io), rq)
    return out


def _pool(lib, graph: Graph, op, x: np.ndarray) -> np.ndarray:
    p = pool_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    kernel = lib.tc_max_pool2d_s8 if op.opcode == "MAX_POOL_2D" else lib.tc_average_pool2d_s8
    kernel(x, _dims(p.input.shape), out, _dims(p.output.shape), p.filter_h, p.filter_w,
           _window(p.window), _int8_io(p.io))
    return out


def _mean(lib, graph: Graph, op, x: np.ndarray, *_) -> np.ndarray:
    p = mean_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_mean_hw_s8(x, _dims(p.input.shape), out, p.input_zero_point, p.output_zero_point,
                      p.multiplier, p.shift)
    return out


def _pad(lib, graph: Graph, op, x: np.ndarray, *_) -> np.ndarray:
    p = pad_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_pad_s8(x, _dims(p.input.shape), out, _dims(p.output.shape),
                  np.array(p.before, dtype=np.int32), p.pad_value)
    return out


def _softmax(lib, graph: Graph, op, x: np.ndarray) -> np.ndarray:
    p = softmax_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_softmax_s8(x, out, p.outer, p.depth, p.input_multiplier, p.input_left_shift, p.diff_min)
    return out


def _logistic_tanh(lib, graph: Graph, op, x: np.ndarray) -> np.ndarray:
    p = logistic_tanh_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    kernel = lib.tc_logistic_s8 if op.opcode == "LOGISTIC" else lib.tc_tanh_s8
    kernel(x, out, p.size, p.input_zero_point, p.input_range_radius, p.input_multiplier, p.input_left_shift)
    return out


def _hard_swish(lib, graph: Graph, op, x: np.ndarray) -> np.ndarray:
    p = hard_swish_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_hard_swish_s8(x, out, p.size, p.input_zero_point, p.output_zero_point, p.reluish_multiplier,
                         p.reluish_exponent, p.output_multiplier, p.output_exponent)
    return out


def _binary(lib, graph: Graph, op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    p = binary_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    params = _STRUCTS[type(p.params)](*dataclasses.astuple(p.params))
    getattr(lib, f"tc_{op.opcode.lower()}_s8")(np.ascontiguousarray(a), Dims(*p.strides1), np.ascontiguousarray(b),
                                               Dims(*p.strides2), out, _dims(p.output.shape), params)
    return out


def _rescale(lib, graph: Graph, op, x: np.ndarray) -> np.ndarray:
    p = rescale_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_rescale_s8(x, out, p.size, _int8_io(p.io), p.multiplier, p.shift)
    return out


def _leaky_relu(lib, graph: Graph, op, x: np.ndarray) -> np.ndarray:
    p = leaky_relu_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_leaky_relu_s8(x, out, p.size, _STRUCTS[LeakyReluParams](*dataclasses.astuple(p.params)))
    return out


def _concat(lib, graph: Graph, op, *inputs: np.ndarray) -> np.ndarray:
    p = concat_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    arrays = [np.ascontiguousarray(x) for x in inputs]  # kept alive for the call
    pointers = (ctypes.c_void_p * len(arrays))(*[x.ctypes.data for x in arrays])
    lib.tc_concatenation_s8(pointers, np.array(p.chunks, dtype=np.int32), len(arrays), p.outer, out)
    return out


def _resize(lib, graph: Graph, op, x: np.ndarray, *_) -> np.ndarray:
    p = resize_op(graph, op)
    out = np.zeros(p.output.shape, dtype=np.int8)
    lib.tc_resize_nearest_neighbor_s8(x, _dims(p.input.shape), out, _dims(p.output.shape),
                                      np.array(p.source_y, dtype=np.int32), np.array(p.source_x, dtype=np.int32))
    return out


_KERNELS = {"CONV_2D": _weighted, "DEPTHWISE_CONV_2D": _weighted, "FULLY_CONNECTED": _weighted,
            "MAX_POOL_2D": _pool, "AVERAGE_POOL_2D": _pool, "MEAN": _mean, "PAD": _pad, "PADV2": _pad,
            "SOFTMAX": _softmax, "LOGISTIC": _logistic_tanh, "TANH": _logistic_tanh, "HARD_SWISH": _hard_swish,
            "ADD": _binary, "SUB": _binary, "MUL": _binary, "QUANTIZE": _rescale, "RELU": _rescale,
            "RELU6": _rescale, "LEAKY_RELU": _leaky_relu, "CONCATENATION": _concat,
            "RESIZE_NEAREST_NEIGHBOR": _resize}


def run_engine(lib, graph: Graph, x: np.ndarray) -> np.ndarray:
    """Run the whole graph through the engine kernels, op by op, like generated code would. A kernel
    wrapper gets one argument per op input: an activation, a constant's data, or None if omitted."""
    values = {graph.inputs[0]: np.ascontiguousarray(x, dtype=np.int8)}
    for op in graph.operators:
        if op.opcode not in _KERNELS:
            raise NotImplementedError(f"the engine has no kernel for {op.opcode}")
        inputs = [None if i < 0 else graph.tensors[i].data if graph.tensors[i].is_constant else values[i]
                  for i in op.inputs]
        values[op.outputs[0]] = _KERNELS[op.opcode](lib, graph, op, *inputs)
    return values[graph.outputs[0]]


def run_oracle(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The TFLite-Micro reference interpreter's int8 outputs."""
    from tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model)
    outputs = []
    for x in inputs:
        interpreter.set_input(x, 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0)))
    return outputs


@functools.cache
def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    return tf


def convert(build_fn, input_shape: tuple[int, ...], seed: int, per_channel_dense: bool = True,
            input_std: float = 1.0) -> bytes:
    """A fully-int8 TFLite model of `build_fn(tf, x)`, calibrated on seeded normal data with
    standard deviation `input_std` (which sets the input scale)."""
    tf = _tf()
    fn = tf.function(lambda x: build_fn(tf, x), input_signature=[tf.TensorSpec(input_shape, tf.float32)])
    concrete = fn.get_concrete_function()
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(16):
            yield [rng.normal(scale=input_std, size=input_shape).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], fn)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter._experimental_disable_per_channel_quantization_for_dense_layers = not per_channel_dense
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def compare(lib, model: bytes, seed: int, count: int = 8) -> Graph:
    """Assert engine == oracle bit for bit on `count` random int8 inputs; returns the graph."""
    graph = read_graph(model)
    _assert_matches_oracle(model, graph, seed, count, lambda x: run_engine(lib, graph, x))
    return graph


def compare_generated(model: bytes, out_dir: Path, seed: int, count: int = 4) -> tuple[Graph, Plan]:
    """Assert the generated model.c, on the planner's (checked) arena and in place where it says, ==
    oracle bit for bit on `count` random int8 inputs; returns the graph and the plan."""
    graph = read_graph(model)
    plan = plan_arena(graph)
    check_plan(graph, plan)
    emit_engine_c(graph, plan, out_dir)
    lib = _shared_library([out_dir / "model.c"], out_dir / "libmodel.so")
    lib.model_invoke.argtypes = [_i8p, _i8p]

    def run(x: np.ndarray) -> np.ndarray:
        y = np.zeros(graph.tensors[graph.outputs[0]].shape, dtype=np.int8)
        lib.model_invoke(np.ascontiguousarray(x), y)
        return y
    _assert_matches_oracle(model, graph, seed, count, run)
    return graph, plan


def _assert_matches_oracle(model: bytes, graph: Graph, seed: int, count: int, run) -> None:
    shape = graph.tensors[graph.inputs[0]].shape
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(count)]
    for i, (x, expected) in enumerate(zip(inputs, run_oracle(model, inputs))):
        got = run(x)
        assert got.shape == expected.shape, f"input {i}: shape {got.shape} != {expected.shape}"
        mismatch = np.flatnonzero(got.ravel() != expected.ravel())
        assert mismatch.size == 0, (f"input {i}: {mismatch.size}/{got.size} values differ, first at flat "
                                    f"{mismatch[0]}: engine {got.ravel()[mismatch[0]]} vs TFLM "
                                    f"{expected.ravel()[mismatch[0]]}")
