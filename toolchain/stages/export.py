"""Stage `export`: the float ONNX, checked against the torch model it came from."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from ..errors import TinyctlError
from ..model_source import ModelSource
from .onnx_prepare import ONNX_OPSET, prepare_user_onnx

INPUT_NAME = "input"


def export_float_onnx(source: ModelSource, out: Path, probe: np.ndarray) -> None:
    """Write model.onnx (batch 1, static shapes, names onnx2tf keeps: what onnx2tf and the MCU want)."""
    if source.kind == "onnx":
        prepare_user_onnx(source.path, out)
    else:
        model = source.torch_model.eval()
        example = torch.from_numpy(probe[:1])
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter is the one onnx2tf takes
            torch.onnx.export(model, (example,), str(out), dynamo=False, opset_version=ONNX_OPSET,
                              input_names=[INPUT_NAME], output_names=["output"], do_constant_folding=True)
        _check_matches_torch(model, out, probe)


def _check_matches_torch(model, onnx_path: Path, probe: np.ndarray) -> None:
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        expected = model(torch.from_numpy(probe)).numpy()
    got = np.concatenate([session.run(None, {INPUT_NAME: probe[i:i + 1]})[0] for i in range(len(probe))])
    worst = float(np.max(np.abs(got - expected)))
    if worst > 1e-3 * max(1.0, float(np.max(np.abs(expected)))):
        raise TinyctlError(f"the exported ONNX differs from the torch model by {worst:.3g}",
                           "the model uses an op the ONNX exporter mistranslates; report it with the model")
