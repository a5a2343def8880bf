"""Synthetic dataset: shapes, dtypes, ranges, determinism, labels and masks."""

import numpy as np
import pytest

from tinyctl.models.data.synthetic import SPLITS, Samples, SyntheticConfig, default_splits, make_split

SMALL = SyntheticConfig(n_train=120, n_val=40, n_test=40)


@pytest.fixture(scope="module")
def splits() -> dict[str, Samples]:
    return default_splits(SMALL)


def test_shapes_dtypes_and_range(splits):
    for split, samples in splits.items():
        count = SMALL.count(split)
        assert len(samples) == count
        assert samples.images.shape == (count, 1, 64, 64) and samples.images.dtype == np.float32
        assert samples.labels.shape == (count,) and samples.labels.dtype == np.int64
        assert samples.masks.shape == (count, 64, 64) and samples.masks.dtype == np.uint8
        assert samples.images.min() >= 0.0 and samples.images.max() <= 1.0
        assert set(np.unique(samples.masks)) <= {0, 1}


def test_mask_non_empty_iff_defect(splits):
    for samples in splits.values():
        has_defect = samples.masks.reshape(len(samples), -1).any(axis=1)
        assert np.array_equal(has_defect, samples.labels == 1)


def test_label_balance(splits):
    assert splits["train"].labels.sum() == 60
    lopsided = make_split("val", SyntheticConfig(n_val=50, defect_fraction=0.2))
    assert lopsided.labels.sum() == 10


def test_same_split_and_config_is_identical():
    first, second = make_split("val", SMALL), make_split("val", SMALL)
    for name in ("images", "labels", "masks"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


def test_seeds_and_splits_differ(splits):
    other_seed = make_split("val", SyntheticConfig(n_val=40, seed=1))
    assert not np.array_equal(splits["val"].images, other_seed.images)
    val, test = splits["val"].images, splits["test"].images
    # No image of one split reappears in another.
    assert not any(np.array_equal(a, b) for a in val for b in test)


def test_colour_images():
    samples = make_split("test", SyntheticConfig(channels=3, size=32, n_test=8))
    assert samples.images.shape == (8, 3, 32, 32)


@pytest.mark.parametrize(
    "bad",
    [dict(size=60), dict(size=8), dict(channels=2), dict(n_train=0), dict(defect_fraction=1.5), dict(seed=-1)],
)
def test_config_validation(bad):
    with pytest.raises(ValueError):
        SyntheticConfig(**bad)


def test_unknown_split_names_valid_ones():
    with pytest.raises(ValueError, match="train, val, test"):
        make_split("dev", SMALL)
    assert SPLITS == ("train", "val", "test")
