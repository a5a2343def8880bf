"""A zoo model as a flat list of layers whose composition is its forward pass, and where it may be cut."""

from __future__ import annotations

from torch import nn

# Cutting right after these keeps a conv + BatchNorm + activation unit whole (BN folds into the conv).
CUT_AFTER = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Hardswish, nn.MaxPool2d, nn.AvgPool2d)


class GlobalMeanLinear(nn.Module):
    """The detectors' classifier: global mean over H, W, then one Linear."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, x):
        return self.linear(x.mean((2, 3)))


def sequential_layers(model: nn.Module) -> list[nn.Module]:
    """The model's layers in order (shared module objects, not copies)."""
    from ..zoo.binary_cnn import BinaryDetector   # the zoo registers split heads, so import it late

    if isinstance(model, BinaryDetector):
        return [*model.features, GlobalMeanLinear(model.head)]
    if isinstance(model, nn.Sequential):
        return list(model)
    raise ValueError(f"{type(model).__name__} has no known layer sequence; split computing supports "
                     "binary_cnn checkpoints and nn.Sequential models")


def cut_points(layers: list[nn.Module]) -> list[int]:
    """Indices after which the model may be cut: ends of conv units and pools, never the last layer."""
    return [i for i, layer in enumerate(layers[:-1]) if isinstance(layer, CUT_AFTER)]


def layer_label(layers: list[nn.Module], index: int) -> str:
    return f"{index}:{type(layers[index]).__name__}"
