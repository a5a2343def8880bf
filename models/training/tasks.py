"""How each kind of detector trains and predicts: one-logit BCE detectors, and SuperSimpleNet.

A task owns a `step` module whose forward returns the loss, so that DistributedDataParallel
can wrap it whole (DDP only synchronises gradients of what runs through its forward).
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.profiler import record_function

from ..zoo.config import input_sides
from ..zoo.supersimplenet import SuperSimpleNet
from .losses import supersimplenet_loss
from .speed import SpeedOptions

EVAL_BATCH = 256
CACHE_LIMIT_BYTES = 2 << 30  # frozen-backbone features are cached when they fit in this


@dataclass(frozen=True)
class FitOptions:
    """Optimisation knobs shared by all tasks (learning rate, epochs and batch size are fit arguments).

    generator_every: with SuperSimpleNet's learned noise, the heads take this many updates per
    generator update (seed 004: 3). magnitude_weight scales the generator's L2 noise penalty.
    clip_grad: gradient-norm clipping (0: off; SuperSimpleNet supervised uses 1).
    """

    weight_decay: float = 1e-5
    generator_every: int = 3
    magnitude_weight: float = 1.0
    clip_grad: float = 0.0
    augment: bool = True


def square_symmetries(tensors: list[torch.Tensor], generator: torch.Generator) -> list[torch.Tensor]:
    """The same random flip / transposition per sample on every tensor ([N, ..., H, W]): surfaces and
    defects have no preferred orientation. Non-square images are only flipped (transposed, they would no
    longer fit the model); the draws stay the same, so square runs see the same batches either way.
    One gather per tensor (the flips and transposition composed), not a pass per flip: a batch of cached
    SuperSimpleNet features is large."""
    return apply_symmetries(tensors, symmetry_codes(len(tensors[0]), generator))


def symmetry_codes(count: int, generator: torch.Generator) -> torch.Tensor:
    """[count] random codes in 0..7 (flip-W + 2 flip-H + 4 transpose), the draws square_symmetries makes."""
    flips = torch.rand(3, count, generator=generator, device=generator.device) < 0.5
    return flips[0] + 2 * flips[1] + 4 * flips[2]


def apply_symmetries(tensors: list[torch.Tensor], codes: torch.Tensor) -> list[torch.Tensor]:
    """Each sample of every tensor flipped and transposed as its code says (see square_symmetries)."""
    out = []
    for tensor in tensors:
        index = _symmetry_sources(*tensor.shape[-2:], tensor.device)[codes.to(tensor.device)]
        index = index.view(len(tensor), *(1,) * (tensor.dim() - 3), -1).expand(*tensor.shape[:-2], -1)
        out.append(tensor.flatten(-2).gather(-1, index).view(tensor.shape))
    return out


def _symmetry_sources(height: int, width: int, device: torch.device) -> torch.Tensor:
    """[8, H*W]: where each output pixel comes from, per code flip-W + 2 flip-H + 4 transpose, applied in
    that order (a non-square image is not transposed)."""
    rows = torch.arange(height, device=device).view(-1, 1).expand(height, width)
    cols = torch.arange(width, device=device).view(1, -1).expand(height, width)
    table = []
    for code in range(8):
        source_rows, source_cols = (cols, rows) if code & 4 and height == width else (rows, cols)
        source_rows = height - 1 - source_rows if code & 2 else source_rows
        source_cols = width - 1 - source_cols if code & 1 else source_cols
        table.append((source_rows * width + source_cols).flatten())
    return torch.stack(table)


class _BinaryStep(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images, labels, masks):
        return F.binary_cross_entropy_with_logits(self.model(images)[:, 0].float(), labels.float())


class BinaryTask:
    """binary_cnn, classifier, cam: image logits, BCE on image labels (masks unused: weak supervision)."""

    def __init__(self, model: nn.Module, options: FitOptions, speed: SpeedOptions) -> None:
        self.model, self.options, self.speed = model, options, speed.resolved(_device_of(model))
        self.step = _BinaryStep(model)
        self.find_unused_parameters = False

    def optimizers(self, lr: float, total_steps: int) -> list:
        optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        return [(optimizer, torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=total_steps))]

    def inputs(self, images: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(images)

    def training_indices(self, labels: np.ndarray) -> np.ndarray:
        """Which training samples this task learns from (all of them)."""
        return np.arange(len(labels))

    def train_batch(self, step, batch, generator, index: int, optimizers) -> torch.Tensor:
        """One update; returns the detached loss (on the device: reading it would wait for the step)."""
        images, labels, masks = batch
        if self.options.augment:  # masks stay as they are: the BCE loss never reads them
            with record_function("train.data"):
                images, = square_symmetries([images], generator)
        return _update(step, (images, labels, masks), optimizers[0], self.options.clip_grad, self.speed)

    @torch.inference_mode()
    def predict(self, inputs: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        """(image logits [N], maps [N, H, W] or None)."""
        device = _device_of(self.model)
        self.model.eval()
        scores, maps = [], []
        for batch in inputs.split(EVAL_BATCH):
            batch = batch.to(device)
            if hasattr(self.model, "localise"):
                score, heat = self.model.localise(batch)
                maps.append(heat.float().cpu())
            else:
                score = self.model(batch)[:, 0]
            scores.append(score.float().cpu())
        return torch.cat(scores).numpy(), torch.cat(maps).numpy() if maps else None


def _update(step: nn.Module, batch, optimizer_and_scheduler, clip: float, speed: SpeedOptions, **kwargs) -> torch.Tensor:
    optimizer, scheduler = optimizer_and_scheduler
    device = _device_of(step)
    with record_function("train.forward"), speed.autocast(device):
        loss = step(*(speed.laid_out(t.to(device, non_blocking=True)) for t in batch), **kwargs)
    with record_function("train.backward"):
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
    with record_function("train.optimizer"):
        if clip > 0:
            nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return loss.detach()


def _device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


class _SuperSimpleNetStep(nn.Module):
    def __init__(self, model: SuperSimpleNet, cached: bool, magnitude_weight: float) -> None:
        super().__init__()
        self.model, self.cached, self.magnitude_weight = model, cached, magnitude_weight

    def forward(self, inputs, labels, masks, generator=None, phase="heads"):
        model = self.model
        features = model.adaptor(inputs) if self.cached else model.adapt(inputs)
        with record_function("train.synthesis"):
            features, new_masks, new_labels, noise = model.perturb(features, masks, labels, generator,
                                                                   detach_noise=phase == "heads")
        seg, score = model.heads(features)
        loss = supersimplenet_loss(seg.float(), score.float(), new_masks, new_labels)
        if phase == "generator":  # fool the heads, with small perturbations (seed 004, v2)
            return -loss + self.magnitude_weight * noise.float().pow(2).mean()
        return loss


class SuperSimpleNetTask(BinaryTask):
    """Feature-noise anomalies, seg + cls heads; frozen-backbone features are computed once and cached."""

    def __init__(self, model: SuperSimpleNet, options: FitOptions, sizes: tuple[int, ...], speed: SpeedOptions) -> None:
        self.model, self.options, self.speed = model, options, speed.resolved(_device_of(model))
        config = model.config
        channels = sum(model.backbone.channels[i] for i in model.levels)
        height, width = (side // config.feature_strides[0] * 2 for side in input_sides(config.input_size))
        self.cached = config.freeze_backbone and max(sizes) * channels * height * width * 4 <= CACHE_LIMIT_BYTES
        self.step = _SuperSimpleNetStep(model, self.cached, options.magnitude_weight)
        self.find_unused_parameters = model.generator is not None

    def optimizers(self, lr: float, total_steps: int) -> list:
        model = self.model
        groups = [{"params": model.adaptor.parameters(), "lr": lr / 2, "weight_decay": 1e-2},
                  {"params": [*model.seg_head.parameters(), *model.cls_head.parameters()], "lr": lr,
                   "weight_decay": self.options.weight_decay}]
        if not model.config.freeze_backbone:
            groups.append({"params": model.backbone.parameters(), "lr": lr / 2, "weight_decay": self.options.weight_decay})
        pairs = [_multistep(torch.optim.AdamW(groups), total_steps)]
        if model.generator is not None:
            pairs.append(_multistep(torch.optim.AdamW(model.generator.parameters(), lr=lr), total_steps))
        return pairs

    def training_indices(self, labels: np.ndarray) -> np.ndarray:
        """Unsupervised mode learns from defect-free images only; every anomaly it sees is synthetic."""
        return np.arange(len(labels)) if self.model.config.supervised else np.flatnonzero(labels == 0)

    def inputs(self, images: np.ndarray) -> torch.Tensor:
        """Images, or (frozen backbone) their extracted features, on the CPU."""
        images = torch.from_numpy(images)
        self.image_size = tuple(images.shape[-2:])
        if not self.cached:
            return images
        device = _device_of(self.model)
        self.model.eval()
        with torch.no_grad():  # no_grad, not inference_mode: the features feed autograd later
            return torch.cat([self.model.extract(batch.to(device)).float().cpu() for batch in images.split(EVAL_BATCH)])

    def train_batch(self, step, batch, generator, index: int, optimizers) -> torch.Tensor:
        inputs, labels, masks = batch
        if self.options.augment:
            with record_function("train.data"):
                inputs, masks = square_symmetries([inputs, masks], generator)
        batch = (inputs, labels, masks)
        loss = _update(step, batch, optimizers[0], self.options.clip_grad, self.speed, generator=generator, phase="heads")
        if len(optimizers) > 1 and index % self.options.generator_every == 0:
            _update(step, batch, optimizers[1], 0.0, self.speed, generator=generator, phase="generator")
        return loss

    @torch.inference_mode()
    def predict(self, inputs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        device = _device_of(self.model)
        self.model.eval()
        scores, maps = [], []
        for batch in inputs.split(EVAL_BATCH):
            features = self.model.adaptor(batch.to(device) if self.cached else self.model.extract(batch.to(device)))
            score, heat = self.model.localise_features(features, self.image_size)
            scores.append(score.float().cpu())
            maps.append(heat.float().cpu())
        return torch.cat(scores).numpy(), torch.cat(maps).numpy()


def _multistep(optimizer, total_steps: int):
    """The paper's schedule: learning rates times 0.4 at 80% and again at 90% of training."""
    milestones = [int(total_steps * 0.8), int(total_steps * 0.9)]
    return optimizer, torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.4)


def task_for(model: nn.Module, options: FitOptions, sizes: tuple[int, ...], speed: SpeedOptions = SpeedOptions()) -> BinaryTask:
    """The task that trains `model` (already on its device); sizes are the split lengths (for the
    feature-cache decision); speed: how its steps run (resolved for the model's device)."""
    if isinstance(model, SuperSimpleNet):
        return SuperSimpleNetTask(model, options, sizes, speed)
    return BinaryTask(model, options, speed)
