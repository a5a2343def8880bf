"""Detector checkpoints: one torch file holding weights plus everything a build needs.

The file is a plain dict (no pickled classes) so it loads with `weights_only=True`:
format, version, arch, config, state_dict, preprocessing, threshold, meta, and, while or after
training, an optional training_state (optimizer, schedule, RNG, epoch) that `tinyctl train --resume` reads.
preprocessing says how to feed the model: input = (pixel_uint8 * scale - mean) / std.
threshold is the logit at or above which an image counts as defective.
An optional layer_shapes entry holds the channel widths of a structurally pruned model.
"""

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .checkpoint_schema import payload_problem
from .layer_shapes import apply_layer_shapes
from .zoo import ZOO, build_model

FORMAT = "tinyctl-checkpoint"
VERSION = 1
DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "default_detector.pt"
_KEYS = ("arch", "config", "state_dict", "preprocessing", "threshold", "meta")


class CheckpointError(ValueError):
    """A checkpoint that cannot be written or used; the message names the problem and the fix."""


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (eval mode, CPU) and the data that travels with it."""

    model: nn.Module
    arch: str
    config: dict
    preprocessing: dict
    threshold: float
    meta: dict


def _require_plain(name: str, value: object) -> None:
    """weights_only loading accepts only plain containers; refuse anything else at save time."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"checkpoint {name} must hold only str/int/float/bool/list/dict values: {error}") from None


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    arch: str,
    config: dict,
    preprocessing: dict,
    threshold: float,
    meta: dict,
    training_state: dict | None = None,
    layer_shapes: dict | None = None,
) -> Path:
    """Write the checkpoint atomically (temp file + rename): a crash never leaves half a file.
    layer_shapes (from `layer_shapes.layer_shapes`) records a pruned model's widths."""
    for name, value in (("config", config), ("preprocessing", preprocessing), ("meta", meta),
                        ("layer_shapes", layer_shapes)):
        _require_plain(name, value)
    if not math.isfinite(threshold):
        raise CheckpointError(f"threshold must be a finite logit, got {threshold}")
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "arch": arch,
        "config": config,
        "state_dict": {key: value.detach().cpu() for key, value in model.state_dict().items()},
        "preprocessing": preprocessing,
        "threshold": float(threshold),
        "meta": meta,
    }
    if training_state is not None:
        payload["training_state"] = training_state
    if layer_shapes is not None:
        payload["layer_shapes"] = layer_shapes
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        torch.save(payload, temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes owner-only files; checkpoints are shared artifacts
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def _read_payload(path: Path) -> dict:
    """The raw dict, or a CheckpointError saying why the file is unusable."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file; check the path or create one with `tinyctl train --out {path}`")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load surfaces zip, pickle and EOF errors alike for bad files
        raise CheckpointError(
            f"{path}: not a readable torch checkpoint ({type(error).__name__}); the file is truncated or of another kind, retrain or copy it again"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path}: not a tinyctl checkpoint (format {found!r}, expected {FORMAT!r}); save models with tinyctl.models.checkpoint.save_checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {payload.get('version')!r} is not supported (expected {VERSION}); retrain with this tinyctl")
    missing = [key for key in _KEYS if key not in payload]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {', '.join(missing)}; it was not written by save_checkpoint, retrain it")
    problem = payload_problem(payload)
    if problem is not None:
        raise CheckpointError(f"{path}: invalid checkpoint field: {problem}; retrain it or fix the field")
    return payload


def _model_with_weights(path: Path, arch: str, payload: dict, device: torch.device) -> nn.Module:
    """The architecture built from the checkpoint's config on `device`, its weights loaded."""
    try:
        with device:
            model = apply_layer_shapes(build_model(arch, payload["config"]), payload.get("layer_shapes") or {})
    except (TypeError, ValueError, KeyError, IndexError, RuntimeError) as error:  # RuntimeError: impossible sizes
        raise CheckpointError(f"{path}: invalid {arch} config ({str(error)[:200]}); retrain the checkpoint") from None
    try:
        model.load_state_dict(payload["state_dict"], assign=device.type == "meta")  # copying into meta is a no-op
    except (RuntimeError, TypeError, AttributeError) as error:
        detail = " ".join(str(error).split())[:300]  # torch's report spans many lines; keep one
        raise CheckpointError(f"{path}: weights do not match the {arch} config ({detail}); retrain the checkpoint") from None
    return model


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Load a checkpoint written by `save_checkpoint`, model on CPU in eval mode."""
    path = Path(path)
    payload = _read_payload(path)
    arch = payload["arch"]
    if arch not in ZOO:
        raise CheckpointError(f"{path}: unknown architecture {arch!r}; this tinyctl knows {', '.join(sorted(ZOO))}")
    _model_with_weights(path, arch, payload, torch.device("meta"))  # a config that disagrees with the weights
    model = _model_with_weights(path, arch, payload, torch.device("cpu"))  # is refused before it allocates
    return Checkpoint(
        model=model.eval(),
        arch=arch,
        config=payload["config"],
        preprocessing=payload["preprocessing"],
        threshold=float(payload["threshold"]),
        meta=payload["meta"],
    )


def load_training_state(path: str | os.PathLike) -> tuple[dict, dict]:
    """(the run's training config, its training state) from a checkpoint `tinyctl train` wrote."""
    path = Path(path)
    payload = _read_payload(path)
    if "training_state" not in payload or not isinstance(payload["meta"].get("train_config"), dict):
        raise CheckpointError(f"{path}: holds no training state to resume from; it was not written by `tinyctl train`")
    return payload["meta"]["train_config"], payload["training_state"]
