"""The undercomplete convolutional bottleneck of I-SPLIT: the encoder runs on the head, the decoder on the tail.

With C channels at the cut and ratio r, f = max(1, round(C / r)); each encoder stage is a stride-2
3x3 conv + BatchNorm + ReLU (C -> f, then f -> 2f, ...), each decoder stage the transposed conv back,
with no activation after the last one. The decoder's output padding comes from the encoder's input
shapes, so it restores odd sizes exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn


@dataclass(frozen=True)
class BottleneckConfig:
    channels: int          # C at the cut
    height: int
    width: int
    ratio: int = 8
    stages: int = 2

    def __post_init__(self) -> None:
        if min(self.channels, self.height, self.width, self.ratio, self.stages) < 1:
            raise ValueError(f"bottleneck sizes must be positive, got {asdict(self)}")

    @property
    def widths(self) -> list[int]:
        """Channels after each encoder stage."""
        first = max(1, round(self.channels / self.ratio))
        return [first * 2 ** i for i in range(self.stages)]

    def sizes(self) -> list[tuple[int, int]]:
        """(H, W) at the encoder's input and after each stage (k3 s2 p1 gives ceil(n / 2))."""
        sizes = [(self.height, self.width)]
        for _ in range(self.stages):
            h, w = sizes[-1]
            sizes.append(((h + 1) // 2, (w + 1) // 2))
        return sizes

    def code_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the tensor the head sends."""
        return (self.widths[-1], *self.sizes()[-1])


def _init(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def encoder(config: BottleneckConfig) -> nn.Sequential:
    layers, cin = [], config.channels
    for cout in config.widths:
        layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    module = nn.Sequential(*layers)
    _init(module)
    return module


def decoder(config: BottleneckConfig) -> nn.Sequential:
    widths, sizes = config.widths, config.sizes()
    layers = []
    for stage in reversed(range(config.stages)):
        cin, cout = widths[stage], (widths[stage - 1] if stage else config.channels)
        (h_out, w_out), (h_in, w_in) = sizes[stage], sizes[stage + 1]
        padding = (h_out - (2 * h_in - 1), w_out - (2 * w_in - 1))   # 0 or 1: restores odd sizes
        layers.append(nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=padding, bias=False))
        if stage:
            layers += [nn.BatchNorm2d(cout), nn.ReLU()]
    module = nn.Sequential(*layers)
    _init(module)
    return module
