"""Quantization-aware training: a short fine-tune through the int8 simulation, so the float weights
that come out suit the same post-training calibration and fully-int8 TFLite conversion as any model."""

from __future__ import annotations

import copy

import numpy as np
from torch import nn

from .fakequant import Int8Simulation
from .finetune import TrainingData, fine_tune, val_ap

QAT_LR = 1e-3


def simulated_int8_val_ap(model: nn.Module, data: TrainingData, calibration: np.ndarray,
                          percentile: float | None = None) -> float:
    """The val AP of `model` after int8 post-training quantization, estimated in torch."""
    simulation = Int8Simulation(copy.deepcopy(model))
    simulation.calibrate(calibration, percentile)
    return val_ap(simulation.model, data)


def quantization_aware_training(model: nn.Module, data: TrainingData, calibration: np.ndarray, epochs: int,
                                seed: int = 0, progress=None) -> tuple[nn.Module, dict]:
    """A QAT copy of `model`: batch norms frozen (their statistics are what the export folds), activation
    ranges re-calibrated at the start of every epoch as the post-training calibration will set them,
    weights trained on their folded per-channel int8 grid. Returns the plain float model and the
    simulated int8 val AP before and after."""
    simulation = Int8Simulation(copy.deepcopy(model))
    simulation.calibrate(calibration)
    before = val_ap(simulation.model, data)

    def qat_mode(module: nn.Module) -> None:
        simulation.calibrate(calibration)
        module.train()
        for layer in module.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.eval()

    after = fine_tune(simulation.model, data, epochs, QAT_LR, seed, progress, "QAT", qat_mode)
    return simulation.strip().eval(), {"epochs": epochs, "lr": QAT_LR, "simulated_int8_val_ap_before": before,
                                       "simulated_int8_val_ap_after": after}
