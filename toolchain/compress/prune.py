"""Structured channel pruning with torch-pruning: whole filters go, with the channels that residual,
depthwise and concatenation couplings tie to them, so the smaller model is dense and runs anywhere."""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from ..errors import TinyctlError

MAX_RATIO = 0.9


def output_layers(model: nn.Module, example: torch.Tensor) -> list[nn.Module]:
    """The weight layers whose output is the model's output: their width is the task's, never pruned."""
    seen = []
    hooks = [m.register_forward_hook(lambda module, _, out: seen.append((module, out)))
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            result = model.eval()(example)
    finally:
        for hook in hooks:
            hook.remove()
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    return [module for module, out in seen if any(out is o for o in outputs)] or [seen[-1][0]]


def check_ratio(ratio: float) -> None:
    if not 0.0 <= ratio <= MAX_RATIO:
        raise TinyctlError(f"pruning ratio {ratio} is outside [0, {MAX_RATIO}]",
                           "give the share of channels to remove, e.g. --prune 0.5 keeps half of them")


def prune_channels(model: nn.Module, ratio: float, example: torch.Tensor, steps: int = 1,
                   between_steps=None) -> nn.Module:
    """A copy of `model` with `ratio` of the channels of every prunable layer removed (smallest L2 filters
    first), in `steps` equal slices; `between_steps(model, step)` runs after each slice (the fine-tune that
    lets the remaining channels take over before the next ones go). The output layer keeps its width."""
    check_ratio(ratio)
    pruned = copy.deepcopy(model).eval()
    if ratio == 0.0:
        return pruned
    import torch_pruning as tp

    pruner = tp.pruner.MagnitudePruner(pruned, example, importance=tp.importance.MagnitudeImportance(p=2),
                                       pruning_ratio=ratio, iterative_steps=steps,
                                       ignored_layers=output_layers(pruned, example))
    for step in range(1, steps + 1):
        pruner.step()
        if between_steps is not None:
            between_steps(pruned, step)
    return pruned.eval()


def macs_and_params(model: nn.Module, example: torch.Tensor) -> tuple[int, int]:
    """Multiply-accumulates of the convolutions and linear layers (as tinyctl.macs counts the int8 graph)
    and the parameter count."""
    macs = []

    def count(module, _, out):
        if isinstance(module, nn.Conv2d):
            macs.append(out.numel() * module.in_channels // module.groups * math.prod(module.kernel_size))
        else:
            macs.append(out.numel() * module.in_features)

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model.eval()(example)
    finally:
        for hook in hooks:
            hook.remove()
    return sum(macs), sum(p.numel() for p in model.parameters())
