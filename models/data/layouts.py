"""Real dataset layouts on disk: MVTec AD, VisA (prepared or as downloaded), KSDD2, a plain folder and
class subfolders (the ImageFolder convention).

Each reader lists (image, label, mask) items per official split; `split_items` then carves the
validation split deterministically (see `load_split` for the rule per layout).
"""

import csv
from pathlib import Path

import numpy as np

from ..errors import ModelsError
from .files import Item, image_files, mask_has_defect

VAL_SHARE = 0.2  # share of the carved-from split that becomes the validation split
NORMAL = "good"

MVTEC_LAYOUT = "<cat>/train/good, <cat>/test/<defect>, <cat>/ground_truth/<defect>/<name>_mask.png"
VISA_LAYOUT = (
    "<cat>/train/good, <cat>/test/{good,bad}, <cat>/ground_truth/bad/<name>.png"
    " (or the download: split_csv/1cls.csv with <cat>/Data/{Images,Masks})"
)
KSDD2_LAYOUT = "train/ and test/ holding <id>.png with <id>_GT.png"
FOLDER_LAYOUT = "good/ and defect/ [+ masks/<name>.png], optionally inside train/ and test/"
CLASSES_LAYOUT = "one subfolder of images per class (classes in name order), optionally inside train/ and test/"


def _require_dir(folder: Path, layout: str, expected: str) -> Path:
    if not folder.is_dir():
        raise ModelsError(
            f"no {folder} folder: expected the {layout} layout {expected}",
            "point --root at the dataset folder or pick the layout that matches it",
        )
    return folder


def _category_dir(root: Path, category: str | None, layout: str, expected: str) -> Path:
    """The category folder: root/<category>, or root itself when it already is one."""
    if category is not None:
        return root / category
    if (root / "train" / NORMAL).is_dir():
        return root
    found = sorted(p.name for p in root.iterdir() if (p / "train" / NORMAL).is_dir()) if root.is_dir() else []
    raise ModelsError(
        f"the {layout} layout needs a category under {root}: expected {expected}",
        f"pass category= one of {', '.join(found)}" if found else "check the root folder",
    )


def _mask_for(image: Path, folder: Path, suffixes: tuple[str, ...]) -> Path | None:
    """The mask of `image` in `folder`, named <stem><suffix>.png for the first suffix present."""
    for suffix in suffixes:
        candidate = folder / f"{image.stem}{suffix}.png"
        if candidate.is_file():
            return candidate
    return None


def _anomaly_split(category: Path, split: str, layout: str, expected: str) -> list[Item]:
    """MVTec-style split: `good` is normal, every other folder a defect type with masks."""
    folder = _require_dir(category / split, layout, expected)
    items: list[Item] = []
    for defect in sorted(p for p in folder.iterdir() if p.is_dir()):
        if defect.name == NORMAL:
            items += [(image, 0, None) for image in image_files(defect)]
            continue
        for image in image_files(defect):
            mask = _mask_for(image, category / "ground_truth" / defect.name, ("_mask", ""))
            if mask is None:
                raise ModelsError(
                    f"no mask for {image}: expected {category}/ground_truth/{defect.name}/{image.stem}_mask.png",
                    f"the {layout} layout is {expected}",
                )
            items.append((image, 1, mask))
    return items


def mvtec_like(root: Path, category: str | None, layout: str) -> dict[str, list[Item]]:
    """MVTec AD or prepared VisA (the same shape; VisA names its one defect folder `bad`)."""
    expected = MVTEC_LAYOUT if layout == "MVTec AD" else VISA_LAYOUT
    folder = _category_dir(root, category, layout, expected)
    _require_dir(folder / "train" / NORMAL, layout, expected)
    return {split: _anomaly_split(folder, split, layout, expected) for split in ("train", "test")}


def _visa_raw(root: Path, table: Path, category: str | None) -> dict[str, list[Item]]:
    """VisA as downloaded: split_csv/1cls.csv rows object,split,label,image,mask (paths from root)."""
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    objects = sorted({row["object"] for row in rows})
    if category not in objects:
        raise ModelsError(f"no category {category!r} in {table}", f"pass category= one of {', '.join(objects)}")
    splits: dict[str, list[Item]] = {"train": [], "test": []}
    for row in rows:
        if row["object"] == category:
            label = int(row["label"] == "anomaly")
            mask = root / row["mask"] if row.get("mask") else None
            splits[row["split"]].append((root / row["image"], label, mask))
    return splits


def visa(root: Path, category: str | None) -> dict[str, list[Item]]:
    """VisA in anomalib's prepared layout, or as downloaded (with its split_csv/1cls.csv)."""
    table = root / "split_csv" / "1cls.csv"
    return _visa_raw(root, table, category) if table.is_file() else mvtec_like(root, category, "VisA")


