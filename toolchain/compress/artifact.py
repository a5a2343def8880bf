"""The compressed model as a tinyctl checkpoint: the base architecture, the pruned widths, the new
weights and a decision threshold chosen again on the val split; `tinyctl build -m` loads it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from torch import nn

from ..errors import TinyctlError
from .finetune import TrainingData


def write_compressed_checkpoint(source, model: nn.Module, data: TrainingData, path: Path, compression: dict):
    """Save `model` (pruned and/or QAT) beside the source checkpoint's data; returns the source that builds it."""
    from tinyctl.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from tinyctl.models.layer_shapes import layer_shapes
    from tinyctl.models.metrics import youden_threshold
    from tinyctl.models.train import predict

    try:
        base = load_checkpoint(source.path)
    except CheckpointError as exc:
        raise TinyctlError(f"cannot reload {source.path}: {exc}", "compress a tinyctl checkpoint (.pt)") from exc
    threshold = float(youden_threshold(predict(model, data.x_val), data.y_val))
    meta = {**base.meta, "compressed_from": {"path": str(source.path), "sha256": source.sha256}, "compression": compression}
    save_checkpoint(path, model.cpu().eval(), base.arch, base.config, base.preprocessing, threshold, meta,
                    layer_shapes=layer_shapes(model))
    return dataclasses.replace(source, torch_model=model.eval(), threshold=threshold)
