"""Post-training calibration options beyond TFLite's MinMax, applied inside the same conversion route.

* percentile: the converter records each activation's min/max over the calibration images; between
  that and quantization we narrow every range (not the model input's) to its central percentile,
  read off a histogram of the same images run through the calibrated float model.
* bias correction: on the float ONNX before conversion, each convolution's bias absorbs the mean
  shift that rounding its weights to their per-channel int8 grid causes on the calibration images
  (empirical bias correction, Nagel et al. 2019, "Data-free quantization").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import TinyctlError

HISTOGRAM_BINS = 2048
WEIGHT_QMAX = 127


@dataclass(frozen=True)
class Calibration:
    """How int8 ranges are chosen: 'minmax' or 'percentile' (at `percentile`), with or without bias correction."""
    method: str = "minmax"
    percentile: float = 99.99
    bias_correction: bool = False

    def __post_init__(self):
        if self.method not in ("minmax", "percentile"):
            raise TinyctlError(f"unknown calibration method {self.method!r}", "use minmax or percentile")
        if not 50.0 < self.percentile <= 100.0:
            raise TinyctlError(f"calibration percentile {self.percentile} is outside (50, 100]",
                               "99.99 keeps all but the most extreme 0.01 % of activation values")

    @property
    def range_percentile(self) -> float | None:
        """What the quantizers take: the percentile to narrow ranges to, None for MinMax."""
        return self.percentile if self.method == "percentile" else None


def _histogram_percentiles(histogram: np.ndarray, low: float, high: float, percentile: float) -> tuple[float, float]:
    cdf = np.cumsum(histogram) / histogram.sum()
    edges = np.linspace(low, high, len(histogram) + 1)
    tail = 1.0 - percentile / 100.0
    return float(edges[np.searchsorted(cdf, tail)]), float(edges[np.searchsorted(cdf, 1.0 - tail) + 1])


def narrow_ranges(calibrated: bytes, samples: list[np.ndarray], percentile: float) -> bytes:
    """The calibrated (float, min/max-annotated) TFLite model with every activation range but the inputs'
    narrowed to the central `percentile` of its values over `samples` (the calibration inputs)."""
    import flatbuffers
    import tensorflow as tf
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(calibrated, 0))
    graph = model.subgraphs[0]
    ranged = {i: t.quantization for i, t in enumerate(graph.tensors)
              if i not in graph.inputs and t.quantization is not None and t.quantization.min is not None
              and len(t.quantization.min) == 1 and t.quantization.max[0] > t.quantization.min[0]}
    histograms = {i: np.zeros(HISTOGRAM_BINS) for i in ranged}
    interpreter = tf.lite.Interpreter(model_content=calibrated, experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    for sample in samples:
        interpreter.set_tensor(graph.inputs[0], sample)
        interpreter.invoke()
        for i, q in ranged.items():
            histograms[i] += np.histogram(interpreter.get_tensor(i), HISTOGRAM_BINS, (q.min[0], q.max[0]))[0]
    for i, q in ranged.items():
        low, high = _histogram_percentiles(histograms[i], q.min[0], q.max[0], percentile)
        q.min, q.max = [min(low, 0.0)], [max(high, 0.0)]
    builder = flatbuffers.Builder(len(calibrated))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _fold_scale(weight: np.ndarray) -> np.ndarray:
    """TFLite's per-channel symmetric step: the largest |weight| of each output channel over 127."""
    return np.maximum(np.abs(weight.reshape(len(weight), -1)).max(1), 1e-12) / WEIGHT_QMAX


def _weight_rounding_error(weight: np.ndarray) -> np.ndarray:
    step = _fold_scale(weight).reshape((-1,) + (1,) * (weight.ndim - 1))
    return np.clip(np.round(weight / step), -WEIGHT_QMAX, WEIGHT_QMAX) * step - weight


def correct_biases(float_onnx: Path, out: Path, calibration: np.ndarray) -> list[dict]:
    """Write `out`: `float_onnx` with each Conv's bias minus the per-channel mean of conv(x, Wq - W) over the
    calibration images. Returns the correction applied per layer."""
    import onnxruntime as ort
    import torch

    model = onnx.load(str(float_onnx))
    inits = {i.name: i for i in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == "Conv" and n.input[1] in inits]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(onnx.ValueInfoProto(name=n.input[0]) for n in convs)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [n.input[0] for n in convs]
    feed = session.get_inputs()[0].name
    inputs = {name: [] for name in names}
    for sample in calibration:
        for name, value in zip(names, session.run(names, {feed: sample[None]})):
            inputs[name].append(value)
    corrections = []
    for node in convs:
        weight = numpy_helper.to_array(inits[node.input[1]])
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        pads = attrs.get("pads", [0, 0, 0, 0])
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or pads[:2] != pads[2:]:
            raise TinyctlError(f"bias correction cannot handle the padding of Conv {node.name!r}",
                               "calibrate without --bias-correction")
        error = torch.nn.functional.conv2d(torch.from_numpy(np.concatenate(inputs[node.input[0]])),
                                           torch.from_numpy(_weight_rounding_error(weight)),
                                           stride=attrs.get("strides", [1, 1]), padding=pads[:2],
                                           dilation=attrs.get("dilations", [1, 1]), groups=attrs.get("group", 1))
        shift = error.mean((0, 2, 3)).numpy().astype(np.float32)
        _set_bias(model, node, inits, shift)
        corrections.append({"layer": node.name, "max_abs_shift": float(np.abs(shift).max())})
    onnx.save(model, str(out))
    return corrections


def _set_bias(model, node, inits: dict, shift: np.ndarray) -> None:
    """bias -= shift, adding a bias initializer to a Conv that has none."""
    if len(node.input) > 2 and node.input[2] in inits:
        bias = numpy_helper.to_array(inits[node.input[2]]) - shift
        inits[node.input[2]].CopyFrom(numpy_helper.from_array(bias.astype(np.float32), node.input[2]))
        return
    name = f"{node.name}_bias_corrected"
    model.graph.initializer.append(numpy_helper.from_array(-shift, name))
    del node.input[2:]
    node.input.append(name)
