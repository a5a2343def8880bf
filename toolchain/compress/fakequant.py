"""Int8 simulation in torch, as TFLite's converter quantizes: per-channel symmetric weights (on the
weights after batch norm is folded in, as the export folds it) and per-tensor affine activations
with ranges from the calibration images. It serves quantization-aware training (straight-through
gradients) and the quick int8 estimate of the accuracy-drop budget search."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from ..errors import TinyctlError

QMIN, QMAX = -128, 127
WEIGHT_QMAX = 127
CALIBRATION_BATCH = 50


class FoldedWeightQuant(nn.Module):
    """Parametrizes a weight as fake_quant(w * s) / s, with s the following batch norm's per-channel scale:
    the batch norm multiplies s back in, so the layer computes with exactly the int8 grid of its folded weight."""

    def __init__(self, batch_norm: nn.BatchNorm2d | None):
        super().__init__()
        self.batch_norm = [batch_norm]   # a list: not a submodule of the parametrization

    def _fold_scale(self, weight: torch.Tensor) -> torch.Tensor:
        bn = self.batch_norm[0]
        if bn is None:
            return torch.ones(weight.shape[0], dtype=weight.dtype)
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        return torch.where(scale.abs() > 1e-12, scale, torch.ones_like(scale))   # a dead channel stays as it is

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        shape = (-1,) + (1,) * (weight.dim() - 1)
        fold = self._fold_scale(weight).reshape(shape)
        folded = weight * fold
        step = folded.detach().abs().flatten(1).amax(1).clamp_min(1e-12) / WEIGHT_QMAX
        zero = torch.zeros(len(step), dtype=torch.int32)
        return torch.fake_quantize_per_channel_affine(folded, step, zero, 0, -WEIGHT_QMAX, WEIGHT_QMAX) / fold


class ActivationQuant(nn.Module):
    """Per-tensor affine int8 fake quantization over a range that calibration sets (always holding 0)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("low", torch.tensor(0.0))
        self.register_buffer("high", torch.tensor(0.0))
        self.enabled = False
        self.is_model_input = False      # the image: its range stays min/max under any calibration
        self.samples: list[np.ndarray] = []

    def set_range(self, low: float, high: float) -> None:
        self.low.fill_(min(low, 0.0))
        self.high.fill_(max(high, 0.0, self.low.item() + 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            self.samples.append(x.detach().flatten().numpy())
            return x
        scale = float((self.high - self.low) / (QMAX - QMIN))
        zero_point = int(np.clip(round(QMIN - float(self.low) / scale), QMIN, QMAX))
        return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, QMIN, QMAX)


def _conv_batch_norms(model: nn.Module) -> dict[str, nn.BatchNorm2d]:
    """Convolutions whose only consumer is a batch norm (the pairs the ONNX export folds), by name."""
    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as exc:  # fx raises many kinds for dynamic control flow
        raise TinyctlError(f"cannot trace the model for int8 simulation ({type(exc).__name__}: {exc})",
                           "QAT and the budget search need a model without data-dependent control flow") from exc
    modules = dict(traced.named_modules())
    pairs = {}
    for node in traced.graph.nodes:
        if node.op == "call_module" and isinstance(modules[node.target], nn.BatchNorm2d):
            source = node.args[0]
            if (getattr(source, "op", None) == "call_module" and isinstance(modules[source.target], nn.Conv2d)
                    and len(source.users) == 1):
                pairs[source.target] = modules[node.target]
    return pairs


class Int8Simulation:
    """Fake-quantizes `model` in place: weights through parametrizations, the input of every convolution
    and linear layer and the model's output through ActivationQuant hooks."""

    def __init__(self, model: nn.Module):
        self.model = model
        batch_norms = _conv_batch_norms(model)
        self.quantizers: list[ActivationQuant] = []
        self._input = None
        self._hooks = [model.register_forward_pre_hook(self._remember_input)]
        for name, module in model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                parametrize.register_parametrization(module, "weight", FoldedWeightQuant(batch_norms.get(name)))
                quant = self._new_quantizer()
                self._hooks.append(module.register_forward_pre_hook(lambda _, args, q=quant: (self._quantize(q, args[0]),)))
        output = self._new_quantizer()
        self._hooks.append(model.register_forward_hook(lambda _, __, out, q=output: q(out)))

    def _remember_input(self, _, args):
        self._input = args[0]

    def _quantize(self, quant: ActivationQuant, x: torch.Tensor) -> torch.Tensor:
        quant.is_model_input |= x is self._input
        return quant(x)

    def _new_quantizer(self) -> ActivationQuant:
        quant = ActivationQuant()
        self.quantizers.append(quant)
        return quant

    def calibrate(self, images: np.ndarray, percentile: float | None = None) -> None:
        """Activation ranges from the calibration images: min/max, or the given central percentile."""
        for quant in self.quantizers:
            quant.enabled, quant.samples = False, []
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            for batch in torch.from_numpy(images).split(CALIBRATION_BATCH):
                self.model(batch)
        self.model.train(was_training)
        for quant in self.quantizers:
            values = np.concatenate(quant.samples)
            low, high = ((values.min(), values.max()) if percentile is None or quant.is_model_input else
                         np.percentile(values, [100 - percentile, percentile]))
            quant.set_range(float(low), float(high))
            quant.enabled, quant.samples = True, []

    def strip(self) -> nn.Module:
        """Back to a plain float model whose weights sit on their int8 grid; hooks removed."""
        for hook in self._hooks:
            hook.remove()
        for module in self.model.modules():
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
        return self.model
