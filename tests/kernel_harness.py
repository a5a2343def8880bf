"""One harness for every engine kernel: single-op int8 models made by TensorFlow's converter, run in
the TFLite-Micro interpreter (the oracle) and through the engine code the generator writes for them
(model.c on the planner's arena, built with the host gcc), so each kernel is called exactly as the
firmware calls it, with the parameters its op module computes."""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import itertools
import os
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from tinyctl.cflags import HOST_CFLAGS
from tinyctl.codegen import emit_engine_c
from tinyctl.engine.kernel_case import KernelCase
from tinyctl.engine.registry import wide_gains
from tinyctl.graph import Graph, read_graph
from tinyctl.planner import Plan, check_plan, plan_arena

ENGINE_DIR = Path(__file__).resolve().parents[1] / "firmware_templates" / "engine"
CFLAGS = [*HOST_CFLAGS, "-shared", "-fPIC"]
_WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
# Ops whose cases tests/test_kernels_activations.py runs (on more inputs); tests/test_kernels.py runs the rest.
ACTIVATIONS = frozenset({"SOFTMAX", "LOGISTIC", "TANH", "HARD_SWISH"})

_i8p = np.ctypeslib.ndpointer(np.int8, flags="C_CONTIGUOUS")


def _shared_library(inputs: list, lib_path: Path) -> ctypes.CDLL:
    """gcc the inputs (sources, libraries, linker options), with warnings as errors, into a loaded
    shared library."""
    result = subprocess.run(["gcc", *CFLAGS, f"-I{ENGINE_DIR}", *map(str, inputs), "-o", str(lib_path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the engine does not compile with {' '.join(CFLAGS)}:\n{result.stderr}")
    return ctypes.CDLL(str(lib_path))


def build_engine(out_dir: Path) -> Path:
    """Every engine source compiled once into one shared library, with warnings as errors; generated
    models may link against it instead of compiling the kernels again."""
    path = out_dir / "libtinyctl_engine.so"
    _shared_library(sorted(ENGINE_DIR.glob("*.c")), path)
    return path


def zero_bias_as_null(graph: Graph) -> Graph:
    """The graph with every all-zero bias of a conv or fully-connected op omitted, so generated code
    passes NULL and that kernel path runs too (the converter gives a bias-free layer zeros)."""
    def drop(op):
        bias = op.inputs[2] if op.opcode in _WEIGHTED and len(op.inputs) > 2 else -1
        if bias < 0 or graph.tensors[bias].data.any():
            return op
        return dataclasses.replace(op, inputs=(*op.inputs[:2], -1))
    return dataclasses.replace(graph, operators=tuple(drop(op) for op in graph.operators))


def build_model(graph: Graph, out_dir: Path, engine: Path | None = None,
                wide: frozenset[int] = frozenset()) -> tuple[Plan, Callable]:
    """The planner's (checked) arena and model.c generated on it (the weights of the ops in `wide`
    pre-widened to int16), built with gcc against the engine library (or with every engine source when
    there is none): (plan, run), run(x) -> the int8 output."""
    plan = plan_arena(graph)
    check_plan(graph, plan)
    emit_engine_c(graph, plan, out_dir, wide)
    engine_sources = sorted(ENGINE_DIR.glob("*.c")) if engine is None else [engine, f"-Wl,-rpath,{engine.parent}"]
    lib = _shared_library([out_dir / "model.c", *engine_sources], out_dir / "libmodel.so")
    lib.model_invoke.argtypes = [_i8p, _i8p]
    calls = itertools.count()

    def run(x: np.ndarray) -> np.ndarray:
        """Every other input one byte off a 16-byte boundary: model_invoke reads an aligned input where it is
        (where nothing writes it) and copies any other into the arena, so both ways run."""
        y = np.zeros(graph.tensors[graph.outputs[0]].shape, dtype=np.int8)
        data = np.ascontiguousarray(x, dtype=np.int8).ravel()
        buffer = np.zeros(data.size + 32, dtype=np.int8)
        start = -buffer.ctypes.data % 16 + next(calls) % 2
        buffer[start:start + data.size] = data
        lib.model_invoke(buffer[start:start + data.size], y)
        return y
    return plan, run


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


def kernel_model(case: KernelCase) -> bytes:
    """The case converted to int8, with its flatbuffer patches applied and its options checked."""
    model = convert(case.build, case.input_shape, case.seed, case.per_channel_dense, case.input_std)
    if "opcode" in case.patch:
        model = _with_opcode(model, case.patch["opcode"])
    if "beta" in case.patch or "output_scale_factor" in case.patch:
        model = patched(model, case.patch.get("beta", 1.0), case.patch.get("output_scale_factor", 1.0))
    if case.options:
        options = next(op for op in read_graph(model).operators if op.opcode == case.opcode).options
        assert {k: getattr(options, k) for k in case.options} == dict(case.options), "the converter lost options"
    return model


def _packed(m) -> bytes:
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _with_opcode(model: bytes, opcode: str) -> bytes:
    """A single-op model with its op turned into `opcode`, without options (for QUANTIZE: an int8 ->
    int8 requantization between the op's input and output quantizations)."""
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    (code,) = m.operatorCodes
    code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, opcode)
    m.subgraphs[0].operators[0].builtinOptionsType, m.subgraphs[0].operators[0].builtinOptions = 0, None
    return _packed(m)


def patched(model: bytes, beta: float = 1.0, output_scale_factor: float = 1.0) -> bytes:
    """The model with the softmax beta and the output scale (times the factor) set in the flatbuffer:
    the converter always writes beta = 1 (it keeps a scalar multiply as its own MUL op) and picks
    output scales close to the input's, while TFLite-Micro takes any of these."""
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    for op in m.subgraphs[0].operators:
        if isinstance(op.builtinOptions, schema.SoftmaxOptionsT):
            op.builtinOptions.beta = beta
    output = m.subgraphs[0].tensors[m.subgraphs[0].outputs[0]].quantization
    output.scale = [float(np.float32(output.scale[0] * output_scale_factor))]
    return _packed(m)


def compare(model: bytes, out_dir: Path, seed: int, count: int = 4, engine: Path | None = None,
            view: Callable[[Graph], Graph] = lambda graph: graph, wide: bool = False) -> tuple[Graph, Plan]:
    """Assert the generated model.c (build_model) of `view` of the model's graph == the oracle on the
    model, bit for bit on `count` random int8 inputs (`wide`: every op that may have int16 weights has
    them, and there is one); returns the graph view and the plan."""
    graph = view(read_graph(model))
    widened = frozenset(wide_gains(graph)) if wide else frozenset()
    assert widened or not wide, "no op of the model takes pre-widened weights"
    plan, run = build_model(graph, out_dir, engine, widened)
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
