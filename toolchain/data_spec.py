"""`--data SPEC` / `--test-data SPEC`: the user's data as one small typed value, parsed with clear errors.

SPEC is `synthetic` (tinyctl's built-in images), an array file (`.npz` with `x` and optional `y`, or `.npy`),
or a dataset layout on disk that `tinyctl.models.data` reads: `mvtec:ROOT[:CATEGORY]`, `ksdd2:ROOT`,
`visa:ROOT[:CATEGORY]`, `folder:ROOT`, `classes:ROOT` (a bare directory is taken as `classes:`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import TinyctlError

LAYOUTS = ("mvtec", "ksdd2", "visa", "folder", "classes")
CATEGORY_LAYOUTS = ("mvtec", "visa")   # the layouts whose ROOT may be followed by :CATEGORY
ARRAY_SUFFIXES = (".npz", ".npy")
DATA_HELP = ("The data to calibrate and validate on: `synthetic` (tinyctl's built-in images), an array file "
             "(.npz with `x` [N, *model input] and optional labels `y` [N], or .npy of inputs) in the model's own "
             "input layout, or a dataset folder: mvtec:ROOT[:CATEGORY], ksdd2:ROOT, visa:ROOT[:CATEGORY], "
             "folder:ROOT, classes:ROOT (one subfolder per class; a bare folder means classes:). Calibration "
             "uses its train split (or the array file), validation its test split. Default: the data a "
             "checkpoint records; none for ONNX/TFLite.")
TEST_DATA_HELP = ("Validate on this SPEC instead of the --data test split (same spellings). With one array "
                  "file and no --test-data, even-numbered rows calibrate and odd-numbered rows validate.")
SPEC_HINT = "use synthetic, a .npz/.npy file, or LAYOUT:ROOT with LAYOUT one of " + ", ".join(LAYOUTS)


@dataclass(frozen=True)
class DataSpec:
    text: str                      # the user's spelling, as the report shows it
    kind: str                      # synthetic | arrays | layout
    path: Path | None = None       # the array file, or the layout's root folder
    layout: str | None = None      # for kind layout: one of LAYOUTS
    category: str | None = None

    def record(self, size: tuple[int, int], channels: int) -> dict:
        """The dataset record (see the contracts) of a layout spec, for images of `size` (H, W) and `channels`."""
        return {"layout": self.layout, "root": str(self.path), "category": self.category,
                "size": list(size), "channels": channels}


def parse_data_spec(text: str, flag: str = "--data") -> DataSpec:
    """The spec `text` names, refusing what does not exist before any build work starts."""
    text = text.strip()
    if text == "synthetic":
        return DataSpec(text, "synthetic")
    path = Path(text)
    if path.suffix.lower() in ARRAY_SUFFIXES:
        if not path.is_file():
            raise TinyctlError(f"{flag} {text}: no such array file", "pass an existing .npz or .npy file")
        return DataSpec(text, "arrays", path=path)
    layout, sep, rest = text.partition(":")
    if sep and layout in LAYOUTS:
        root, _, category = rest.partition(":") if layout in CATEGORY_LAYOUTS else (rest, "", "")
        return _layout(text, layout, Path(root), category or None, flag)
    if path.is_dir():
        return _layout(text, "classes", path, None, flag)
    if sep and len(layout) > 1:   # a one-letter prefix is a Windows drive, not a layout
        raise TinyctlError(f"{flag} {text}: unknown dataset layout {layout!r}", SPEC_HINT)
    raise TinyctlError(f"{flag} {text}: not a data spec tinyctl knows (no such file or folder)", SPEC_HINT)


def _layout(text: str, layout: str, root: Path, category: str | None, flag: str) -> DataSpec:
    if not str(root) or not root.is_dir():
        raise TinyctlError(f"{flag} {text}: the {layout} folder {root} does not exist",
                           f"pass {flag} {layout}:ROOT with ROOT the dataset's folder")
    return DataSpec(text, "layout", path=root, layout=layout, category=category)


def read_arrays(spec: DataSpec, sample_shape: tuple[int, ...], flag: str = "--data") -> tuple[np.ndarray, np.ndarray | None]:
    """(x, y or None) of an array file, x checked against the model's input `sample_shape` (no batch axis)
    and y against x's length."""
    try:
        loaded = np.load(spec.path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise TinyctlError(f"{flag} {spec.text}: cannot read the array file ({exc})",
                           "write it with numpy.savez(path, x=inputs, y=labels) or numpy.save") from exc
    if isinstance(loaded, np.ndarray):
        x, y = loaded, None
    else:
        with loaded:
            if "x" not in loaded.files:
                raise TinyctlError(f"{flag} {spec.text}: the .npz has no array `x` (it has {', '.join(loaded.files) or 'none'})",
                                   "save the inputs as x (and labels as y): numpy.savez(path, x=inputs, y=labels)")
            x, y = loaded["x"], loaded["y"] if "y" in loaded.files else None
    if x.ndim == len(sample_shape) + 1 and tuple(x.shape[1:]) == tuple(sample_shape) and len(x):
        return x, _labels(spec, y, len(x), flag)
    raise TinyctlError(f"{flag} {spec.text}: x has shape {list(x.shape)}, the model takes [N, "
                       f"{', '.join(map(str, sample_shape))}]",
                       "give the inputs in the model's own input layout, one row per sample")


def _labels(spec: DataSpec, y: np.ndarray | None, count: int, flag: str) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y).reshape(-1) if np.asarray(y).ndim == 2 and np.asarray(y).shape[1] == 1 else np.asarray(y)
    if y.ndim != 1 or len(y) != count:
        raise TinyctlError(f"{flag} {spec.text}: y has shape {list(y.shape)}, expected [{count}] (one label per row of x)",
                           "labels are one integer per sample: a class index, or 0/1 (1 = anomaly)")
    if not np.issubdtype(y.dtype, np.integer) and not np.array_equal(y, np.round(y)):
        raise TinyctlError(f"{flag} {spec.text}: y holds non-integer labels", "labels are class indices or 0/1")
    return y.astype(np.int64)
