"""Model zoo: architecture name -> (config dataclass, nn.Module class)."""

from torch import nn

from .binary_cnn import BinaryDetector, BinaryDetectorConfig
from ..split.zoo import SPLIT_ARCHS

ZOO = {"binary_cnn": (BinaryDetectorConfig, BinaryDetector)}
ZOO.update(SPLIT_ARCHS)  # split-computing heads (models/split) over the archs above


def build_model(name: str, config: dict) -> nn.Module:
    """Instantiate architecture `name` from a plain config dict."""
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; known models are {', '.join(sorted(ZOO))}")
    config_cls, model_cls = ZOO[name]
    return model_cls(config_cls.from_dict(config))
