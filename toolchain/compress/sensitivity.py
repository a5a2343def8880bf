"""Per-layer int8 sensitivity: every op's int8 output (dequantized) against the float TFLite of the same
conversion, tensor by tensor, on test images. The signal-to-quantization-noise ratio falls layer by
layer; where it falls most is where the accuracy goes. rmse/step near 0.29 is plain rounding noise of
that layer's own step (uniform error); far above it the error was inherited or the range clips."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..graph import read_graph
from ..runtimes import quantize_input, tflite_layout

SAMPLES = 32


def _all_tensors(model: bytes, inputs: np.ndarray) -> list[dict]:
    """Every tensor after each input, with LiteRT's reference kernels (those TFLite-Micro matches)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)    # keeping all tensors is what this is for
        interp = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                             experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]
    details = interp.get_tensor_details()
    runs = []
    for sample in inputs:
        interp.set_tensor(index, sample[None])
        interp.invoke()
        runs.append({d["name"]: interp.get_tensor(d["index"]).copy() for d in details})
    return runs


def _dequantized(values: np.ndarray, tensor) -> np.ndarray:
    return (values.astype(np.float32) - tensor.zero_point[0]) * np.float32(tensor.scale[0])


def _float_name(int8_graph, float_graph, position: int, name: str) -> str | None:
    """The float tensor that holds what int8 op `position` writes: the same name, else the same place in
    an op sequence of the same kinds."""
    float_names = {t.name for t in float_graph.tensors}
    if name in float_names:
        return name
    if [op.opcode for op in int8_graph.operators] == [op.opcode for op in float_graph.operators]:
        return float_graph.tensors[float_graph.operators[position].outputs[0]].name
    return None


def layer_sensitivity(float_tflite: bytes, int8_tflite: bytes, images: np.ndarray) -> list[dict]:
    """One row per int8 op: index, opcode, layer, sqnr_db, relative_error, rmse_over_step (None where no
    float twin exists), over the first SAMPLES images (NCHW float)."""
    int8_graph, float_graph = read_graph(int8_tflite), read_graph(float_tflite)
    images = images[:SAMPLES]
    inp = int8_graph.tensors[int8_graph.inputs[0]]
    q_runs = _all_tensors(int8_tflite, quantize_input(images, inp.shape, inp.scale[0], inp.zero_point[0]))
    f_runs = _all_tensors(float_tflite, tflite_layout(images, inp.shape).astype(np.float32))
    rows = []
    for op in int8_graph.operators:
        tensor = int8_graph.tensors[op.outputs[0]]
        twin = _float_name(int8_graph, float_graph, op.index, tensor.name)
        row = {"index": op.index, "opcode": op.opcode, "layer": int8_graph.layer_name(op),
               "sqnr_db": None, "relative_error": None, "rmse_over_step": None}
        if twin is not None and tensor.scale:
            ref = np.concatenate([run[twin].ravel() for run in f_runs])
            got = np.concatenate([_dequantized(run[tensor.name], tensor).ravel() for run in q_runs])
            noise, signal = float(np.sum((got - ref) ** 2)), float(np.sum(ref ** 2))
            row.update(sqnr_db=round(10 * math.log10(signal / noise), 2) if noise > 0 and signal > 0 else None,
                       relative_error=round(math.sqrt(noise / signal), 5) if signal > 0 else None,
                       rmse_over_step=round(math.sqrt(noise / len(ref)) / tensor.scale[0], 3))
        rows.append(row)
    return rows


def summary(rows: list[dict]) -> dict:
    """The layer where the SQNR falls most from its predecessor (where the accuracy goes) and the output's SQNR."""
    measured = [r for r in rows if r["sqnr_db"] is not None]
    if not measured:
        return {"worst_layer": None, "output_sqnr_db": None}
    falls = [0.0] + [a["sqnr_db"] - b["sqnr_db"] for a, b in zip(measured, measured[1:])]
    worst = measured[int(np.argmax(falls))]
    return {"worst_layer": {"index": worst["index"], "opcode": worst["opcode"], "layer": worst["layer"],
                            "sqnr_db": worst["sqnr_db"], "sqnr_fall_db": round(max(falls), 2)},
            "output_sqnr_db": measured[-1]["sqnr_db"]}
