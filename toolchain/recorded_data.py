"""The data a checkpoint was trained on, read back from the layout on disk its dataset record names: a model
trained on a folder is calibrated and validated on that folder, never on the built-in synthetic images."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from tinyctl.models.data.record import describe, load_recorded, recorded_layout
from tinyctl.models.errors import ModelsError

from .errors import TinyctlError

DATA_FLAG = "--data"  # the option that points a build at data elsewhere


def on_disk(record: dict | None) -> bool:
    """Whether a dataset record names a layout on disk (not the built-in set, not 'no known data')."""
    return record is not None and recorded_layout(record) != "synthetic"


@functools.lru_cache(maxsize=3)
def _read(record_json: str, split: str):
    """A split is fixed by (record, split): read it once per process (calibration, fine-tuning, validation)."""
    return load_recorded(json.loads(record_json), split)


def recorded_samples(model_name: str, record: dict, split: str):
    """The raw `Samples` of one split of the recorded dataset, shared: do not modify."""
    layout, root = recorded_layout(record), Path(record["root"])
    if not root.is_dir():
        raise TinyctlError(f"{model_name} was trained on {describe(record)}, and {root} is not there any more",
                           f"pass {DATA_FLAG} {layout}:FOLDER with where that dataset is now, or restore {root}")
    try:
        return _read(json.dumps(record, sort_keys=True), split)
    except ModelsError as exc:
        raise TinyctlError(f"cannot read the {split} split of {describe(record)}, the data {model_name} was "
                           f"trained on: {exc.message}", exc.hint or f"pass {DATA_FLAG} SPEC to use other data") from exc


def data_summary(record: dict | None, split: str, count: int) -> dict:
    """What report.json says about the data a metric was measured on (the contract's `validation.data`)."""
    if record is None:
        return {"spec": None, "split": split, "count": count, "description": f"generated inputs, {count} of them"}
    layout = recorded_layout(record)
    spec = layout if layout == "synthetic" else ":".join(
        str(part) for part in (layout, record["root"], record.get("category")) if part)
    return {"spec": spec, "split": split, "count": count,
            "description": f"{describe(record)}, {split} split, {count} images"}
