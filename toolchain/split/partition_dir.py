"""A `tinyctl split partition` directory read back (split.json, head.pt, tail.onnx): a damaged or
mismatched file is one error naming it and what is wrong."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from tinyctl.models.checkpoint import CheckpointError, load_checkpoint

from ..errors import TinyctlError
from .tail import TailModel

_REWRITE = "rerun `tinyctl split partition` (or `split mtl`) to write the directory again"

# The fields of split.json a simulation reads: (is it valid, what it must be).
_SUMMARY_FIELDS = {
    "cut_label": (lambda v: isinstance(v, str), "a string"),
    "code_shape": (lambda v: isinstance(v, list) and v and all(type(d) is int and d > 0 for d in v),
                   "a list of positive sizes"),
    "threshold": (lambda v: type(v) in (int, float) and math.isfinite(v), "a finite number"),
}


@dataclass
class Partition:
    directory: Path
    summary: dict        # split.json
    head: nn.Module      # head.pt's model, eval mode
    tail: TailModel      # tail.onnx


def read_partition(directory: Path) -> Partition:
    directory = Path(directory)
    if not (directory / "split.json").is_file():
        raise TinyctlError(f"{directory} is not a partition (no split.json)", "run `tinyctl split partition`")
    summary = _summary(directory / "split.json")
    head, input_shape = _head(directory / "head.pt")
    tail = TailModel(directory / "tail.onnx")
    code_shape = tuple(summary["code_shape"])
    with torch.no_grad():
        head_shape = tuple(head(torch.zeros((1, *input_shape))).shape[1:])
    for name, shape in (("head.pt's output", head_shape), ("tail.onnx's input", tail.input_shape)):
        if shape != code_shape:
            raise TinyctlError(f"{directory}: split.json's code_shape {list(code_shape)} disagrees with {name} "
                               f"{list(shape)}: the files are of different partitions", _REWRITE)
    return Partition(directory, summary, head, tail)


def _summary(path: Path) -> dict:
    try:
        summary = json.loads(path.read_bytes())
    except ValueError as exc:   # JSONDecodeError and UnicodeDecodeError alike
        raise TinyctlError(f"{path} is not valid JSON ({exc})", _REWRITE) from None
    if not isinstance(summary, dict):
        raise TinyctlError(f"{path} holds a JSON {type(summary).__name__}, not an object", _REWRITE)
    for name, (valid, expected) in _SUMMARY_FIELDS.items():
        if name not in summary:
            raise TinyctlError(f"{path} lacks {name!r} ({expected})", _REWRITE)
        if not valid(summary[name]):
            raise TinyctlError(f"{path}: {name!r} must be {expected}, got {summary[name]!r:.80}", _REWRITE)
    return summary


def _head(path: Path) -> tuple[nn.Module, tuple]:
    """head.pt's model and input shape; a checkpoint of a whole detector is not a head."""
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as exc:
        raise TinyctlError(f"cannot load the partition's head: {exc}", _REWRITE) from None
    if checkpoint.arch != "split_head":
        raise TinyctlError(f"{path} is a {checkpoint.arch} checkpoint, not a split head", _REWRITE)
    return checkpoint.model, tuple(checkpoint.preprocessing["input_shape"])
