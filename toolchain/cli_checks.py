"""Checks on command-line values, as typer callbacks: a bad flag is a usage error (exit 2, one line
naming the flag) before any work starts. Integer ranges use typer's own min/max; click's float ranges
let NaN through (every comparison with NaN is false), hence these."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer

def finite(value: Optional[float]) -> Optional[float]:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def positive(value: Optional[float]) -> Optional[float]:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a positive finite number")
    return value


def fraction(value: Optional[float]) -> Optional[float]:
    if value is not None and not 0 <= value <= 1:   # NaN fails both comparisons
        raise typer.BadParameter(f"{value} is not between 0 and 1")
    return value


def percentile(value: float) -> float:
    if not 0 < value <= 100:
        raise typer.BadParameter(f"{value} is not a percentile in (0, 100]")
    return value


def not_a_directory(value):
    """A file argument (model, board .toml) that names a directory is refused as one, not as missing."""
    if value is not None and Path(value).is_dir():
        raise typer.BadParameter(f"{value} is a directory, not a file")
    return value


def board(value: str) -> str:
    """A board name, alias or .toml path; only a path can name a directory (a name may match a folder here)."""
    if "/" in value or value.endswith(".toml"):
        not_a_directory(value)
    return value


def existing_file(value: Path) -> Path:
    not_a_directory(value)
    if not value.exists():
        raise typer.BadParameter(f"{value} does not exist")
    return value
