"""The images a build calibrates and validates on: the built-in synthetic set, shaped as the model expects."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .source import ModelSource, preprocess


def _config(source: ModelSource):
    from tinyctl.models.data.synthetic import SyntheticConfig

    known = {f.name for f in dataclasses.fields(SyntheticConfig)}
    return SyntheticConfig(**{k: v for k, v in source.dataset.items() if k in known})


@functools.lru_cache(maxsize=3)
def _samples(split: str, config):
    """A split is deterministic in (split, config): make it once per process (calibration, fine-tuning and
    validation all read it)."""
    from tinyctl.models.data.synthetic import make_split

    return make_split(split, config)


def source_samples(source: ModelSource, split: str):
    """The raw `Samples` (images, labels, masks) of one split of the model's data, shared: do not modify."""
    return _samples(split, _config(source))


def labelled_split(source: ModelSource, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(model inputs NCHW float32, labels) of one split (fresh arrays: callers may change them)."""
    samples = source_samples(source, split)
    return preprocess(samples.images, source.preprocessing), samples.labels.copy()


def calibration_set(source: ModelSource, count: int, seed: int) -> np.ndarray:
    """`count` training images drawn with a seeded generator, so a rebuild calibrates identically."""
    images, _ = labelled_split(source, "train")
    pick = np.random.default_rng(seed).choice(len(images), size=min(count, len(images)), replace=False)
    return images[np.sort(pick)]
