"""The checkpoint's fields, their types and ranges: a damaged or hand-edited checkpoint is refused on
load with the field and what it should hold, before any of it reaches a model, a dataset or a report."""

from __future__ import annotations

import dataclasses
import math
from numbers import Real

from .data import LAYOUTS
from .data.record import recorded_dataset
from .data.synthetic import SyntheticConfig

MAX_IMAGE_SIDE = 1024          # far above any image a microcontroller model takes
_DICTS = ("config", "state_dict", "preprocessing", "meta")


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def input_shape_problem(shape) -> str | None:
    """Why `shape` is not [channels, height, width] of a 1- or 3-channel image, or None."""
    if not isinstance(shape, (list, tuple)) or len(shape) != 3 or not all(_is_int(d) for d in shape):
        return f"must be [channels, height, width] as three integers, got {shape!r}"[:200]
    c, h, w = shape
    if c not in (1, 3) or not (1 <= h <= MAX_IMAGE_SIDE and 1 <= w <= MAX_IMAGE_SIDE):
        return f"must have 1 or 3 channels and sides of 1 to {MAX_IMAGE_SIDE} pixels, got {list(shape)}"
    return None


def _preprocessing_problem(pre: dict) -> str | None:
    shape = input_shape_problem(pre.get("input_shape"))
    if shape is not None:
        return f"preprocessing.input_shape {shape}"
    if pre.get("layout", "NCHW") != "NCHW":
        return f"preprocessing.layout must be 'NCHW', got {pre.get('layout')!r}"[:200]
    for name, positive in (("scale", True), ("mean", False), ("std", True)):
        if name in pre and not (_is_number(pre[name]) and (pre[name] > 0 or not positive)):
            kind = "a positive finite number" if positive else "a finite number"
            return f"preprocessing.{name} must be {kind}, got {pre[name]!r}"[:200]
    for name in ("dataset", "source"):  # merged into one record below
        if not isinstance(pre.get(name, {}), dict):
            return f"preprocessing.{name} must be a dict of dataset settings, got {type(pre[name]).__name__}"
    return dataset_problem(recorded_dataset(pre))


def _size_problem(size) -> str | None:
    """Why a record's size is neither a side nor [height, width] of 1 to MAX_IMAGE_SIDE pixels, or None."""
    sides = [size] if _is_int(size) else size if isinstance(size, list) and len(size) == 2 else None
    if sides is None or not all(_is_int(side) and 1 <= side <= MAX_IMAGE_SIDE for side in sides):
        return f"preprocessing.dataset.size must be a side or [height, width] of 1 to {MAX_IMAGE_SIDE} pixels, got {size!r}"[:200]
    return None


def _on_disk_problem(dataset: dict) -> str | None:
    """Why a record of a dataset on disk does not say where and how to read it, or None."""
    if not isinstance(dataset.get("root"), str) or not dataset["root"]:
        return f"preprocessing.dataset.root must be the dataset folder, got {dataset.get('root')!r}"[:200]
    if dataset.get("category") is not None and not isinstance(dataset["category"], str):
        return f"preprocessing.dataset.category must be a folder name or null, got {dataset['category']!r}"[:200]
    if dataset.get("channels", 1) not in (1, 3) or not _is_int(dataset.get("seed", 0)):
        return "preprocessing.dataset: channels must be 1 or 3 and seed an integer"
    return None


def _synthetic_problem(dataset: dict) -> str | None:
    """Why the SyntheticConfig fields of a record cannot make the built-in set, or None."""
    known = {f.name: f.type for f in dataclasses.fields(SyntheticConfig)}
    values = {k: v for k, v in dataset.items() if k in known}
    if isinstance(values.get("size"), list):  # a record's [height, width]: the built-in set is square
        height, width = values["size"]
        if height != width:
            return f"preprocessing.dataset.size: the built-in synthetic set is square, got {values['size']}"
        values["size"] = height
    for name, value in values.items():
        integer = known.get(name) in (int, "int")
        if not (_is_int(value) if integer else _is_number(value)):
            return f"preprocessing.dataset.{name} must be {'an integer' if integer else 'a number'}, got {value!r}"[:200]
    try:
        SyntheticConfig(**values)
    except ValueError as error:
        return f"preprocessing.dataset: {error}"
    return None


def dataset_problem(dataset) -> str | None:
    """Why `dataset` is not a dataset record tinyctl can read back (the built-in set or a layout on disk), or None."""
    if not isinstance(dataset, dict):
        return f"preprocessing.dataset must be a dict of dataset settings, got {type(dataset).__name__}"
    layout = dataset.get("layout", "synthetic")
    if layout not in LAYOUTS:
        return f"preprocessing.dataset.layout must be one of {', '.join(LAYOUTS)}, got {layout!r}"[:200]
    if "size" in dataset and _size_problem(dataset["size"]):
        return _size_problem(dataset["size"])
    return _synthetic_problem(dataset) if layout == "synthetic" else _on_disk_problem(dataset)


def payload_problem(payload: dict) -> str | None:
    """The first field of a checkpoint dict that has the wrong type or an impossible value, or None."""
    if not isinstance(payload["arch"], str):
        return f"arch must be a string, got {type(payload['arch']).__name__}"
    for name in _DICTS:
        if not isinstance(payload[name], dict):
            return f"{name} must be a dict, got {type(payload[name]).__name__}"
    if not _is_number(payload["threshold"]):
        return f"threshold must be a finite number (a logit), got {payload['threshold']!r}"[:200]
    for name in ("layer_shapes", "training_state"):
        if payload.get(name) is not None and not isinstance(payload[name], dict):
            return f"{name} must be a dict, got {type(payload[name]).__name__}"
    return _preprocessing_problem(payload["preprocessing"]) or _config_problem(payload["config"], payload["preprocessing"])


def _config_problem(config: dict, preprocessing: dict) -> str | None:
    """The config's input settings (where the architecture has them) must be the ones the model is fed."""
    channels, height, width = preprocessing["input_shape"]
    size = [height, width] if isinstance(config.get("input_size"), list) else height  # a side: square models
    for name, fed in (("in_channels", channels), ("input_size", size)):
        if name in config and config[name] != fed:
            return f"config.{name} is {config[name]!r}, but preprocessing.input_shape feeds {fed}"[:200]
    return None
