"""The inputs a build calibrates and validates on: the user's arrays, a dataset folder (given with --data, or
the one a checkpoint was trained on) or the built-in synthetic set, shaped as the model expects, or for a model with no known data, generated inputs spanning its int8 input range.

A data record (ModelSource.dataset) is the settings of the synthetic set (old checkpoints: no `layout` key),
{"layout": mvtec|ksdd2|visa|folder|classes, "root", "category", "size": [H, W], "channels"} for a folder, or
{"layout": "arrays", "root": file} for an array file (see data_spec.py)."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from tinyctl.models.data import class_names as folder_class_names
from tinyctl.models.data import square_side
from tinyctl.models.data.record import describe as describe_record
from tinyctl.models.data.record import recorded_layout as layout_of

from .data_spec import read_arrays
from .errors import TinyctlError
from .model_source import ModelSource, preprocess, spec_record
from .recorded_data import DATA_FLAG, recorded_samples

SYNTHETIC_DATA_FLAG = "--synthetic-data"



def _config(source: ModelSource, record: dict | None = None):
    from tinyctl.models.data.synthetic import SyntheticConfig

    record = source.dataset if record is None else record
    if record is None:
        raise _no_data(source)
    known = {f.name for f in dataclasses.fields(SyntheticConfig)}
    values = {k: v for k, v in record.items() if k in known}
    return SyntheticConfig(**{**values, "size": square_side(values.get("size", SyntheticConfig.size))})


def _no_data(source: ModelSource) -> TinyctlError:
    synthetic = (f"pass your data with {DATA_FLAG} (a .npz/.npy of inputs, or a dataset folder), or "
                 f"{DATA_FLAG} synthetic ({SYNTHETIC_DATA_FLAG}) for tinyctl's built-in images (right only for a model "
                 "trained on them)")
    if source.kind == "tflite":
        return TinyctlError(f"{source.path.name} came with no data: it was only checked runtime against runtime",
                            synthetic)
    # random calibration inputs would give int8 ranges the real data does not have
    return TinyctlError(f"{source.path.name} is a float model with no known data to calibrate its int8 ranges on",
                        f"{synthetic}; or give a fully-int8 TFLite model")


@functools.lru_cache(maxsize=3)
def _samples(split: str, config):
    """A split is deterministic in (split, config): make it once per process (calibration, fine-tuning and
    validation all read it)."""
    from tinyctl.models.data.synthetic import make_split

    return make_split(split, config)


def _record(source: ModelSource, split: str) -> dict:
    """The record a split comes from: --test-data's for validation when given, else the model's data."""
    if split != "train" and source.test_data is not None:
        return spec_record(source, source.test_data)
    if source.dataset is None:
        raise _no_data(source)
    return source.dataset


def source_samples(source: ModelSource, split: str):
    """The raw `Samples` (images, labels, masks) of one split of the model's images, shared: do not modify."""
    record = _record(source, split)
    layout = layout_of(record)
    if layout == "synthetic":
        return _samples(split, _config(source, record))
    if layout == "arrays":
        raise TinyctlError(f"{source.data.text if source.data else record['root']} holds arrays, not images",
                           "this verb needs images: pass a dataset folder or synthetic with --data")
    trained_on = record is source.dataset and source.data is None
    whose = f"{source.path.name} was trained on" if trained_on else f"{DATA_FLAG} names"
    return recorded_samples(whose, record, split)