def ksdd2(root: Path) -> dict[str, list[Item]]:
    """KSDD2: positive iff <id>_GT.png has a non-zero pixel; `(copy)` duplicates skipped."""
    splits = {}
    for split in ("train", "test"):
        folder = _require_dir(root / split, "KSDD2", KSDD2_LAYOUT)
        images = [p for p in image_files(folder) if "(copy)" not in p.name and not p.stem.endswith("_GT")]
        items: list[Item] = []
        for image in images:
            mask = folder / f"{image.stem}_GT.png"
            if not mask.is_file():
                raise ModelsError(f"no mask {mask} for {image}", f"the KSDD2 layout is {KSDD2_LAYOUT}")
            items.append((image, int(mask_has_defect(mask)), mask))
        splits[split] = items
    return splits


def labelled_folder(folder: Path) -> list[Item]:
    """good/ (normal) and defect/ (defective, masks from masks/ when present) in one folder."""
    if not ((folder / NORMAL).is_dir() or (folder / "defect").is_dir()):
        raise ModelsError(
            f"no {folder}/good or {folder}/defect folder: expected the folder layout {FOLDER_LAYOUT}",
            "put normal images in good/ and defective ones in defect/",
        )
    items: list[Item] = []
    for name, label in ((NORMAL, 0), ("defect", 1)):
        if (folder / name).is_dir():
            items += [
                (image, label, _mask_for(image, folder / "masks", ("", "_mask", "_GT")))
                for image in image_files(folder / name)
            ]
    return items


def folder(root: Path, category: str | None) -> dict[str, list[Item]]:
    """The folder layout, already split (train/, test/) or as one pool (`pool` key)."""
    base = root if category is None else root / category
    _require_dir(base, "folder", FOLDER_LAYOUT)
    if (base / "train").is_dir() and (base / "test").is_dir():
        return {split: labelled_folder(base / split) for split in ("train", "test")}
    return {"pool": labelled_folder(base)}


def _class_base(root: Path, category: str | None) -> tuple[Path, bool]:
    """(the folder holding the classes or train/ and test/, whether it is split into train/ and test/)."""
    base = _require_dir(root if category is None else root / category, "classes", CLASSES_LAYOUT)
    return base, (base / "train").is_dir() and (base / "test").is_dir()


def _class_folders(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(found) < 2:
        raise ModelsError(
            f"{folder} holds {len(found)} class folder(s): expected the classes layout {CLASSES_LAYOUT}",
            "make one subfolder per class (at least two) and put each class's images in its own",
        )
    return found


def class_names(root: str | Path, category: str | None = None) -> list[str]:
    """The classes of a classes-layout dataset in label order (label = index): its subfolders by name."""
    base, split = _class_base(Path(root), category)
    return [folder.name for folder in _class_folders(base / "train" if split else base)]


def _class_items(folder: Path, names: list[str]) -> list[Item]:
    items: list[Item] = []
    for found in _class_folders(folder):
        if found.name not in names:
            raise ModelsError(f"class folder {found} is not among the training classes {', '.join(names)}",
                              "give train/ and test/ the same class subfolders")
        images = image_files(found)
        if not images:
            raise ModelsError(f"class folder {found} holds no images", "add its images or remove the folder")
        items += [(image, names.index(found.name), None) for image in images]
    return items


def classes(root: Path, category: str | None) -> dict[str, list[Item]]:
    """Class subfolders, already split (train/, test/) or as one pool; labels are class indices, masks empty."""
    base, split = _class_base(root, category)
    names = class_names(root, category)
    if split:
        return {part: _class_items(base / part, names) for part in ("train", "test")}
    return {"pool": _class_items(base, names)}


def carve(groups: list, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, carved) sorted indices: `share` of each group, picked by a seeded permutation."""
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    carved = []
    for group in sorted(set(groups.tolist())):
        members = np.flatnonzero(groups == group)
        carved += rng.permutation(members)[: round(share * len(members))].tolist()
    carved = np.sort(np.asarray(carved, dtype=np.int64))
    return np.setdiff1d(np.arange(len(groups)), carved), carved


def _group(item: Item) -> str:
    """Stratum of an item for carving: its folder (the defect type in MVTec) and its label."""
    image, label, _ = item
    return f"{image.parent.name}:{label}"


def _take(items: list[Item], indices: np.ndarray) -> list[Item]:
    return [items[i] for i in indices]


def split_items(official: dict[str, list[Item]], split: str, val_from: str, seed: int) -> list[Item]:
    """Items of `split` once val is carved out of the official split `val_from`."""
    if "pool" in official:  # one pool: test, then val, each VAL_SHARE of the whole
        pool = official["pool"]
        rest, test = carve([_group(item) for item in pool], VAL_SHARE, seed)
        if split == "test":
            return _take(pool, test)
        official = {"train": _take(pool, rest)}
        val_from, share = "train", VAL_SHARE / (1 - VAL_SHARE)
        seed += 1
    else:
        share = VAL_SHARE
    source = official[val_from]
    kept, carved = carve([_group(item) for item in source], share, seed)
    if split == "val":
        return _take(source, carved)
    return _take(source, kept) if split == val_from else official[split]
