"""The model source (the build's `load`, shared by every verb): what the user gave us (a zoo checkpoint, an ONNX
or a TFLite file), and the data it expects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import onnx

from .data_spec import DataSpec, parse_data_spec
from .errors import TinyctlError
from .graph import read_graph
from .task_metrics import TASKS

KINDS = {".pt": "checkpoint", ".pth": "checkpoint", ".onnx": "onnx", ".tflite": "tflite", ".keras": "keras"}


@dataclass
class ModelSource:
    kind: str                         # checkpoint | onnx | tflite | keras
    path: Path
    sha256: str
    input_shape: tuple[int, ...]      # one input as the float model takes it: C, H, W for an image (NCHW)
    preprocessing: dict               # model_input = (pixels_in_[0,1] - mean) / std, for images from a layout
    dataset: dict | None              # the data record (see datasets.py); None: no known data
    threshold: float | None = None    # the detector's logit threshold, when the checkpoint has one
    torch_model: object | None = field(default=None, repr=False)
    label: str | None = None          # the build's name for a model tinyctl changed (e.g. pruned)
    channels_last: bool = False       # the file's input has its channels last (TFLite): user arrays come so
    input_quant: tuple[float, int] | None = None   # an int8 input's (scale, zero point): int8 arrays are in it
    data: DataSpec | None = None      # what the user passed as --data (None: the checkpoint's own, or none)
    test_data: DataSpec | None = None  # --test-data: validate on this instead of data's test split
    task: str | None = None           # --task: the metrics to report (None: guessed from outputs and labels)

    @property
    def name(self) -> str:
        return self.label or self.path.stem

    @property
    def file_input_shape(self) -> tuple[int, ...]:
        """One input as the model file takes it (what the user's arrays hold)."""
        return tuple(np.moveaxis(np.empty(self.input_shape), 0, -1).shape) if self.channels_last else self.input_shape

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_source(path: Path | None, synthetic_data: bool = False, data: DataSpec | None = None,
                test_data: DataSpec | None = None, task: str | None = None) -> ModelSource:
    """Open the model, refusing a missing, corrupt or unsupported file with a clear message. A checkpoint
    records its data; a bare ONNX or TFLite file has none unless `data` names some (`synthetic_data` is
    `data` synthetic). `test_data` replaces the data's test split in validation; `task` fixes the metrics."""
    from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT

    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    if not path.is_file():
        raise TinyctlError(f"model file {path} does not exist",
                           "pass --model with a .pt checkpoint, a .onnx, .keras or .tflite file")
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise TinyctlError(f"unsupported model format {path.suffix!r} ({path.name})",
                           "use a tinyctl checkpoint (.pt), an ONNX (.onnx), a Keras (.keras) or a TFLite (.tflite) file")
    source = {"checkpoint": _from_checkpoint, "onnx": _from_onnx, "tflite": _from_tflite, "keras": _from_keras}[kind](path)
    if synthetic_data and data is None:
        data = parse_data_spec("synthetic")
    return with_data(source, data, test_data, task)


def with_data(source: ModelSource, data: DataSpec | None, test_data: DataSpec | None = None,
              task: str | None = None) -> ModelSource:
    """`source` calibrated and validated on `data` (None keeps its own), validated on `test_data` when given."""
    if task is not None and task not in TASKS:
        raise TinyctlError(f"unknown task {task!r}", f"use one of {', '.join(TASKS)}")
    source = replace(source, test_data=test_data, task=task)
    if data is None and test_data is not None and source.dataset is None:
        data = test_data   # only test data: the int8 ranges come from it too
    if data is None:
        return source
    preprocessing = _plain(source) if data.kind == "synthetic" else source.preprocessing
    return replace(source, data=data, dataset=spec_record(source, data), preprocessing=preprocessing)


def spec_record(source: ModelSource, spec: DataSpec) -> dict:
    """The dataset record of `spec` for this model's input (see datasets.py), or why it cannot feed it."""
    if spec.kind == "synthetic":
        return _synthetic_dataset(source)
    if spec.kind == "arrays":
        return {"layout": "arrays", "root": str(spec.path)}
    if not source.is_image:
        raise TinyctlError(f"{spec.text} holds images; {source.path.name} takes inputs of shape "
                           f"{list(source.file_input_shape)}", "pass the inputs as a .npz/.npy array file")
    c, h, w = source.input_shape
    return spec.record((h, w), c)


def _plain(source: ModelSource) -> dict:
    """A checkpoint keeps its own normalisation; a bare file takes its data as it is."""
    if source.kind == "checkpoint":
        return source.preprocessing
    return {"input_shape": list(source.input_shape), "layout": "NCHW", "mean": 0.0, "std": 1.0}


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


def _check_static(dims: list[int], path: Path) -> None:
    if len(dims) < 2 or any(d <= 0 for d in dims[1:]):
        raise TinyctlError(f"{path.name}: input shape {dims} is not a batch of fixed-size inputs",
                           "export the model with a static input shape (only the batch axis may be dynamic)")


def _synthetic_dataset(source: ModelSource) -> dict:
    """The built-in synthetic set's settings for the model's input, or why it cannot make it."""
    from tinyctl.models.checkpoint_schema import dataset_problem

    if source.kind == "checkpoint" and source.dataset and source.dataset.get("layout", "synthetic") == "synthetic":
        return source.dataset   # trained on it: the same settings
    shape = source.input_shape
    if not (source.is_image and shape[0] in (1, 3) and shape[1] == shape[2]):
        raise TinyctlError(f"the built-in dataset makes square 1- or 3-channel images, {source.path.name} takes "
                           f"{list(source.file_input_shape)}", "pass your own data with --data")
    dataset = {"size": shape[1], "channels": shape[0]}
    if dataset_problem(dataset) is not None:
        raise TinyctlError(f"the built-in dataset cannot make the model's {'x'.join(map(str, shape))} input: {dataset_problem(dataset)}",
                           "pass your own data with --data")
    return dataset


def _from_onnx(path: Path) -> ModelSource:
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
    dims = [d.dim_value if d.HasField("dim_value") else 0 for d in inputs[0].type.tensor_type.shape.dim]
    dims = [1, *dims[1:]] if dims else dims   # a dynamic batch axis is fixed to 1; any other is refused
    _check_static(dims, path)
    shape = tuple(dims[1:])
    return ModelSource(kind="onnx", path=path, sha256=sha256_of(path), input_shape=shape,
                       preprocessing={"input_shape": list(shape), "layout": "NCHW", "mean": 0.0, "std": 1.0},
                       dataset=None)


def _from_tflite(path: Path) -> ModelSource:
    graph = read_graph(path)
    if len(graph.inputs) != 1:
        raise TinyctlError(f"{path.name} has {len(graph.inputs)} inputs", "tinyctl builds single-input models")
    tensor = graph.tensors[graph.inputs[0]]
    dims = list(tensor.shape)
    _check_static(dims, path)
    channels_last = len(dims) >= 4   # TFLite images are NHWC; the pipeline holds them NCHW like ONNX
    shape = tuple(np.moveaxis(np.empty(dims[1:]), -1, 0).shape) if channels_last else tuple(dims[1:])
    quant = (float(tensor.scale[0]), int(tensor.zero_point[0])) if tensor.dtype == "INT8" and len(tensor.scale) else None
    return ModelSource(kind="tflite", path=path, sha256=sha256_of(path), input_shape=shape,
                       preprocessing={"input_shape": list(shape), "layout": "NCHW", "mean": 0.0, "std": 1.0},
                       dataset=None, channels_last=channels_last, input_quant=quant)


def _from_keras(path: Path) -> ModelSource:
    from .stages.keras_int8 import load_keras

    model = load_keras(path)
    if len(model.inputs) != 1:
        raise TinyctlError(f"{path.name} has {len(model.inputs)} inputs", "tinyctl builds single-input models")
    dims = [1, *(d or 0 for d in model.inputs[0].shape[1:])]
    _check_static(dims, path)
    channels_last = len(dims) >= 4   # Keras images are NHWC; the pipeline holds them NCHW like ONNX
    shape = tuple(np.moveaxis(np.empty(dims[1:]), -1, 0).shape) if channels_last else tuple(dims[1:])
    return ModelSource(kind="keras", path=path, sha256=sha256_of(path), input_shape=shape,
                       preprocessing={"input_shape": list(shape), "layout": "NCHW", "mean": 0.0, "std": 1.0},
                       dataset=None, channels_last=channels_last)


def preprocess(images: np.ndarray, preprocessing: dict) -> np.ndarray:
    """Pixels in [0, 1] (NCHW) -> what the float model takes; `mean` and `std` are scalars or one per channel."""
    mean, std = (np.asarray(preprocessing.get(key, default), np.float32) for key, default in (("mean", 0.0), ("std", 1.0)))
    mean, std = (v.reshape(-1, 1, 1) if v.ndim else v for v in (mean, std))
    return ((images - mean) / std).astype(np.float32)
