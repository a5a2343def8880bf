"""The accuracy-drop budget: the search returns the strongest pruning whose int8 accuracy stays within it."""

import dataclasses
import math

import pytest

from tinyctl.compress.finetune import TrainingData
from tinyctl.compress.search import BUDGET_GRID, first_passing
from tinyctl.datasets import labelled_split
from tinyctl.model_source import load_source
from tinyctl.stages.prune import ratio_for_budget


@pytest.mark.parametrize("boundary", range(8))
def test_first_passing_finds_the_boundary_in_log_steps(boundary):
    candidates = list(range(7))
    found, tried = first_passing(candidates, lambda c: c >= boundary)
    assert found == (boundary if boundary < 7 else None)
    assert len(tried) <= math.ceil(math.log2(len(candidates) + 1))


@pytest.fixture(scope="module")
def small_detector_data():
    """The shipped detector with a small training split (300 images) so each candidate fine-tunes in seconds."""
    source = load_source(None)
    source = dataclasses.replace(source, dataset={**source.dataset, "n_train": 300})
    x_train, y_train = labelled_split(source, "train")
    return source, TrainingData(x_train, y_train, *labelled_split(source, "val")), x_train[::3]


def test_budget_search_respects_its_budget(small_detector_data):
    source, data, calibration = small_detector_data
    max_drop = 1.0
    ratio, calibration_choice, model, prune, record = ratio_for_budget(source, data, calibration, max_drop,
                                                                       epochs=1, seed=0)
    by_ratio = {c["ratio"]: c for c in record["candidates"]}
    chosen = by_ratio[ratio]
    assert record["met"] == (chosen["drop_pp"] <= max_drop)
    if record["met"]:
        assert all(c["drop_pp"] > max_drop for r, c in by_ratio.items() if r > ratio)   # nothing stronger fits
    assert ratio == record["chosen_ratio"] and prune["ratio"] == ratio and ratio in BUDGET_GRID
    assert chosen["calibration"] == calibration_choice.method
    assert max(chosen["int8_val_ap"].values()) == pytest.approx(record["reference_val_ap"] - chosen["drop_pp"] / 100,
                                                                abs=1e-4)
