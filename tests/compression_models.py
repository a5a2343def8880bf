"""Models built on purpose for the compression tests."""

import copy

import torch

# (batch norm, the convolution that reads its channel 0 through ReLU and max-pool) in binary_cnn's features
_DEAD_CHANNEL_PAIRS = ((7, 10), (17, 20))


def with_weight_outliers(detector, factor: float = 80.0):
    """The detector with channel 0 of two pointwise blocks switched off (its ReLU output is always 0) and
    the next convolution given a weight `factor` times its largest on that dead channel: in float the
    outliers multiply zeros, but they set the per-channel int8 step, so the real weights lose their
    resolution (a model where post-training int8 loses several AP points)."""
    model = copy.deepcopy(detector)
    with torch.no_grad():
        for bn_index, conv_index in _DEAD_CHANNEL_PAIRS:
            bn, conv = model.features[bn_index], model.features[conv_index]
            bn.weight[0], bn.bias[0] = 0.0, -1.0
            conv.weight[:, 0, 1, 1] = factor * conv.weight.abs().flatten(1).amax(1)
    return model.eval()


OUTLIER_LAYERS = tuple(f"features.{conv}" for _, conv in _DEAD_CHANNEL_PAIRS)
