"""Stage `qat`: quantization-aware training, then the float model goes through the usual calibration and
fully-int8 conversion (its weights already sit on their int8 grid, its layers learned the rounding)."""

from __future__ import annotations

import numpy as np
from torch import nn

from ..compress.finetune import TrainingData, val_ap
from ..compress.qat import quantization_aware_training


def qat_stage(model: nn.Module, data: TrainingData, calibration: np.ndarray, epochs: int,
              progress=None) -> tuple[nn.Module, dict]:
    trained, record = quantization_aware_training(model, data, calibration, epochs, 0, progress)
    record.update(float_val_ap_before=val_ap(model, data), float_val_ap_after=val_ap(trained, data))
    return trained, record
