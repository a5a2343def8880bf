"""The head (the base model's first layers + the bottleneck encoder) and the tail (decoder + the rest).

A head is a zoo architecture of its own ("split_head"), so a tinyctl checkpoint of it loads and
builds like any detector: its config names the base architecture, the cut and the bottleneck.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from torch import nn

from .bottleneck import BottleneckConfig, decoder, encoder
from .layers import sequential_layers


@dataclass(frozen=True)
class SplitHeadConfig:
    base_arch: str
    base_config: dict
    cut: int                                   # index of the last base layer on the head
    cut_shape: tuple = field(default=())       # (C, H, W) of the base layer's output at the cut
    ratio: int = 8                             # bottleneck compression ratio
    stages: int = 2                            # stride-2 bottleneck stages; 0 = no bottleneck

    def __post_init__(self) -> None:
        object.__setattr__(self, "cut_shape", tuple(self.cut_shape))
        if len(self.cut_shape) != 3 or self.cut < 0 or self.stages < 0:
            raise ValueError(f"a split needs cut >= 0, stages >= 0 and a (C, H, W) cut shape, got {asdict(self)}")

    def bottleneck(self) -> BottleneckConfig | None:
        if not self.stages:
            return None
        return BottleneckConfig(*self.cut_shape, ratio=self.ratio, stages=self.stages)

    def code_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the tensor the head sends."""
        bottleneck = self.bottleneck()
        return bottleneck.code_shape() if bottleneck else self.cut_shape

    def to_dict(self) -> dict:
        return {**asdict(self), "cut_shape": list(self.cut_shape)}

    @classmethod
    def from_dict(cls, values: dict) -> "SplitHeadConfig":
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown SplitHeadConfig keys {unknown}")
        return cls(**values)


def _base_layers(config: SplitHeadConfig, base: nn.Module) -> list[nn.Module]:
    layers = sequential_layers(base)
    if config.cut >= len(layers) - 1:
        raise ValueError(f"cut {config.cut} leaves no tail: the model has {len(layers)} layers")
    return layers


class SplitHead(nn.Module):
    """Runs on the device: base layers [0, cut] then the encoder. Shares modules with `base`."""

    def __init__(self, config: SplitHeadConfig, base: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.layers = nn.Sequential(*_base_layers(config, base)[: config.cut + 1])
        bottleneck = config.bottleneck()
        self.encoder = encoder(bottleneck) if bottleneck else nn.Identity()

    def forward(self, x):
        return self.encoder(self.layers(x))


class SplitTail(nn.Module):
    """Runs on the server: the decoder then base layers (cut, end]."""

    def __init__(self, config: SplitHeadConfig, base: nn.Module) -> None:
        super().__init__()
        bottleneck = config.bottleneck()
        self.decoder = decoder(bottleneck) if bottleneck else nn.Identity()
        self.layers = nn.Sequential(*_base_layers(config, base)[config.cut + 1:])

    def forward(self, z):
        return self.layers(self.decoder(z))


class SplitModel(nn.Module):
    """Head and tail together: what fine-tuning and host-side checks run."""

    def __init__(self, head: SplitHead, tail: nn.Module) -> None:
        super().__init__()
        self.head, self.tail = head, tail

    def forward(self, x):
        return self.tail(self.head(x))


def split_model(base: nn.Module, config: SplitHeadConfig) -> SplitModel:
    """Cut a trained `base` (sharing its weights) and insert the bottleneck the config names."""
    return SplitModel(SplitHead(config, base), SplitTail(config, base))
