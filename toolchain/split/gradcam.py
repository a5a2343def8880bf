"""Grad-CAM at every cut point from one backward pass per batch (I-SPLIT, Cunico et al. 2022).

At a layer with activation A (N, C, H, W) and gradient G of the target score:
alpha[n, c] = mean_hw G[n, c]; map[n] = ReLU(mean_c alpha[n, c] * A[n, c]). The mean over channels
(not the sum) is I-SPLIT's choice and matters when layers of different widths are compared.
The target is the predicted class's score; for a one-logit detector the predicted class is the
logit's sign, so the score is +logit (defect) or -logit (no defect).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

TARGETS = ("predicted", "truth")


def target_score(logits: torch.Tensor, labels: torch.Tensor, target: str) -> torch.Tensor:
    """The score Grad-CAM differentiates, one per image."""
    if logits.shape[1] == 1:
        logit = logits[:, 0]
        positive = logit >= 0 if target == "predicted" else labels.bool()
        return torch.where(positive, logit, -logit)
    classes = logits.argmax(1) if target == "predicted" else labels
    return logits.gather(1, classes[:, None])[:, 0]


def cam(activation: torch.Tensor, gradient: torch.Tensor) -> torch.Tensor:
    """Grad-CAM maps (N, H, W) of one layer."""
    alpha = gradient.mean((2, 3), keepdim=True)
    return torch.relu((alpha * activation).mean(1))


def batch_maps(model: nn.Module, modules: list[nn.Module], images: torch.Tensor, labels: torch.Tensor,
               target: str) -> list[torch.Tensor]:
    """Grad-CAM maps (N, H, W) at the output of each module in `modules`, from one backward pass."""
    captured: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: captured.append(out)) for m in modules]
    try:
        logits = model(images)
    finally:
        for hook in hooks:
            hook.remove()
    if len(captured) != len(modules):
        raise ValueError("a cut-point module ran more than once in forward; I-SPLIT needs each layer once")
    gradients = torch.autograd.grad(target_score(logits, labels, target).sum(), captured)
    return [cam(a, g).detach() for a, g in zip(captured, gradients)]


class MapAccumulator:
    """Running sums of the maps per layer, over all images and per class (no map is kept per image)."""

    def __init__(self) -> None:
        self.total: list[torch.Tensor] | None = None
        self.per_class: dict[int, list[torch.Tensor]] = {}
        self.counts: dict[int, int] = {}

    def add(self, maps: list[torch.Tensor], labels: torch.Tensor) -> None:
        sums = [m.sum(0) for m in maps]
        self.total = sums if self.total is None else [a + b for a, b in zip(self.total, sums)]
        for cls in labels.unique().tolist():
            pick = labels == cls
            part = [m[pick].sum(0) for m in maps]
            old = self.per_class.get(cls)
            self.per_class[cls] = part if old is None else [a + b for a, b in zip(old, part)]
            self.counts[cls] = self.counts.get(cls, 0) + int(pick.sum())

    def mean_maps(self) -> list[np.ndarray]:
        n = sum(self.counts.values())
        return [(m / n).numpy() for m in self.total]

    def class_mean_maps(self) -> dict[int, list[np.ndarray]]:
        return {cls: [(m / self.counts[cls]).numpy() for m in maps] for cls, maps in sorted(self.per_class.items())}


def accumulate_maps(model: nn.Module, modules: list[nn.Module], images: np.ndarray, labels: np.ndarray,
                    target: str = "predicted", batch_size: int = 64, advance=None) -> MapAccumulator:
    """Mean Grad-CAM maps per layer over a dataset (BatchNorm in eval mode: images stay independent)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    model.eval()
    accumulator = MapAccumulator()
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(images[start:start + batch_size]).requires_grad_(True)  # frozen models too
        y = torch.from_numpy(labels[start:start + batch_size])
        accumulator.add(batch_maps(model, modules, x, y, target), y)
        if advance:
            advance(len(x))
    return accumulator
