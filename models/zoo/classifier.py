"""One-logit binary classifiers on a backbone (trained with BCE), and the weakly supervised CAM detector.

Both are backbone -> global average pooling -> Linear(K -> 1). CAM (Zhou et al. 2016) reuses the
Linear's weights w_k on the unpooled features: M = sum_k w_k A_k, so the image logit is exactly
mean(M) + b, and M localises defects although training only saw image labels (methods.md 5.3).
"""

from dataclasses import dataclass

import torch
from torch import nn

from .common import BackboneConfig, BackboneModel, GaussianBlur, upsample_to


@dataclass(frozen=True)
class ClassifierConfig(BackboneConfig):
    """Backbone options; `stage` picks the backbone stage to pool (-1: the deepest)."""

    stage: int = -1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.stage < -1:
            raise ValueError(f"stage must be -1 (deepest) or a stage index, got {self.stage}")


class BinaryClassifier(BackboneModel):
    """Float [N, C, H, W] in [0, 1] -> defect logit [N, 1]."""

    def __init__(self, config: ClassifierConfig = ClassifierConfig()) -> None:
        super().__init__(config)
        stages = len(self.backbone.channels)
        self.stage = stages - 1 if config.stage == -1 else config.stage
        if self.stage >= stages:
            raise ValueError(f"stage {config.stage} does not exist; {config.backbone} has stages 0..{stages - 1}")
        self.backbone.truncate(self.stage)
        self.head = nn.Linear(self.backbone.channels[self.stage], 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.norm(x), upto=self.stage)[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))


@dataclass(frozen=True)
class CamConfig(ClassifierConfig):
    """Classifier options plus the Gaussian sigma (pixels) that smooths the upsampled CAM."""

    blur_sigma: float = 1.0


class CamDetector(BinaryClassifier):
    """GAP + CAM: the classifier's logit, and a defect map from image labels alone."""

    def __init__(self, config: CamConfig = CamConfig()) -> None:
        super().__init__(config)
        self.blur = GaussianBlur(config.blur_sigma)

    def class_activation(self, features: torch.Tensor) -> torch.Tensor:
        """M = sum_k w_k A_k at feature resolution [N, h, w] (the bias is left out of the map)."""
        return torch.einsum("nkhw,k->nhw", features, self.head.weight[0])

    def localise(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(image logits [N], defect maps [N, H, W] at input resolution)."""
        features = self.features(x)
        scores = self.head(features.mean((2, 3)))[:, 0]
        return scores, self.blur(upsample_to(self.class_activation(features), x.shape[-2:]))
