"""Layouts on disk at any height x width (aspect kept, masks alike) and the `classes` layout (ImageFolder)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinyctl.models.data import class_names, list_split, load_folder, load_split
from tinyctl.models.data.files import image_array, read_mask
from tinyctl.models.errors import ModelsError

WIDE = (64, 176)  # (height, width) of KolektorSDD2's 232x640 at about a quarter


def _ksdd2_like(root: Path) -> Path:
    """Two splits of 232x640 gray images, each with a _GT mask covering its left half when defective."""
    rng = np.random.default_rng(0)
    for split, count in (("train", 5), ("test", 4)):
        (root / split).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 256, (640, 232), dtype=np.uint8)).save(root / split / f"{i}.png")
            mask = np.zeros((640, 232), dtype=np.uint8)
            if i % 2:
                mask[:, :116] = 255
            Image.fromarray(mask).save(root / split / f"{i}_GT.png")
    return root


def test_images_and_masks_read_at_height_by_width(tmp_path):
    samples = load_split("ksdd2", "test", root=_ksdd2_like(tmp_path), size=(160, 58))
    assert samples.images.shape == (4, 1, 160, 58) and samples.masks.shape == (4, 160, 58)
    defective = samples.masks[samples.labels == 1]
    assert defective[:, :, :29].all() and not defective[:, :, 29:].any()  # the left half, at the new width


def test_a_side_still_means_square(tmp_path):
    samples = load_split("ksdd2", "test", root=_ksdd2_like(tmp_path), size=32)
    assert samples.images.shape == (4, 1, 32, 32)


def test_wide_image_keeps_its_content_where_it_was():
    ramp = np.tile(np.linspace(0, 255, 640, dtype=np.float32), (232, 1)).astype(np.uint8)  # dark left, bright right
    array = image_array(Image.fromarray(ramp), WIDE, 1)
    assert array.shape == (1, *WIDE)
    columns = array[0].mean(axis=0)
    assert np.all(np.diff(columns) >= 0) and columns[0] < 0.05 and columns[-1] > 0.95
    assert np.allclose(array[0], array[0, :1])  # every row alike: rows were not mixed with columns


def test_mask_resize_keeps_aspect(tmp_path):
    mask = np.zeros((232, 640), dtype=np.uint8)
    mask[:116, 320:] = 255  # the top-right quarter
    Image.fromarray(mask).save(tmp_path / "m.png")
    small = read_mask(tmp_path / "m.png", WIDE)
    assert small.shape == WIDE
    assert small[:32, 88:].all() and small.sum() == 32 * 88


def test_rgb_at_height_by_width_and_bad_channels(tmp_path):
    image = Image.fromarray(np.zeros((30, 90, 3), dtype=np.uint8))
    assert image_array(image, (10, 30), 3).shape == (3, 10, 30)
    root = _ksdd2_like(tmp_path)
    with pytest.raises(ValueError, match="channels must be 1 .* or 3 .*got 4"):
        load_split("ksdd2", "test", root=root, size=WIDE, channels=4)
    with pytest.raises(ValueError, match="at least 8 pixels"):
        load_split("ksdd2", "test", root=root, size=(4, 64))
    with pytest.raises(ValueError, match="height, width"):
        load_split("ksdd2", "test", root=root, size=(32, 32, 1))


def test_synthetic_layout_refuses_a_non_square_size():
    with pytest.raises(ModelsError, match="square"):
        load_split("synthetic", "test", size=(32, 64))
    assert load_split("synthetic", "val", size=(32, 32)).images.shape[2:] == (32, 32)


def test_folder_reads_at_height_by_width(tmp_path):
    for name in ("good", "defect"):
        (tmp_path / name).mkdir()
        Image.fromarray(np.zeros((20, 60), dtype=np.uint8)).save(tmp_path / name / "a.png")
    assert load_folder(tmp_path, size=(16, 48)).images.shape == (2, 1, 16, 48)


def _classes(root: Path, names=("cat", "ant", "bee"), per_class=5) -> Path:
    for index, name in enumerate(names):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(np.full((12, 20, 3), 40 * index, dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def test_classes_layout_labels_are_name_order_indices(tmp_path):
    root = _classes(tmp_path)
    assert class_names(root) == ["ant", "bee", "cat"]
    splits = {split: load_split("classes", split, root=root, size=(12, 20), channels=3)
              for split in ("train", "val", "test")}
    assert [len(s) for s in splits.values()] == [9, 3, 3]  # 60/20/20 of each class
    for samples in splits.values():
        assert np.bincount(samples.labels).tolist() == [len(samples) // 3] * 3  # stratified per class
        assert not samples.masks.any()
        for path, label in zip(samples.paths, samples.labels):
            assert Path(path).parent.name == class_names(root)[label]
            assert samples.images[list(samples.paths).index(path), 0, 0, 0] == pytest.approx(
                40 * ("cat", "ant", "bee").index(Path(path).parent.name) / 255)
    every = sorted(p for s in splits.values() for p in s.paths)
    assert len(set(every)) == 15


def test_classes_with_train_and_test_folders(tmp_path):
    _classes(tmp_path / "train", ("no", "yes"), per_class=5)
    _classes(tmp_path / "test", ("no", "yes"), per_class=2)
    assert class_names(tmp_path) == ["no", "yes"]
    test = load_split("classes", "test", root=tmp_path, size=12)
    assert test.labels.tolist() == [0, 0, 1, 1]
    assert len(list_split("classes", "val", root=tmp_path)) == 2  # 20% of each training class


def _one_class(root: Path) -> Path:
    return _classes(root, ("only",))


def _empty_class(root: Path) -> Path:
    _classes(root, ("a", "b"))
    (root / "c").mkdir()
    return root


def _unknown_test_class(root: Path) -> Path:
    _classes(root / "train", ("a", "b"))
    _classes(root / "test", ("a", "z"))
    return root


@pytest.mark.parametrize("make, match", [(_one_class, "1 class folder"), (_empty_class, "holds no images"),
                                         (_unknown_test_class, "not among the training classes")])
def test_classes_layout_errors(tmp_path, make, match):
    root = make(tmp_path / "data")
    with pytest.raises(ModelsError, match=match) as error:
        load_split("classes", "test", root=root, size=12)
    assert error.value.hint


def test_classes_of_a_missing_folder(tmp_path):
    with pytest.raises(ModelsError, match="classes layout"):
        class_names(tmp_path / "gone")
