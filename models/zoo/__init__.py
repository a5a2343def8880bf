"""Model zoo: architecture name -> (config dataclass, nn.Module class)."""

from torch import nn

from .binary_cnn import BinaryDetector, BinaryDetectorConfig

ZOO = {"binary_cnn": (BinaryDetectorConfig, BinaryDetector)}


def build_model(name: str, config: dict) -> nn.Module:
    """Instantiate architecture `name` from a plain config dict."""
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; known models are {', '.join(sorted(ZOO))}")
    config_cls, model_cls = ZOO[name]
    return model_cls(config_cls.from_dict(config))
