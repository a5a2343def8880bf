"""A small binary surface-defect detector built only from int8-friendly ops.

Conv2d, depthwise Conv2d, BatchNorm (folded at export), ReLU, MaxPool2d, a global mean and one
Linear: every op maps onto a fully-int8 TFLite-Micro kernel after ONNX -> onnx2tf conversion.
"""

from dataclasses import dataclass

import torch
from torch import nn

from .config import ZooConfig, input_sides


@dataclass(frozen=True)
class BinaryDetectorConfig(ZooConfig):
    """Input geometry (input_size: a side, or [height, width]) and the channel width of each resolution stage."""

    in_channels: int = 1
    input_size: int | tuple[int, int] = 64
    widths: tuple[int, ...] = (8, 16, 32)

    def __post_init__(self) -> None:
        self._freeze_sequences()
        if self.in_channels not in (1, 3):
            raise ValueError(f"in_channels must be 1 or 3, got {self.in_channels}")
        if not self.widths or any(w < 1 for w in self.widths):
            raise ValueError(f"widths must be a non-empty tuple of positive ints, got {self.widths}")
        # The stem and each later stage halve the resolution.
        stride = 2 ** len(self.widths)
        if any(side < stride or side % stride for side in input_sides(self.input_size)):
            raise ValueError(f"input_size sides must be positive multiples of {stride} for {len(self.widths)} stages, got {self.input_size}")


def _conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    """Bias-free conv (BatchNorm supplies the shift) + BatchNorm + ReLU."""
    conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False)
    return [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def _separable(cin: int, cout: int) -> list[nn.Module]:
    """Depthwise 3x3 then pointwise 1x1: spatial context for few parameters."""
    return _conv_bn_relu(cin, cin, 3, groups=cin) + _conv_bn_relu(cin, cout, 1)


class BinaryDetector(nn.Module):
    """Float [N, C, H, W] in [0, 1] -> defect logit [N, 1]."""

    def __init__(self, config: BinaryDetectorConfig = BinaryDetectorConfig()) -> None:
        super().__init__()
        self.config = config
        first = config.widths[0]
        layers = _conv_bn_relu(config.in_channels, first, 3, stride=2) + _separable(first, first)
        for cin, cout in zip(config.widths[:-1], config.widths[1:]):
            layers += [nn.MaxPool2d(2), *_conv_bn_relu(cin, cout, 3), *_separable(cout, cout)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(config.widths[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Global mean pooling exports as ReduceMean/GlobalAveragePool, both int8 in TFLite.
        return self.head(self.features(x).mean((2, 3)))
