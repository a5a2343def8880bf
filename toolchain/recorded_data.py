"""A dataset folder read back from its record (the one a checkpoint was trained on, or one `--data` names): a
model trained on a folder is calibrated and validated on that folder, never on the built-in synthetic images."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from tinyctl.models.data.record import describe, load_recorded, recorded_layout
from tinyctl.models.errors import ModelsError

from .errors import TinyctlError

DATA_FLAG = "--data"  # the option that points a build at data elsewhere


@functools.lru_cache(maxsize=3)
def _read(record_json: str, split: str):
    """A split is fixed by (record, split): read it once per process (calibration, fine-tuning, validation)."""
    return load_recorded(json.loads(record_json), split)


def recorded_samples(whose: str, record: dict, split: str):
    """The raw `Samples` of one split of the recorded dataset, shared: do not modify. `whose` starts the
    error messages, e.g. 'det.pt was trained on'."""
    layout, root = recorded_layout(record), Path(record["root"])
    if not root.is_dir():
        raise TinyctlError(f"{whose} {describe(record)}, and {root} is not there any more",
                           f"pass {DATA_FLAG} {layout}:FOLDER with where that dataset is now, or restore {root}")
    try:
        return _read(json.dumps(record, sort_keys=True), split)
    except (ModelsError, ValueError) as exc:
        raise TinyctlError(f"cannot read the {split} split of {describe(record)} ({whose} it): "
                           f"{getattr(exc, 'message', exc)}",
                           getattr(exc, "hint", None) or f"check the folder follows the {layout} layout, "
                                                         f"or pass {DATA_FLAG} SPEC to use other data") from exc
