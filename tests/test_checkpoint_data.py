"""A checkpoint knows its data: trained on a KolektorSDD2-layout folder of 232x640 images at 48x128, it is
calibrated and validated on that folder by `tinyctl build -m` with no data flag, never on synthetic images;
the report names the folder; a folder that is gone stops the build with the flag to pass."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinyctl.console import console, print_build_summary
from tinyctl.datasets import calibration_set
from tinyctl.errors import TinyctlError
from tinyctl.model_source import load_source, preprocess
from tinyctl.models.checkpoint import load_checkpoint
from tinyctl.models.checkpoint_schema import dataset_problem
from tinyctl.models.data import load_split
from tinyctl.models.data.record import recorded_dataset
from tinyctl.models.metrics import average_precision
from tinyctl.models.train import main as train_main
from tinyctl.models.train import predict
from tinyctl.pipeline import BuildOptions, build

SIZE = (48, 128)  # KolektorSDD2's 232x640 at about a fifth, still wide
COUNTS = {"train": 30, "test": 16}


def _ksdd2(root: Path) -> Path:
    """KSDD2 layout: 232x640 gray surfaces, every other one with a bright scratch its _GT mask covers."""
    rng = np.random.default_rng(0)
    for split, count in COUNTS.items():
        (root / split).mkdir(parents=True)
        for i in range(count):
            image = rng.integers(90, 140, (232, 640), dtype=np.uint8)
            mask = np.zeros((232, 640), dtype=np.uint8)
            if i % 2:
                left = rng.integers(40, 560)
                image[60:170, left:left + 40] = 250
                mask[60:170, left:left + 40] = 255
            Image.fromarray(image).save(root / split / f"{10000 + i}.png")
            Image.fromarray(mask).save(root / split / f"{10000 + i}_GT.png")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(dataset root, checkpoint) from `tinyctl train --dataset ksdd2 --data-root DIR --size 48x128`."""
    base = tmp_path_factory.mktemp("ksdd2-ckpt")
    root, out = _ksdd2(base / "ksdd2"), base / "det.pt"
    argv = ["--dataset", "ksdd2", "--data-root", str(root), "--size", "x".join(map(str, SIZE)), "--epochs", "2",
            "--batch-size", "8", "--device", "cpu", "--out", str(out), "--quiet"]
    assert train_main(argv) == 0
    return root, out


@pytest.fixture(scope="module")
def built(trained, tmp_path_factory):
    root, checkpoint = trained
    return build(BuildOptions(target="host", model=str(checkpoint), out=str(tmp_path_factory.mktemp("b") / "b"),
                              calibration_samples=200))


def test_the_checkpoint_records_its_dataset(trained):
    root, out = trained
    pre = load_checkpoint(out).preprocessing
    assert pre["input_shape"] == [1, *SIZE]
    assert pre["dataset"] == {"layout": "ksdd2", "root": str(root.resolve()), "category": None,
                              "size": list(SIZE), "channels": 1, "seed": 0}


def test_calibration_draws_the_folders_training_images(trained):
    root, out = trained
    train = load_split("ksdd2", "train", root=root, size=SIZE)
    calibration = calibration_set(load_source(out), 200, seed=0)
    assert calibration.shape == (len(train), 1, *SIZE) and len(train) == round(0.8 * COUNTS["train"])
    assert np.array_equal(calibration, train.images)  # every training image, in order, and nothing else


def test_build_validates_on_the_folder_and_names_it(trained, built):
    root, out = trained
    directory, report = built
    test = load_split("ksdd2", "test", root=root, size=SIZE)
    validation = report["validation"]
    assert validation["data"] == {"spec": f"ksdd2:{root.resolve()}", "split": "test", "count": COUNTS["test"],
                                  "description": f"KolektorSDD2 at {root.resolve()}, test split, {COUNTS['test']} images"}
    assert validation["samples"] == len(test) and validation["positives"] == int(test.labels.sum())
    # the float model's AP in the report is its AP on the folder's test images, not on any other set
    scores = predict(load_checkpoint(out).model, preprocess(test.images, {}))
    assert validation["runtimes"]["float_torch"]["ap"] == pytest.approx(average_precision(scores, test.labels))
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["inputs"]["calibration"]["dataset"]["root"] == str(root.resolve())
    assert validation["data"]["description"] in (directory / "report.html").read_text()
    with console.capture() as captured:
        print_build_summary(directory, report)
    assert f"KolektorSDD2 at {root.resolve()}" in " ".join(captured.get().split())


def test_a_folder_that_is_gone_stops_the_build(trained, tmp_path):
    root, out = trained
    moved = root.rename(root.with_name("moved"))
    try:
        with pytest.raises(TinyctlError) as error:
            build(BuildOptions(target="host", model=str(out), out=str(tmp_path / "b")))
    finally:
        moved.rename(root)
    assert str(root.resolve()) in error.value.message and "--data ksdd2:" in error.value.hint
    assert not (tmp_path / "b").exists()


def test_records_of_old_checkpoints_read_as_before():
    synthetic = {"size": 64, "channels": 1, "n_train": 2000, "n_val": 400, "n_test": 400, "defect_fraction": 0.5,
                 "seed": 0}
    assert recorded_dataset({"dataset": synthetic}) == synthetic  # the shipped checkpoint: what its manifest pins
    assert load_source(None).dataset == synthetic
    folder = recorded_dataset({"dataset": synthetic, "source": {"layout": "folder", "root": "/d", "category": None}})
    assert folder["layout"] == "folder" and folder["root"] == "/d" and folder["size"] == 64


@pytest.mark.parametrize("record, problem", [
    ({"layout": "coco", "root": "/d"}, "layout must be one of"),
    ({"layout": "ksdd2", "size": [48, 128]}, "root must be the dataset folder"),
    ({"layout": "ksdd2", "root": "/d", "size": [48, 0]}, "a side or [height, width]"),
    ({"layout": "ksdd2", "root": "/d", "channels": 4}, "channels must be 1 or 3"),
    ({"layout": "synthetic", "size": [32, 64]}, "the built-in synthetic set is square"),
])
def test_bad_records_are_refused(record, problem):
    assert problem in dataset_problem(record)
    assert dataset_problem({"layout": "ksdd2", "root": "/d", "size": [48, 128], "channels": 1}) is None