def labelled_split(source: ModelSource, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(model inputs as the pipeline holds them, labels or None) of one split (fresh arrays: callers may
    change them). Images are preprocessed; arrays are the model's inputs as they are."""
    record = _record(source, split)
    if layout_of(record) == "arrays":
        return _array_split(source, split)
    samples = source_samples(source, split)
    return preprocess(samples.images, source.preprocessing), samples.labels.copy()


def _array_split(source: ModelSource, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    """One array file for everything: even rows calibrate, odd rows validate (the whole file when it has one
    row). With --test-data, the --data file calibrates and the test file validates."""
    spec = source.test_data if split != "train" and source.test_data is not None else source.data
    x, y = read_arrays(spec, source.file_input_shape, "--test-data" if spec is source.test_data else DATA_FLAG)
    if source.test_data is None and len(x) > 1:
        rows = slice(0, None, 2) if split == "train" else slice(1, None, 2)
        x, y = x[rows], None if y is None else y[rows]
    return _as_pipeline_input(source, x), y


def _as_pipeline_input(source: ModelSource, x: np.ndarray) -> np.ndarray:
    """User arrays (the model file's layout; int8 ones in its input quantization) -> float, channels first."""
    if x.dtype == np.int8 and source.input_quant is not None:
        scale, zero_point = source.input_quant
        x = (x.astype(np.float32) - zero_point) * np.float32(scale)
    x = x.astype(np.float32)
    return np.ascontiguousarray(np.moveaxis(x, -1, 1)) if source.channels_last else x


def class_names(source: ModelSource, count: int) -> list[str]:
    """The names of a classifier's `count` classes: the class folders in name order, else their indices."""
    record = source.dataset or {}
    if layout_of(record) == "classes" and source.test_data is None:
        names = folder_class_names(record["root"], record.get("category"))
        if len(names) == count:
            return names
    return [str(i) for i in range(count)]


def describe(source: ModelSource, split: str, count: int) -> dict:
    """What the report says about the data a split came from: the spec, the split, the count, one line."""
    record = _record(source, split)
    layout = layout_of(record)
    spec = source.test_data if split != "train" and source.test_data is not None else source.data
    if layout == "synthetic":
        text, where = "synthetic", f"tinyctl's built-in synthetic images ({record.get('size', '?')} px)"
    elif layout == "arrays":
        text, where = spec.text, f"arrays from {record['root']}"
    else:
        text = f"{layout}:{record['root']}" + (f":{record['category']}" if record.get("category") else "")
        where = describe_record(record)
    if spec is not None:
        text = spec.text
    part = f"{split} split"
    if layout == "arrays" and source.test_data is None:
        part = "even rows (calibration)" if split == "train" else "odd rows (even rows calibrated)"
    noun = "images" if layout != "arrays" else "inputs"
    return {"spec": text, "split": split, "count": int(count), "description": f"{where}, {part}, {count} {noun}"}


def fresh_split(source: ModelSource, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` labelled images from the model's synthetic generator under another dataset seed, as
    labelled_split gives them: a held-out set larger than the test split, to measure AP differences below a
    point (on 400 test images one model's AP moves by about 0.3 points with the images drawn)."""
    from tinyctl.models.data.synthetic import make_split

    config = _config(source)
    if seed == config.seed:
        raise ValueError(f"seed {seed} is the model's own dataset seed: its images are not fresh")
    samples = make_split("test", dataclasses.replace(config, n_test=count, seed=seed))
    return preprocess(samples.images, source.preprocessing), samples.labels


def calibration_set(source: ModelSource, count: int, seed: int) -> np.ndarray:
    """`count` training images drawn with a seeded generator, so a rebuild calibrates identically."""
    images, _ = labelled_split(source, "train")
    pick = np.random.default_rng(seed).choice(len(images), size=min(count, len(images)), replace=False)
    return images[np.sort(pick)]


def generated_inputs(tensor, count: int, seed: int) -> np.ndarray:
    """`count` float inputs (NCHW for images) whose int8 values are drawn uniformly over the whole int8 range
    of the model's input `tensor`: what the runtimes are compared on when a model has no known data."""
    q = np.random.default_rng(seed).integers(-128, 128, (count, *tensor.shape[1:]))
    x = ((q - tensor.zero_point[0]) * np.float32(tensor.scale[0])).astype(np.float32)
    return x.transpose(0, 3, 1, 2) if x.ndim == 4 else x


def test_inputs(source: ModelSource, tensor, count: int) -> np.ndarray:
    """The first `count` test inputs of the model's data, or `count` generated ones when it has none."""
    if source.dataset is None:
        return generated_inputs(tensor, count, seed=0)
    return labelled_split(source, "test")[0][:count]
