"""The model source (the build's `load`, shared by every verb): what the user gave us (a zoo checkpoint, an ONNX
or a TFLite file), and the data it expects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from .errors import TinyctlError
from .graph import read_graph

KINDS = {".pt": "checkpoint", ".pth": "checkpoint", ".onnx": "onnx", ".tflite": "tflite"}


@dataclass
class ModelSource:
    kind: str                         # checkpoint | onnx | tflite
    path: Path
    sha256: str
    input_shape: tuple[int, int, int]  # C, H, W as the detector sees an image
    preprocessing: dict               # model_input = (pixels_in_[0,1] - mean) / std
    dataset: dict | None              # the dataset record of the data it was trained on; None: no known data
    threshold: float | None = None    # the detector's logit threshold, when the checkpoint has one
    torch_model: object | None = field(default=None, repr=False)
    label: str | None = None          # the build's name for a model tinyctl changed (e.g. pruned)

    @property
    def name(self) -> str:
        return self.label or self.path.stem


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_source(path: Path | None, synthetic_data: bool = False) -> ModelSource:
    """Open the model, refusing a missing, corrupt or unsupported file with a clear message. A checkpoint
    records its data; a bare ONNX or TFLite file has none unless `synthetic_data` asks for the built-in set."""
    from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT

    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    if not path.is_file():
        raise TinyctlError(f"model file {path} does not exist",
                           "pass --model with a .pt checkpoint, a .onnx or a .tflite file")
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise TinyctlError(f"unsupported model format {path.suffix!r} ({path.name})",
                           "use a tinyctl checkpoint (.pt), an ONNX (.onnx) or a TFLite (.tflite) file")
    if kind == "checkpoint":
        return _from_checkpoint(path)
    return {"onnx": _from_onnx, "tflite": _from_tflite}[kind](path, synthetic_data)


def _from_checkpoint(path: Path) -> ModelSource:
    from tinyctl.models.checkpoint import CheckpointError, load_checkpoint
    from tinyctl.models.data.record import recorded_dataset

    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as exc:
        raise TinyctlError(f"cannot load checkpoint {path}: {exc}",
                           "train one with `tinyctl train` or pass an ONNX/TFLite model") from exc
    pre = dict(ckpt.preprocessing)
    return ModelSource(kind="checkpoint", path=path, sha256=sha256_of(path),
                       input_shape=tuple(pre["input_shape"]), preprocessing=pre,
                       dataset=recorded_dataset(pre), threshold=float(ckpt.threshold),
                       torch_model=ckpt.model)


def _image_shape(dims: list[int], layout: str, path: Path) -> tuple[int, int, int]:
    """Our data is images: the input must be a batch of 1- or 3-channel images."""
    if len(dims) == 4:
        c, h, w = (dims[1], dims[2], dims[3]) if layout == "NCHW" else (dims[3], dims[1], dims[2])
        if c in (1, 3) and h > 0 and w > 0:
            return c, h, w
    raise TinyctlError(f"{path.name}: input shape {dims} is not a batch of 1- or 3-channel images ({layout})",
                       "tinyctl build calibrates on images; export the model with a fixed image input")


def _default_data(shape: tuple[int, int, int], synthetic_data: bool) -> tuple[dict, dict | None]:
    """(preprocessing, dataset): the built-in synthetic set when asked for, else no known data."""
    from tinyctl.models.checkpoint_schema import dataset_problem

    c, h, w = shape
    if not synthetic_data:
        return {"input_shape": list(shape), "layout": "NCHW", "mean": 0.0, "std": 1.0}, None
    if h != w:
        raise TinyctlError(f"the built-in dataset makes square images, the model wants {h}x{w}",
                           "export the model for a square input")
    dataset = {"size": h, "channels": c}
    if dataset_problem(dataset) is not None:
        raise TinyctlError(f"the built-in dataset cannot make the model's {c}x{h}x{w} input: {dataset_problem(dataset)}",
                           "export the model for a square input of 16 to 256 pixels, a multiple of 8")
    return {"input_shape": list(shape), "layout": "NCHW", "mean": 0.0, "std": 1.0, "dataset": dataset}, dataset


def _from_onnx(path: Path, synthetic_data: bool) -> ModelSource:
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model, full_check=True)   # shape inference too: shapes must agree
    except Exception as exc:  # onnx raises DecodeError, ValidationError, OSError...
        raise TinyctlError(f"corrupt or invalid ONNX file {path}: {str(exc).splitlines()[0]}",
                           "re-export the model with torch.onnx.export") from exc
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise TinyctlError(f"{path.name} has {len(inputs)} inputs", "tinyctl builds single-input models")
    dims = [d.dim_value if d.HasField("dim_value") else 1 for d in inputs[0].type.tensor_type.shape.dim]
    pre, dataset = _default_data(_image_shape(dims, "NCHW", path), synthetic_data)
    return ModelSource(kind="onnx", path=path, sha256=sha256_of(path), input_shape=tuple(pre["input_shape"]),
                       preprocessing=pre, dataset=dataset)


def _from_tflite(path: Path, synthetic_data: bool) -> ModelSource:
    graph = read_graph(path)
    if len(graph.inputs) != 1:
        raise TinyctlError(f"{path.name} has {len(graph.inputs)} inputs", "tinyctl builds single-input models")
    pre, dataset = _default_data(_image_shape(list(graph.tensors[graph.inputs[0]].shape), "NHWC", path),
                                 synthetic_data)
    return ModelSource(kind="tflite", path=path, sha256=sha256_of(path), input_shape=tuple(pre["input_shape"]),
                       preprocessing=pre, dataset=dataset)


def preprocess(images: np.ndarray, preprocessing: dict) -> np.ndarray:
    """Pixels in [0, 1] (NCHW) -> what the float model takes."""
    mean = np.float32(preprocessing.get("mean", 0.0))
    std = np.float32(preprocessing.get("std", 1.0))
    return ((images - mean) / std).astype(np.float32)
