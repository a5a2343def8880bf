"""Short fine-tunes on the training split (after pruning, and for QAT)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..datasets import labelled_split
from ..errors import TinyctlError

BATCH_SIZE = 64


@dataclass
class TrainingData:
    """The detector's training and validation splits as model inputs (NCHW float32) and labels."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    @classmethod
    def of(cls, source) -> "TrainingData":
        data = cls(*labelled_split(source, "train"), *labelled_split(source, "val"))
        if data.y_train is None or data.y_val is None:
            raise TinyctlError("pruning and QAT fine-tune the detector: its data needs labels (0/1)",
                               "pass --data a .npz with labels y, or a dataset folder")
        return data


def val_ap(model: nn.Module, data: TrainingData) -> float:
    from tinyctl.models.metrics import average_precision
    from tinyctl.models.train import predict

    return average_precision(predict(model, data.x_val), data.y_val)


def fine_tune(model: nn.Module, data: TrainingData, epochs: int, lr: float, seed: int = 0, progress=None,
              description: str = "fine-tune", train_mode=None, teacher: nn.Module | None = None,
              keep_best: bool = True) -> float:
    """Adam with a cosine-decaying rate for `epochs` passes; with `keep_best` the model ends with its
    best-val-AP weights (the starting weights count as epoch 0), otherwise with the last epoch's, where the
    rate has decayed to zero. `train_mode(model)` puts it in training mode (QAT keeps its batch norms
    frozen). With a `teacher` (the unpruned model) half the loss is matching its probabilities, which
    recovers a pruned model in far fewer epochs. Returns the val AP of the weights the model ends with."""
    from tinyctl.models.training.tasks import apply_symmetries, symmetry_codes  # the trainer's flips, transposes

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, labels = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train).float()
    steps = epochs * -(-len(images) // BATCH_SIZE)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    loss_fn = nn.BCEWithLogitsLoss()
    kept_ap, kept_state = val_ap(model, data), (_state(model) if keep_best else None)
    teacher_probabilities = TeacherProbabilities(teacher, len(images)) if teacher is not None else None
    task = progress.add_task(description, total=steps) if progress else None
    for epoch in range(1, epochs + 1):
        (train_mode or nn.Module.train)(model)
        for batch in torch.randperm(len(images), generator=generator).split(BATCH_SIZE):
            codes = symmetry_codes(len(batch), generator)
            x, = apply_symmetries([images[batch]], codes)
            logits = model(x).squeeze(1)
            loss = loss_fn(logits, labels[batch])
            if teacher_probabilities is not None:
                loss = 0.5 * loss + 0.5 * loss_fn(logits, teacher_probabilities(x, codes, batch))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if progress:
                progress.advance(task)
        ap = val_ap(model, data)
        if progress:
            progress.update(task, description=f"{description}: epoch {epoch}/{epochs}, val AP {ap:.4f}")
        if not keep_best or ap >= kept_ap:
            kept_ap, kept_state = ap, (_state(model) if keep_best else None)
    if keep_best:
        model.load_state_dict(kept_state)
    return kept_ap


class TeacherProbabilities:
    """The frozen teacher's probability for each training image in each of its eight symmetries, computed the
    first time a batch draws that pair: it answers the same every epoch, and it is larger than the student."""

    def __init__(self, teacher: nn.Module, count: int):
        self.teacher = teacher.eval()
        self.known = torch.full((8, count), float("nan"))

    def __call__(self, x: torch.Tensor, codes: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        wanted = self.known[codes, batch]
        missing = wanted.isnan()
        if missing.any():
            with torch.no_grad():
                wanted[missing] = torch.sigmoid(self.teacher(x[missing]).squeeze(1))
            self.known[codes[missing], batch[missing]] = wanted[missing]
        return wanted


def _state(model: nn.Module) -> dict:
    return {key: value.detach().clone() for key, value in model.state_dict().items()}
