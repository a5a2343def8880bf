"""Stage `quantize`: int8 post-training quantization, QDQ ONNX (onnxruntime) and fully-int8 TFLite (onnx2tf)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import onnx

from ..compress.calibration import correct_biases
from ..errors import TinyctlError
from ..graph import Graph
from ..staging import owned_temp_dir
from .export import export_float_onnx
from .onnx2tf_worker import FAILED, OK, PARENT_PID

# onnx2tf fetches sample images from the network for 3-channel inputs unless this file is in its cwd.
ONNX2TF_SAMPLE_FILE = "calibration_image_sample_data_20x128x128x3_float32.npy"
FLOAT_TFLITE = "model_float32.tflite"


def quantize_qdq_onnx(float_onnx: Path, out: Path, calibration: np.ndarray, percentile: float | None = None) -> None:
    """Per-channel int8 weights, int8 activations, ranges over the calibration set: MinMax, or the
    central `percentile` of each activation's values."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    input_name = _input_name(float_onnx)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._samples = iter(calibration[i:i + 1] for i in range(len(calibration)))

        def get_next(self):
            sample = next(self._samples, None)
            return None if sample is None else {input_name: sample}

    with owned_temp_dir("tinyctl-qdq-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(float_onnx), str(prepared))
        quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True,
                        calibrate_method=CalibrationMethod.MinMax if percentile is None else CalibrationMethod.Percentile,
                        extra_options={} if percentile is None else {"CalibPercentile": percentile})


def _input_name(onnx_path: Path) -> str:
    graph = onnx.load(str(onnx_path)).graph
    initializers = {i.name for i in graph.initializer}
    return next(i.name for i in graph.input if i.name not in initializers)


def convert_int8_tflite(float_onnx: Path, out: Path, calibration: np.ndarray, log: Path, log_hint: Path,
                        percentile: float | None = None) -> None:
    """Fully-int8 TFLite (int8 in, int8 out, per-channel weights) through onnx2tf, from the float ONNX;
    the float TFLite of the same conversion goes beside it (FLOAT_TFLITE, the per-layer sensitivity's
    reference). Activation ranges are MinMax over the calibration set, or its central `percentile`.

    `log` collects the converter's output; `log_hint` is where users find it if the build fails."""
    with owned_temp_dir("tinyctl-onnx2tf-") as tmp:
        work = Path(tmp)
        shutil.copyfile(float_onnx, work / "model.onnx")       # onnx2tf rewrites its input in place
        # onnx2tf makes NCHW inputs NHWC (and NCW ones NWC): its calibration data comes channels last
        np.save(work / "calibration_nhwc.npy", np.moveaxis(calibration, 1, -1) if calibration.ndim >= 3 else calibration)
        if calibration.ndim == 4 and calibration.shape[1] == 3:
            np.save(work / ONNX2TF_SAMPLE_FILE, _sample_images(calibration))
        converted = _converter().convert({"work": str(work), "input_name": _input_name(float_onnx),
                                          "percentile": percentile, "log": str(log.resolve())})
        produced = work / "tf" / "model_full_integer_quant.tflite"
        if not converted or not produced.is_file():
            raise TinyctlError("onnx2tf could not convert the model", f"see the converter log in {log_hint}")
        shutil.copyfile(produced, out)
        shutil.copyfile(work / "tf" / "model_float32.tflite", out.parent / FLOAT_TFLITE)


class _Converter:
    """This thread's onnx2tf worker (stages/onnx2tf_worker.py), started at its first conversion and again after
    one that failed or after the worker died. Per thread: the kernel ends the worker with the thread that started
    it (the worker's parent-death signal), and a thread waits for its own conversions. Per process: a forked child
    inherits its parent's thread but must not talk to its worker."""

    def __init__(self):
        self.worker: subprocess.Popen | None = None
        self.pid = os.getpid()

    def convert(self, request: dict) -> bool:
        if self.worker is None or self.worker.poll() is not None:
            self.worker = subprocess.Popen([sys.executable, "-m", "tinyctl.stages.onnx2tf_worker"], text=True,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                           env={**os.environ, PARENT_PID: str(os.getpid())})
        try:
            self.worker.stdin.write(json.dumps(request) + "\n")
            self.worker.stdin.flush()
            answer = self.worker.stdout.readline().strip()
        except BrokenPipeError:
            answer = FAILED
        except BaseException:   # interrupted mid-conversion: its answer must not reach the next request
            self.worker.kill()
            raise
        if answer != OK:
            self.worker.kill()
            self.worker.wait()
        return answer == OK


_converters = threading.local()


def _converter() -> _Converter:
    if getattr(_converters, "this_thread", None) is None or _converters.this_thread.pid != os.getpid():
        _converters.this_thread = _Converter()
    return _converters.this_thread


def _sample_images(calibration: np.ndarray) -> np.ndarray:
    """20 NHWC images of 128x128 from our own calibration data (onnx2tf's self-check only)."""
    picks = np.resize(calibration, (20,) + calibration.shape[1:]).transpose(0, 2, 3, 1)
    rows = np.linspace(0, picks.shape[1] - 1, 128).astype(int)
    cols = np.linspace(0, picks.shape[2] - 1, 128).astype(int)
    return np.clip(picks[:, rows][:, :, cols], 0, 1).astype(np.float32)


def check_fully_int8(graph: Graph) -> None:
    """The device model must be int8 end to end: int8 activations and IO, int32 biases only."""
    for name in ("inputs", "outputs"):
        for index in getattr(graph, name):
            tensor = graph.tensors[index]
            if tensor.dtype != "INT8":
                raise TinyctlError(f"model {name[:-1]} {tensor.name!r} is {tensor.dtype}, not INT8",
                                   "give a fully-int8 TFLite model (int8 input and output), or the float "
                                   "ONNX/checkpoint so tinyctl quantizes it")
    for op in graph.operators:
        if op.opcode in ("QUANTIZE", "DEQUANTIZE"):
            continue
        for index in op.outputs:
            tensor = graph.tensors[index]
            if tensor.dtype not in ("INT8", "INT32"):
                raise TinyctlError(f"layer {tensor.name!r} ({op.opcode}) computes in {tensor.dtype}",
                                   "the device runs int8 only; quantize the whole model")
    for tensor in graph.tensors:   # int8 kernels read every int8 tensor's scale and zero point
        if tensor.dtype == "INT8" and not tensor.scale:
            raise TinyctlError(f"int8 tensor {tensor.name!r} has no quantization scale and zero point",
                               "quantize the whole model with the TFLite converter")


def convert_model(source, work: Path, calibration: np.ndarray, percentile: float | None = None,
                  bias_correction: bool = False) -> tuple[bytes, bytes]:
    """The build's float export and fully-int8 conversion of `source`'s model, in the scratch directory
    `work`, for callers that compare models (searches, benchmarks, tests): (int8, float) TFLite bytes."""
    work.mkdir(parents=True, exist_ok=True)
    float_onnx = work / "model.onnx"
    export_float_onnx(source, float_onnx, calibration[:4])
    if bias_correction:
        correct_biases(float_onnx, work / "model_bias_corrected.onnx", calibration)
        float_onnx = work / "model_bias_corrected.onnx"
    convert_int8_tflite(float_onnx, work / "model_int8.tflite", calibration, work / "onnx2tf.log",
                        work / "onnx2tf.log", percentile)
    return (work / "model_int8.tflite").read_bytes(), (work / FLOAT_TFLITE).read_bytes()
