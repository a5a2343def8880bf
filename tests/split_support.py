"""Shared pieces of the split-computing tests: a tiny trained detector on a tiny synthetic set."""

import torch

from tinyctl.models.data.synthetic import SyntheticConfig
from tinyctl.models.train import TrainConfig, train

TINY_DATA = SyntheticConfig(size=16, n_train=96, n_val=32, n_test=32)


def train_tiny_detector(out):
    """A binary_cnn on 16x16 images trained for two epochs (seconds); returns its checkpoint path."""
    torch.manual_seed(0)
    config = TrainConfig(epochs=2, batch_size=32, model={"widths": [4, 8]}, dataset=TINY_DATA, out=out)
    return train(config, progress=False)["checkpoint"]
