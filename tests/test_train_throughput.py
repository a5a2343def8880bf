"""The trainer keeps pace with a bare training loop (issue 19): a loose bound that load cannot flake, and no
host read (which waits for the device) inside a training step."""

import sys
from pathlib import Path

import pytest
import torch

from benchmarks.train_throughput import SSN_SMALL, bare_rate, trainer_rate
from tinyctl.models.data.synthetic import SyntheticConfig, default_splits
from tinyctl.models.training import tasks
from tinyctl.models.training.loop import fit
from tinyctl.models.zoo import build_model

DATA = SyntheticConfig(n_train=128, n_val=26, n_test=8)
SMALL = SyntheticConfig(n_train=32, n_val=16, n_test=8, size=32)
TORCH_DIR = Path(torch.__file__).resolve().parent
HOST_READS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")


@pytest.mark.parametrize("name", ["binary_cnn"])  # SuperSimpleNet's: the benchmark (minutes, not seconds)
def test_trainer_runs_at_least_half_as_fast_as_a_bare_loop(name):
    splits = {**default_splits(DATA), "config": DATA}
    device = torch.device("cpu")
    trainer_rate(name, splits, 1, 32, device)  # warm-up: first-call costs are no part of the ratio
    trainer, bare = trainer_rate(name, splits, 2, 32, device), bare_rate(name, splits, 2, 32, device)
    assert trainer >= 0.5 * bare, f"trainer {trainer:.0f} images/s, bare loop {bare:.0f}"


def test_default_validation_costs_a_small_share_of_the_epochs():
    splits = default_splits(DATA)
    torch.manual_seed(0)
    model = build_model("binary_cnn", {"input_size": DATA.size, "in_channels": DATA.channels})
    result = fit(model, splits["train"], splits["val"], 4, 4e-3, batch_size=32, progress=False, device="cpu")
    assert [entry["epoch"] for entry in result.history] == [2, 4]  # every second epoch by default
    assert result.validation_seconds < 0.25 * result.loop_seconds  # about 5 % measured; load hits both alike


def _host_reads_in_steps(name: str, monkeypatch, read_in_step: bool = False) -> tuple[int, list[str]]:
    """(training steps taken, host reads made inside them) over one epoch of `fit`. Reads inside torch (e.g.
    Adam's step counter, a CPU tensor even on CUDA, so no wait) are not ours and not counted."""
    steps, reads, inside = [0], [], [False]

    def counting(method_name, method):
        def wrapper(tensor, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if inside[0] and not Path(caller).resolve().is_relative_to(TORCH_DIR):
                reads.append(f"{method_name} in {Path(caller).name}")
            return method(tensor, *args, **kwargs)
        return wrapper

    def stepping(train_batch):
        def wrapper(self, *args, **kwargs):
            steps[0] += 1
            inside[0] = True
            try:
                loss = train_batch(self, *args, **kwargs)
                return loss.item() and loss if read_in_step else loss  # the negative control reads the loss
            finally:
                inside[0] = False
        return wrapper

    for task in (tasks.BinaryTask, tasks.SuperSimpleNetTask):
        monkeypatch.setattr(task, "train_batch", stepping(task.__dict__["train_batch"]))
    for method_name in HOST_READS:
        monkeypatch.setattr(torch.Tensor, method_name, counting(method_name, getattr(torch.Tensor, method_name)))
    splits = default_splits(SMALL)
    options = SSN_SMALL if name == "supersimplenet" else {}
    torch.manual_seed(0)
    model = build_model(name, {**options, "input_size": SMALL.size, "in_channels": SMALL.channels})
    fit(model, splits["train"], splits["val"], 1, 1e-3, batch_size=8, progress=False, device="cpu")
    return steps[0], reads


@pytest.mark.parametrize("name", ["binary_cnn", "supersimplenet"])
def test_a_training_step_reads_nothing_back_to_the_host(name, monkeypatch):
    steps, reads = _host_reads_in_steps(name, monkeypatch)
    assert steps == 4 and reads == []


def test_the_host_read_count_sees_a_read_in_a_step(monkeypatch):
    steps, reads = _host_reads_in_steps("binary_cnn", monkeypatch, read_in_step=True)
    assert steps == 4 and reads == ["item in test_train_throughput.py"] * steps
