"""Model zoo: architecture name -> (config dataclass, a callable that builds the nn.Module from it)."""

from torch import nn

from ..split.modules import SplitHead, SplitHeadConfig
from .binary_cnn import BinaryDetector, BinaryDetectorConfig
from .classifier import BinaryClassifier, CamDetector, CamConfig, ClassifierConfig
from .supersimplenet import SuperSimpleNet, SuperSimpleNetConfig


def _split_head(config: SplitHeadConfig) -> SplitHead:
    """A split-computing head (models/split) over a fresh base detector; a checkpoint restores the weights."""
    return SplitHead(config, build_model(config.base_arch, config.base_config))


ZOO = {
    "binary_cnn": (BinaryDetectorConfig, BinaryDetector),
    "classifier": (ClassifierConfig, BinaryClassifier),
    "cam": (CamConfig, CamDetector),
    "supersimplenet": (SuperSimpleNetConfig, SuperSimpleNet),
    "split_head": (SplitHeadConfig, _split_head),  # so `load_checkpoint` and `tinyctl build` take split heads
}


def build_model(name: str, config: dict, load_weights: bool = False) -> nn.Module:
    """Instantiate architecture `name` from a plain config dict.

    load_weights reads the backbone weights the config names (training start); a checkpoint
    restores its own weights instead.
    """
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; known models are {', '.join(sorted(ZOO))}")
    config_cls, build = ZOO[name]
    model = build(config_cls.from_dict(config))
    if load_weights and hasattr(model, "load_backbone_weights"):
        model.load_backbone_weights()
    return model
