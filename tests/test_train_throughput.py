"""The trainer keeps pace with a bare training loop (issue 19): a loose bound that load cannot flake."""

import pytest
import torch

from benchmarks.train_throughput import bare_rate, trainer_rate
from tinyctl.models.data.synthetic import SyntheticConfig, default_splits

DATA = SyntheticConfig(n_train=128, n_val=26, n_test=8)


@pytest.mark.parametrize("name", ["binary_cnn"])
def test_trainer_runs_at_least_half_as_fast_as_a_bare_loop(name):
    splits = {**default_splits(DATA), "config": DATA}
    device = torch.device("cpu")
    trainer_rate(name, splits, 1, 32, device)  # warm-up: first-call costs are no part of the ratio
    trainer, bare = trainer_rate(name, splits, 2, 32, device), bare_rate(name, splits, 2, 32, device)
    assert trainer >= 0.5 * bare, f"trainer {trainer:.0f} images/s, bare loop {bare:.0f}"
