"""The images a build calibrates and validates on: the built-in synthetic set, shaped as the model expects."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .model_source import ModelSource, preprocess


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
