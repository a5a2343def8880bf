"""Shared pieces of the split-computing tests: a tiny trained detector on a tiny synthetic set."""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import torch

from tinyctl.models.data.synthetic import SyntheticConfig
from tinyctl.models.train import TrainConfig, train

TINY_DATA = SyntheticConfig(size=16, n_train=96, n_val=32, n_test=32)


@functools.cache
def tiny_checkpoint() -> Path:
    """A binary_cnn on 16x16 images trained for two epochs (seconds), made once per test session."""
    directory = Path(tempfile.mkdtemp(prefix="tinyctl-split-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    torch.manual_seed(0)
    config = TrainConfig(epochs=2, batch_size=32, model={"widths": [4, 8]}, dataset=TINY_DATA,
                         out=directory / "tiny.pt")
    return Path(train(config, progress=False)["checkpoint"])
