"""Datasets: the built-in synthetic surface-defect set and real layouts on disk, as `Samples`."""

from pathlib import Path

from ..errors import ModelsError
from . import layouts
from .files import Item, Size, check_size, height_width, read_samples
from .layouts import class_names
from .samples import Samples, concatenate
from .synthetic import SPLITS, SyntheticConfig, make_split

LAYOUTS = ("synthetic", "mvtec", "ksdd2", "visa", "folder", "classes")
# Where each real layout's validation split comes from: the unsupervised sets have only good
# training images, so their val (which needs both classes to score) is carved from test.
_VAL_FROM = {"mvtec": "test", "visa": "test", "ksdd2": "train", "folder": "train", "classes": "train"}


def _official_splits(layout: str, root: Path, category: str | None) -> dict:
    if layout == "mvtec":
        return layouts.mvtec_like(root, category, "MVTec AD")
    if layout == "visa":
        return layouts.visa(root, category)
    if layout == "ksdd2":
        return layouts.ksdd2(root)
    if layout == "classes":
        return layouts.classes(root, category)
    return layouts.folder(root, category)


def list_split(
    layout: str, split: str, *, root: str | Path | None, category: str | None = None, seed: int = 0
) -> list[Item]:
    """The (image file, label, mask file) items of one split of a layout on disk, unread."""
    if layout not in LAYOUTS or layout == "synthetic":
        raise ModelsError(f"unknown dataset layout {layout!r} on disk", f"use one of {', '.join(LAYOUTS[1:])}")
    if split not in SPLITS:
        raise ModelsError(f"unknown split {split!r}", f"use one of {', '.join(SPLITS)}")
    if root is None:
        raise ModelsError(f"the {layout} layout needs a root folder", "pass root= (or --root) the dataset folder")
    items = layouts.split_items(_official_splits(layout, Path(root), category), split, _VAL_FROM[layout], seed)
    if not items:
        raise ModelsError(f"the {split} split of {root} has no images", "check the folder holds image files")
    return items


def load_split(
    layout: str,
    split: str,
    *,
    root: str | Path | None = None,
    category: str | None = None,
    size: Size = 64,
    channels: int = 1,
    seed: int = 0,
) -> Samples:
    """One split of a dataset as Samples (images resized to `size`, a side or (height, width), with
    Pillow; masks alike; paths set).

    layout "synthetic" ignores root and category and returns make_split(split,
    SyntheticConfig(size, channels, seed)): its images are square. For the layouts on disk, files are read in name
    order and `val` is a stratified (per folder and label) VAL_SHARE = 20% carve-out drawn with
    `seed`, disjoint from the split it leaves:
    - mvtec, visa (`category` picks <root>/<category>; omit it when root is the category):
      train = train/good; val = 20% of test; test = the other 80% of test. visa also reads the
      download as it comes (split_csv/1cls.csv, the 1-class split; category required).
    - ksdd2: val = 20% of train; train = the other 80%; test = the official test folder.
    - folder: with train/ and test/ subfolders, val = 20% of train; without them the one pool
      of good/ and defect/ splits 60/20/20 into train/val/test.
    - classes: one subfolder per class (label = index in `class_names`), split as `folder`; masks are empty.
    """
    if layout == "synthetic":
        if split not in SPLITS:
            raise ModelsError(f"unknown split {split!r}", f"use one of {', '.join(SPLITS)}")
        return make_split(split, SyntheticConfig(size=square_side(size), channels=channels, seed=seed))
    check_size(size, channels)
    return read_samples(list_split(layout, split, root=root, category=category, seed=seed), size, channels)


def square_side(size: Size) -> int:
    """The side of a square `size`; the synthetic generator makes only square images."""
    height, width = height_width(size)
    if height != width:
        raise ModelsError(f"the built-in synthetic images are square, not {height}x{width}",
                          "ask for a square size, or train on a dataset on disk for other shapes")
    return height


def load_folder(root: str | Path, *, size: Size = 64, channels: int = 1) -> Samples:
    """Every image of one folder-layout folder (good/, defect/, masks/), unsplit: a generated set."""
    check_size(size, channels)
    return read_samples(layouts.labelled_folder(Path(root)), size, channels)


__all__ = ["LAYOUTS", "Samples", "SyntheticConfig", "class_names", "concatenate", "height_width", "list_split",
           "load_folder", "load_split", "make_split", "square_side"]
