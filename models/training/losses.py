"""Losses: BCE for one-logit detectors; SuperSimpleNet's truncated L1 + focal terms (methods.md 5.2)."""

import torch
from torch.nn import functional as F


def truncated_l1(logits: torch.Tensor, masks: torch.Tensor, margin: float = 0.5) -> torch.Tensor:
    """mean over normal pixels of max(0, m + margin) + mean over defect pixels of max(0, margin - m).

    Normal map logits are pushed below -margin, defective ones above +margin; a class with no
    pixel in the batch contributes 0.
    """
    normal, defect = masks <= 0, masks > 0
    return _masked_mean(F.relu(logits + margin), normal) + _masked_mean(F.relu(margin - logits), defect)


def _masked_mean(values: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """Mean of `values` where `chosen`, 0 when nothing is: without boolean indexing or a test of the count,
    which would wait for the device at every step."""
    total = torch.where(chosen, values, values.new_zeros(())).sum()
    return total / chosen.sum().clamp(min=1)


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 4.0) -> torch.Tensor:
    """Mean binary focal loss (no alpha): BCE weighted by (1 - p_t)^gamma, computed on logits."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    return ((1 - p_t) ** gamma * bce).mean()


def supersimplenet_loss(seg: torch.Tensor, score: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L = L_trunc(m, M) + L_focal(m, M) + L_focal(s, y); seg [N, 1, h, w], masks [N, h, w], score [N, 1]."""
    seg = seg[:, 0]
    return truncated_l1(seg, masks) + focal_loss(seg, masks) + focal_loss(score[:, 0], labels)
