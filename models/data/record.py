"""The dataset record: which data a model was trained on, as a checkpoint keeps it (preprocessing["dataset"]).

{"layout", "root" (absolute), "category", "size": [height, width], "channels", plus the SyntheticConfig fields
for the built-in set}. Checkpoints from before the record hold only the SyntheticConfig fields (size a side),
and those trained on a folder kept its layout, root and category beside them in preprocessing["source"].
"""

from dataclasses import asdict
from pathlib import Path

from . import load_split
from .files import Size, height_width
from .samples import Samples
from .synthetic import SyntheticConfig

LAYOUT_NAMES = {"synthetic": "the built-in synthetic set", "mvtec": "MVTec AD", "ksdd2": "KolektorSDD2",
                "visa": "VisA", "folder": "the image folder", "classes": "the class folders"}


def make_record(layout: str, root: str | None, category: str | None, size: Size, config: SyntheticConfig) -> dict:
    """The record of a training run's data; `config` gives channels and seed (and, for synthetic, the set)."""
    fields = asdict(config) if layout == "synthetic" else {"channels": config.channels, "seed": config.seed}
    return {**fields, "layout": layout, "root": None if root is None else str(Path(root).resolve()),
            "category": category, "size": list(height_width(size))}


def recorded_dataset(preprocessing: dict) -> dict:
    """The record a checkpoint's preprocessing holds, old checkpoints' `source` folded in."""
    return {**preprocessing.get("dataset", {}), **preprocessing.get("source", {})}


def recorded_layout(record: dict) -> str:
    """The record's layout; a record without one is the built-in set (checkpoints from before the record)."""
    return record.get("layout", "synthetic")


def load_recorded(record: dict, split: str) -> Samples:
    """One split of the recorded data on disk, read as it was for training (size, channels, seed)."""
    return load_split(recorded_layout(record), split, root=record.get("root"), category=record.get("category"),
                      size=tuple(height_width(record.get("size", 64))), channels=record.get("channels", 1),
                      seed=record.get("seed", 0))


def describe(record: dict) -> str:
    """One human line naming the data, e.g. 'KolektorSDD2 at /data/ksdd2'."""
    layout = recorded_layout(record)
    name = LAYOUT_NAMES.get(layout, layout)
    if layout == "synthetic":
        return name
    category = f" (category {record['category']})" if record.get("category") else ""
    return f"{name} at {record.get('root')}{category}"
