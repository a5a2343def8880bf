"""The inputs a build calibrates and validates on: the dataset a checkpoint was trained on (a layout on disk, or
the built-in synthetic set), shaped as the model expects, or for a model with no known data, generated inputs
spanning its int8 input range."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from tinyctl.models.data import square_side

from .errors import TinyctlError
from .model_source import ModelSource, preprocess
from .recorded_data import on_disk, recorded_samples

SYNTHETIC_DATA_FLAG = "--synthetic-data"


def _config(source: ModelSource):
    from tinyctl.models.data.synthetic import SyntheticConfig

    if source.dataset is None:
        raise _no_data(source)
    known = {f.name for f in dataclasses.fields(SyntheticConfig)}
    values = {k: v for k, v in source.dataset.items() if k in known}
    return SyntheticConfig(**{**values, "size": square_side(values.get("size", SyntheticConfig.size))})


def _no_data(source: ModelSource) -> TinyctlError:
    synthetic = (f"pass {SYNTHETIC_DATA_FLAG} to `tinyctl build` to use tinyctl's built-in synthetic images "
                 "(right only for a model trained on them)")
    if source.kind == "tflite":
        return TinyctlError(f"{source.path.name} came with no data: it was only checked runtime against runtime",
                            synthetic)
    # random calibration inputs would give int8 ranges the real data does not have
    return TinyctlError(f"{source.path.name} is a float model with no known data to calibrate its int8 ranges on",
                        f"{synthetic}, or give a fully-int8 TFLite model")


@functools.lru_cache(maxsize=3)
def _samples(split: str, config):
    """A split is deterministic in (split, config): make it once per process (calibration, fine-tuning and
    validation all read it)."""
    from tinyctl.models.data.synthetic import make_split

    return make_split(split, config)


def source_samples(source: ModelSource, split: str):
    """The raw `Samples` (images, labels, masks) of one split of the model's data, shared: do not modify."""
    if on_disk(source.dataset):
        return recorded_samples(source.path.name, source.dataset, split)
    return _samples(split, _config(source))


def labelled_split(source: ModelSource, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(model inputs NCHW float32, labels) of one split (fresh arrays: callers may change them)."""
    samples = source_samples(source, split)
    return preprocess(samples.images, source.preprocessing), samples.labels.copy()


def fresh_split(source: ModelSource, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` labelled images from the model's synthetic generator under another dataset seed, as
    labelled_split gives them: a held-out set larger than the test split, to measure AP differences below a
    point (on 400 test images one model's AP moves by about 0.3 points with the images drawn)."""
    from tinyctl.models.data.synthetic import make_split

    if on_disk(source.dataset):
        raise ValueError(f"{source.path.name} was trained on a dataset on disk: only the built-in set makes fresh images")
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
