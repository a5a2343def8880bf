"""SuperSimpleNet-style detector (Rolih et al., ICPR 2024; methods.md 5.2), with seed 004's learned noise "v2".

Frozen backbone stages at two strides (layer2 + layer3 of a ResNet), both upsampled bilinearly to
twice the finer map, concatenated and averaged over 3x3 neighbourhoods; a 1x1 adaptor; then a
segmentation head (defect map logits) and a classification head (image logit) that reads the
adapted features and the map. At training time, Perlin-masked feature noise makes synthetic
anomalies (`perturb`); the loss and the optimisation live in tinyctl.models.training.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..augment.perlin import rand_perlin_batch
from .common import BackboneConfig, BackboneModel, GaussianBlur, upsample_to

NOISES = ("gaussian", "learned")


@dataclass(frozen=True)
class SuperSimpleNetConfig(BackboneConfig):
    """Architecture and anomaly-generator options (defaults: the paper's, on EfficientNet-Lite0).

    supervised: real defect masks train the heads too; no noise on defect pixels, and the
    classification loss may train the segmentation head (no stop-gradient).
    noise 'gaussian': N(0, noise_std^2); 'learned': seed 004's v2 generator, tanh(G(F, z)) * noise_beta.
    mask_threshold: a feature cell is defective when more than this share of its pixels is.
    """

    backbone: str = "efficientnet_lite0"
    weights: str = "imagenet"
    feature_strides: tuple[int, ...] = (8, 16)
    seg_hidden: int = 1024
    cls_hidden: int = 128
    supervised: bool = False
    noise: str = "gaussian"
    noise_std: float = 0.015
    perlin_threshold: float = 0.2
    mask_threshold: float = 0.5
    noise_beta: float = 0.05
    noise_z: int = 16
    generator_hidden: int = 256
    blur_sigma: float = 4.0
    freeze_backbone: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.feature_strides) != 2 or self.feature_strides[0] >= self.feature_strides[1]:
            raise ValueError(f"feature_strides must be two increasing strides (e.g. [8, 16]), got {list(self.feature_strides)}")
        if self.noise not in NOISES:
            raise ValueError(f"noise must be one of {', '.join(NOISES)}, got {self.noise!r}")
        if min(self.seg_hidden, self.cls_hidden, self.noise_z, self.generator_hidden) < 1:
            raise ValueError("seg_hidden, cls_hidden, noise_z and generator_hidden must be positive")
        if self.noise_std <= 0 or self.noise_beta <= 0 or self.blur_sigma < 0:
            raise ValueError("noise_std and noise_beta must be positive and blur_sigma non-negative")


class NoiseGenerator(nn.Module):
    """Seed 004's learned noise v2: eps = tanh(G([F, z])) * beta with z ~ N(0, 1) per call."""

    def __init__(self, channels: int, config: SuperSimpleNetConfig) -> None:
        super().__init__()
        self.z_channels, self.beta = config.noise_z, config.noise_beta
        self.net = nn.Sequential(nn.Conv2d(channels + config.noise_z, config.generator_hidden, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(config.generator_hidden, channels, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        n, _, h, w = features.shape
        z = torch.randn(n, self.z_channels, h, w, device=features.device, dtype=features.dtype)
        return torch.tanh(self.net(torch.cat([features, z], 1))) * self.beta


class SegmentationHead(nn.Sequential):
    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__(nn.Conv2d(channels, hidden, 1), nn.BatchNorm2d(hidden), nn.LeakyReLU(0.2),
                         nn.Conv2d(hidden, 1, 1, bias=False))


class ClassificationHead(nn.Module):
    """conv5x5 over [features, map] -> [GMP, GAP of that, GMP, GAP of the map] -> Linear -> logit."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(channels + 1, hidden, 5, padding=2), nn.BatchNorm2d(hidden), nn.ReLU())
        self.fc = nn.Linear(2 * hidden + 2, 1)

    def forward(self, features: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        d = self.conv(torch.cat([features, seg], 1))
        pooled = [d.amax((2, 3)), d.mean((2, 3)), seg.amax((2, 3)), seg.mean((2, 3))]
        return self.fc(torch.cat(pooled, 1))


class SuperSimpleNet(BackboneModel):
    """forward: image logit [N, 1]; localise: (image logits [N], map logits [N, H, W])."""

    def __init__(self, config: SuperSimpleNetConfig = SuperSimpleNetConfig()) -> None:
        super().__init__(config)
        self.levels = [self.backbone.stage_with_stride(s) for s in config.feature_strides]
        self.backbone.truncate(self.levels[1])
        channels = sum(self.backbone.channels[i] for i in self.levels)
        self.adaptor = nn.Conv2d(channels, channels, 1)
        nn.init.xavier_normal_(self.adaptor.weight)
        self.seg_head = SegmentationHead(channels, config.seg_hidden)
        self.cls_head = ClassificationHead(channels, config.cls_hidden)
        self.generator = NoiseGenerator(channels, config) if config.noise == "learned" else None
        self.blur = GaussianBlur(config.blur_sigma)
        if config.freeze_backbone:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.config.freeze_backbone:
            self.backbone.eval()  # frozen extractor: BatchNorm keeps its statistics
        return self

    def extract(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone features at the two strides, upsampled to twice the finer map, concatenated, 3x3-averaged."""
        outputs = self.backbone(self.norm(x), upto=self.levels[1])
        fine = outputs[self.levels[0]]
        size = (2 * fine.shape[-2], 2 * fine.shape[-1])
        maps = [F.interpolate(outputs[i], size=size, mode="bilinear", align_corners=False) for i in self.levels]
        return F.avg_pool2d(torch.cat(maps, 1), 3, stride=1, padding=1)

    def adapt(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.freeze_backbone:
            with torch.no_grad():
                features = self.extract(x)
        else:
            features = self.extract(x)
        return self.adaptor(features)

    def heads(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(map logits [N, 1, h, w], image logits [N, 1]); unsupervised mode stops the image loss at the map."""
        seg = self.seg_head(features)
        return seg, self.cls_head(features, seg if self.config.supervised else seg.detach())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(self.adapt(x))[1]

    def localise(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.localise_features(self.adaptor(self.extract(x)), x.shape[-2:])

    def localise_features(self, features: torch.Tensor, size) -> tuple[torch.Tensor, torch.Tensor]:
        """(image logits [N], map logits [N, *size]: upsampled bilinearly, then blurred) from adapted features."""
        seg, score = self.heads(features)
        return score[:, 0], self.blur(upsample_to(seg[:, 0], size))

    def feature_masks(self, masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Pixel masks [N, H, W] -> binary masks at feature resolution: the share of each cell that is
        defective (area resize, so thin scratches are not skipped by point sampling) > mask_threshold."""
        resized = F.interpolate(masks[:, None].float(), size=size, mode="area")[:, 0]
        return (resized > self.config.mask_threshold).float()

    def perlin_masks(self, count: int, size: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
        """[count, h, w] Perlin regions above perlin_threshold; half of them (at random) left empty."""
        max_scale = min(5, max(0, math.ceil(math.log2(max(size)))))
        side = max(1 << (max(size) - 1).bit_length(), 1 << max_scale)  # every lattice divides it
        scales = torch.randint(0, max_scale + 1, (count, 2), generator=generator, device=generator.device)
        noise = rand_perlin_batch(side, scales, max_scale, generator)
        masks = (noise[:, : size[0], : size[1]] > self.config.perlin_threshold).float()
        keep = torch.rand(count, generator=generator, device=generator.device) < 0.5
        return masks * keep[:, None, None]

    def perturb(self, features, masks, labels, generator: torch.Generator, detach_noise: bool = True):
        """Training-time anomaly synthesis on the doubled batch: (features', masks', labels', noise).

        masks are pixel masks [N, H, W]; the returned masks are at feature resolution. noise is
        what was added (for the learned generator's magnitude penalty); detach_noise=False lets
        the loss reach the learned generator.
        """
        size, doubled = features.shape[-2:], (2 * len(features), *features.shape[1:])
        labels = torch.cat([labels, labels]).float()
        masks = self.feature_masks(torch.cat([masks, masks]), size)
        region = self.perlin_masks(doubled[0], size, generator).to(features.device)
        if self.config.supervised:
            region = region * (1 - masks)  # no noise on pixels that are already defective
        if self.generator is None:
            noise = torch.randn(doubled, generator=generator, device=generator.device).to(features.device)
            noise = noise.mul_(self.config.noise_std)  # in place: a batch of features is large on the CPU
        else:
            noise = self.generator(torch.cat([features, features]))
            noise = noise.detach() if detach_noise else noise
        # both copies in one pass (broadcast over the copy axis instead of concatenating first); region is
        # 0/1, so every value is exactly features + noise or features, as before
        copies = (2, *features.shape)
        features = torch.addcmul(features[None], noise.view(copies), region.view(2, -1, 1, *size)).flatten(0, 1)
        new_masks = torch.maximum(masks, region)
        new_labels = torch.maximum(labels, (region.flatten(1).amax(1) > 0).float())
        return features, new_masks, new_labels, noise
