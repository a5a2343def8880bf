"""Real dataset layouts on tiny generated fixtures: MVTec AD, KSDD2, VisA, folder; wrong layouts."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinyctl.models.data import LAYOUTS, Samples, load_split, make_split
from tinyctl.models.data.files import binarise_mask
from tinyctl.models.data.synthetic import Samples as SyntheticSamples
from tinyctl.models.data.synthetic import SyntheticConfig
from tinyctl.models.errors import ModelsError

LAYOUT_SPLITS = ("train", "val", "test")
SIDE = (40, 30)  # (width, height) of fixture files: not square, not the load size


def _write_image(path: Path, rng: np.random.Generator, mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (SIDE[1], SIDE[0], 3) if mode == "RGB" else (SIDE[1], SIDE[0])
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path)


def _write_mask(path: Path, defect: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mask = np.zeros((SIDE[1], SIDE[0]), dtype=np.uint8)
    if defect:
        mask[5:20, 10:25] = 255
    Image.fromarray(mask).save(path)


def _mvtec(root: Path, defect_folder: str = "crack", mask_suffix: str = "_mask") -> Path:
    rng = np.random.default_rng(0)
    cat = root / "bottle"
    for i in range(6):
        _write_image(cat / "train" / "good" / f"{i:03d}.png", rng)
    for i in range(5):
        _write_image(cat / "test" / "good" / f"{i:03d}.png", rng)
    for defect in (defect_folder,) if defect_folder == "bad" else (defect_folder, "scratch"):
        for i in range(5):
            _write_image(cat / "test" / defect / f"{i:03d}.png", rng)
            _write_mask(cat / "ground_truth" / defect / f"{i:03d}{mask_suffix}.png", True)
    return root


def _ksdd2(root: Path) -> Path:
    rng = np.random.default_rng(1)
    for split, count in (("train", 10), ("test", 5)):
        for i in range(count):
            _write_image(root / split / f"{10000 + i}.png", rng)
            _write_mask(root / split / f"{10000 + i}_GT.png", defect=i % 3 == 0)
    _write_image(root / "train" / "10001 (copy).png", rng)
    _write_mask(root / "train" / "10001_GT (copy).png", True)
    return root


def _folder(root: Path) -> Path:
    rng = np.random.default_rng(2)
    for i in range(10):
        _write_image(root / "good" / f"g{i}.jpg", rng, mode="L")
    for i in range(5):
        _write_image(root / "defect" / f"d{i}.png", rng)
        if i < 3:
            _write_mask(root / "masks" / f"d{i}.png", True)
    return root


def _check(samples: Samples, size: int, channels: int) -> None:
    n = len(samples)
    assert samples.images.shape == (n, channels, size, size) and samples.images.dtype == np.float32
    assert samples.labels.dtype == np.int64 and samples.masks.shape == (n, size, size)
    assert samples.masks.dtype == np.uint8 and set(np.unique(samples.masks)) <= {0, 1}
    assert 0.0 <= samples.images.min() and samples.images.max() <= 1.0
    assert samples.paths is not None and len(samples.paths) == n


@pytest.mark.parametrize("layout, defect_folder, suffix", [("mvtec", "crack", "_mask"), ("visa", "bad", "")])
def test_mvtec_and_visa_splits(tmp_path, layout, defect_folder, suffix):
    root = _mvtec(tmp_path, defect_folder, suffix)
    splits = {s: load_split(layout, s, root=root, category="bottle", size=16, channels=3) for s in LAYOUT_SPLITS}
    for samples in splits.values():
        _check(samples, 16, 3)
    train, val, test = splits["train"], splits["val"], splits["test"]
    assert len(train) == 6 and train.labels.sum() == 0
    n_test = 5 + (5 if layout == "visa" else 10)
    assert len(val) + len(test) == n_test and set(val.paths).isdisjoint(test.paths)
    assert set(val.labels) == {0, 1}  # stratified: both classes to score on
    for samples in (val, test):  # a defect image has a mask, a good one none
        assert np.array_equal(samples.masks.reshape(len(samples), -1).any(1), samples.labels == 1)
    # The root may be the category folder itself.
    same = load_split(layout, "val", root=root / "bottle", size=16, channels=3)
    assert same.paths == val.paths and np.array_equal(same.images, val.images)



def test_visa_as_downloaded_reads_its_split_table(tmp_path):
    rng = np.random.default_rng(3)
    rows = ["object,split,label,image,mask"]
    for i in range(8):
        image = f"candle/Data/Images/Normal/{i:04d}.JPG"
        _write_image(tmp_path / image, rng)
        rows.append(f"candle,{'train' if i < 5 else 'test'},normal,{image},")
    for i in range(5):
        image, mask = f"candle/Data/Images/Anomaly/{i:03d}.JPG", f"candle/Data/Masks/Anomaly/{i:03d}.png"
        _write_image(tmp_path / image, rng)
        _write_mask(tmp_path / mask, True)
        rows.append(f"candle,test,anomaly,{image},{mask}")
    rows.append("pcb1,train,normal,pcb1/Data/Images/Normal/0000.JPG,")
    (tmp_path / "split_csv").mkdir()
    (tmp_path / "split_csv" / "1cls.csv").write_text("\n".join(rows) + "\n")
    train, val, test = (load_split("visa", s, root=tmp_path, category="candle", size=16) for s in LAYOUT_SPLITS)
    assert len(train) == 5 and train.labels.sum() == 0
    assert len(val) == 2 and val.labels.tolist() == [0, 1] and len(test) == 6 and test.labels.sum() == 4
    assert np.array_equal(test.masks.reshape(6, -1).any(1), test.labels == 1)
    with pytest.raises(ModelsError, match="candle, pcb1"):
        load_split("visa", "train", root=tmp_path, category="fryum")


def test_ksdd2_labels_from_masks_and_copies_skipped(tmp_path):
    root = _ksdd2(tmp_path)
    train, val, test = (load_split("ksdd2", s, root=root, size=24) for s in LAYOUT_SPLITS)
    for samples in (train, val, test):
        _check(samples, 24, 1)
        assert np.array_equal(samples.masks.reshape(len(samples), -1).any(1), samples.labels == 1)
    assert not any("(copy)" in p for p in train.paths + val.paths)
    assert len(train) + len(val) == 10 and len(val) == 2 and set(val.labels) == {0, 1}
    assert len(test) == 5 and test.labels.tolist() == [1, 0, 0, 1, 0]


def test_folder_pool_split_and_optional_masks(tmp_path):
    root = _folder(tmp_path)
    splits = [load_split("folder", s, root=root, size=16) for s in LAYOUT_SPLITS]
    assert [len(s) for s in splits] == [9, 3, 3]
    paths = [set(s.paths) for s in splits]
    assert len(paths[0] | paths[1] | paths[2]) == 15
    labels = np.concatenate([s.labels for s in splits])
    with_mask = np.concatenate([s.masks.reshape(len(s), -1).any(1) for s in splits])
    assert labels.sum() == 5 and with_mask.sum() == 3  # d3, d4 have no mask file: labelled, no pixels


def test_folder_with_train_and_test_subfolders(tmp_path):
    for split in ("train", "test"):
        _folder(tmp_path / split)
    assert len(load_split("folder", "test", root=tmp_path, size=16)) == 15
    assert len(load_split("folder", "train", root=tmp_path, size=16)) == 12


def test_val_carve_out_follows_seed(tmp_path):
    root = _ksdd2(tmp_path)
    first = load_split("ksdd2", "val", root=root, size=16, seed=0).paths
    assert load_split("ksdd2", "val", root=root, size=16, seed=0).paths == first
    others = {load_split("ksdd2", "val", root=root, size=16, seed=s).paths for s in range(1, 6)}
    assert others - {first}


def test_mask_resize_keeps_thin_defects():
    thin = np.zeros((100, 100), dtype=bool)
    thin[50, 10:90] = True  # one pixel wide: covers 1/5 of each 5x5 output pixel
    assert binarise_mask(thin, 20).sum() > 0
    block = np.zeros((100, 100), dtype=bool)
    block[:50] = True
    assert binarise_mask(block, 20)[:10].all() and not binarise_mask(block, 20)[10:].any()


def test_synthetic_layout_is_make_split():
    samples = load_split("synthetic", "test", size=16, channels=3, seed=2)
    reference = make_split("test", SyntheticConfig(size=16, channels=3, seed=2))
    assert np.array_equal(samples.images, reference.images) and samples.paths is None
    assert SyntheticSamples is Samples and set(LAYOUTS) == {"synthetic", "mvtec", "ksdd2", "visa", "folder", "classes"}


@pytest.mark.parametrize(
    "layout, make, match",
    [
        ("mvtec", _ksdd2, "MVTec AD layout <cat>/train/good"),
        ("ksdd2", lambda p: _mvtec(p), "KSDD2 layout"),
        ("visa", lambda p: p, "needs a category"),
        ("folder", _ksdd2, "folder layout good/ and defect/"),
    ],
)
def test_wrong_layout_says_what_was_expected(tmp_path, layout, make, match):
    make(tmp_path)
    with pytest.raises(ModelsError, match=match):
        load_split(layout, "train", root=tmp_path, category="bottle" if layout == "mvtec" else None)


def test_missing_mask_bad_names_and_paths(tmp_path):
    root = _mvtec(tmp_path)
    (root / "bottle" / "ground_truth" / "crack" / "002_mask.png").unlink()
    with pytest.raises(ModelsError, match="no mask for .*crack/002.png"):
        load_split("mvtec", "test", root=root, category="bottle")
    with pytest.raises(ModelsError, match="unknown dataset layout"):
        load_split("coco", "train", root=root)
    with pytest.raises(ModelsError, match="unknown split"):
        load_split("mvtec", "dev", root=root)
    with pytest.raises(ModelsError, match="needs a root"):
        load_split("ksdd2", "train")
    with pytest.raises(ModelsError, match="no .*missing/train folder"):
        load_split("ksdd2", "train", root=tmp_path / "missing")


def test_summary_cli_counts_splits_and_reports_a_wrong_layout(tmp_path):
    import typer
    from typer.testing import CliRunner

    from tinyctl.models.data.__main__ import summary

    app = typer.Typer()
    app.command()(summary)
    result = CliRunner().invoke(app, ["--layout", "ksdd2", "--root", str(_ksdd2(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2].split() == ["test", "5", "images,", "2", "defective,", "2", "with", "masks"]
    wrong = CliRunner().invoke(app, ["--layout", "mvtec", "--root", str(tmp_path), "--category", "bottle"])
    assert wrong.exit_code == 2 and "expected the MVTec AD layout" in wrong.output
