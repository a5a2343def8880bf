"""Training loops of the split verbs: only the named modules learn, everything else stays frozen."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def task_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """BCE for a one-logit detector, cross-entropy for K-class logits."""
    if logits.shape[1] == 1:
        return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], labels.float())
    return nn.functional.cross_entropy(logits, labels)


def fit(model: nn.Module, trainable: list[nn.Module], images: np.ndarray, loss_of_batch, epochs: int,
        lr: float, batch_size: int, seed: int, advance=None) -> None:
    """Adam on the parameters of `trainable`; frozen modules stay in eval mode (BatchNorm statistics kept).

    loss_of_batch(model, x, index) -> scalar loss, with index the batch's rows of `images`."""
    for p in model.parameters():
        p.requires_grad_(False)
    params = [p for m in trainable for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(params, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    data = torch.from_numpy(images)
    for _ in range(epochs):
        model.eval()
        for module in trainable:
            module.train()
        for index in torch.randperm(len(data), generator=generator).split(batch_size):
            loss = loss_of_batch(model, data[index], index)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if advance:
            advance()
    model.eval()


@torch.inference_mode()
def outputs(model: nn.Module, images: np.ndarray, batch_size: int = 256):
    """The model's output over all images (a tuple of them for a multi-task model)."""
    model.eval()
    batches = [model(x) for x in torch.from_numpy(images).split(batch_size)]
    if isinstance(batches[0], tuple):
        return tuple(torch.cat(parts) for parts in zip(*batches))
    return torch.cat(batches)
