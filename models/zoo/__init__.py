"""Model zoo: architecture name -> (config dataclass, nn.Module class)."""

from torch import nn

from .binary_cnn import BinaryDetector, BinaryDetectorConfig
from .classifier import BinaryClassifier, CamDetector, CamConfig, ClassifierConfig
from .supersimplenet import SuperSimpleNet, SuperSimpleNetConfig
from ..split.zoo import SPLIT_ARCHS

ZOO = {
    "binary_cnn": (BinaryDetectorConfig, BinaryDetector),
    "classifier": (ClassifierConfig, BinaryClassifier),
    "cam": (CamConfig, CamDetector),
    "supersimplenet": (SuperSimpleNetConfig, SuperSimpleNet),
}
ZOO.update(SPLIT_ARCHS)  # split-computing heads (models/split) over the archs above


def build_model(name: str, config: dict, load_weights: bool = False) -> nn.Module:
    """Instantiate architecture `name` from a plain config dict.

    load_weights reads the backbone weights the config names (training start); a checkpoint
    restores its own weights instead.
    """
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; known models are {', '.join(sorted(ZOO))}")
    config_cls, model_cls = ZOO[name]
    model = model_cls(config_cls.from_dict(config))
    if load_weights and hasattr(model, "load_backbone_weights"):
        model.load_backbone_weights()
    return model
