"""Run one model on a batch of float NCHW inputs in each runtime we compare; outputs come back as float.

Int8 runtimes also return their raw int8 outputs, so they can be compared element by element.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import TinyctlError
from .firmware_run import run_firmware_batch
from .graph import read_graph
from .hostrun import run_host


@dataclass
class RuntimeOutput:
    values: np.ndarray               # float, [N, ...]: dequantized for int8 runtimes
    raw: np.ndarray | None = None    # int8 outputs of int8 runtimes


def run_torch(model, inputs: np.ndarray) -> RuntimeOutput:
    import torch

    with torch.no_grad():
        return RuntimeOutput(model.eval()(torch.from_numpy(inputs)).numpy())


def run_keras(path: Path, inputs: np.ndarray) -> RuntimeOutput:
    """A float Keras model (channels-last images), one input at a time like the other runtimes."""
    from .stages.keras_int8 import load_keras

    model = load_keras(path)
    x = channels_last(inputs)
    return RuntimeOutput(np.concatenate([np.asarray(model(x[i:i + 1], training=False)) for i in range(len(x))]))


def run_onnx(path: Path, inputs: np.ndarray) -> RuntimeOutput:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return RuntimeOutput(np.concatenate([session.run(None, {name: inputs[i:i + 1]})[0]
                                         for i in range(len(inputs))]))


def channels_last(inputs: np.ndarray) -> np.ndarray:
    """A batch as the pipeline holds it (NCHW images, like ONNX) -> as TFLite takes it (NHWC); other ranks as they are."""
    return inputs.transpose(0, 2, 3, 1) if inputs.ndim == 4 else inputs


def tflite_layout(inputs: np.ndarray, detail_shape) -> np.ndarray:
    """A batch as the pipeline holds it -> the TFLite input's layout: NHWC for 4-D inputs, and channels moved
    last for a 3-D input that onnx2tf turned from NCW into NWC."""
    if len(detail_shape) == 4:
        return channels_last(inputs)
    moved = np.moveaxis(inputs, 1, -1) if inputs.ndim == 3 else inputs
    if tuple(inputs.shape[1:]) != tuple(detail_shape[1:]) and tuple(moved.shape[1:]) == tuple(detail_shape[1:]):
        return moved
    return inputs


def quantize_input(inputs: np.ndarray, detail_shape, scale: float, zero_point: int) -> np.ndarray:
    """Float, as the pipeline holds it (NCHW images) -> int8 in the TFLite model's own layout."""
    x = tflite_layout(inputs, detail_shape)
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def _dequantize(raw: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return (raw.astype(np.float32) - zero_point) * np.float32(scale)


def run_tflite(model: bytes, inputs: np.ndarray) -> RuntimeOutput:
    """LiteRT with its reference kernels: the ones TFLite-Micro's kernels are written to match."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    try:   # LiteRT checks some things TFLite-Micro does not (and raises ValueError or RuntimeError)
        interp = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        interp.allocate_tensors()
        inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
        (in_scale, in_zp), (out_scale, out_zp) = inp["quantization"], out["quantization"]
        q = quantize_input(inputs, inp["shape"], in_scale, in_zp)
        raw = []
        for sample in q:
            interp.set_tensor(inp["index"], sample[None])
            interp.invoke()
            raw.append(interp.get_tensor(out["index"]).copy())
    except (ValueError, RuntimeError) as exc:
        raise TinyctlError(f"LiteRT, the int8 TFLite comparison runtime, refuses this model: {' '.join(str(exc).split())[:300]}",
                           "the model is malformed for TFLite; re-export it with the TFLite converter") from exc
    raw = np.concatenate(raw)
    return RuntimeOutput(_dequantize(raw, out_scale, out_zp), raw)


def tflm_int8_outputs(model: bytes, inputs: np.ndarray) -> np.ndarray:
    """TFLite-Micro's raw int8 outputs for int8 inputs [N, *input shape], one flat row per input
    (its reference kernels, a generous arena)."""
    from tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=len(model) * 10 + (8 << 20))
    rows = []
    for sample in inputs:
        interpreter.set_input(sample[None], 0)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_output(0), copy=True).reshape(-1))
    return np.stack(rows)


def run_tflm(model: bytes, inputs: np.ndarray, arena_bytes: int) -> RuntimeOutput:
    from tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(model, arena_size=arena_bytes)
    inp, out = interp.get_input_details(0), interp.get_output_details(0)
    in_q, out_q = inp["quantization_parameters"], out["quantization_parameters"]
    q = quantize_input(inputs, inp["shape"], float(in_q["scales"][0]), int(in_q["zero_points"][0]))
    raw = []
    for sample in q:
        interp.set_input(sample[None], 0)
        interp.invoke()
        raw.append(np.array(interp.get_output(0), copy=True))
    raw = np.concatenate(raw)
    return RuntimeOutput(_dequantize(raw, float(out_q["scales"][0]), int(out_q["zero_points"][0])), raw)


def _run_engine(run, model: bytes, inputs: np.ndarray) -> RuntimeOutput:
    """Our engine through `run` (int8 rows in, int8 rows out); quantization as the int8 TFLite model has it."""
    graph = read_graph(model)
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    q = quantize_input(inputs, inp.shape, inp.scale[0], inp.zero_point[0])
    raw = run(q.reshape(len(q), -1)).reshape((len(q),) + tuple(out.shape[1:]))
    return RuntimeOutput(_dequantize(raw, out.scale[0], out.zero_point[0]), raw)


def run_engine_host(executable: Path, model: bytes, inputs: np.ndarray) -> RuntimeOutput:
    """Our generated C engine in the app compiled for the host."""
    return _run_engine(lambda q: run_host(executable, q), model, inputs)


def run_engine_firmware(board, build_dir: Path, model: bytes, inputs: np.ndarray) -> RuntimeOutput:
    """The board's firmware under QEMU, in its batch mode."""
    return _run_engine(lambda q: run_firmware_batch(board, build_dir, q), model, inputs)
