"""`tinyctl train --size HxW`: parsing, the config's geometry, zoo configs at [height, width], flips only;
and a class-folder dataset is trained only when it has two classes (normal, defective)."""

import numpy as np
import pytest
import torch
from PIL import Image

from tinyctl.models.train import TrainConfig, main
from tinyctl.models.training.cli import parse_config
from tinyctl.models.training.tasks import square_symmetries
from tinyctl.models.zoo import build_model

ON_DISK = ["--dataset", "ksdd2", "--data-root", "somewhere"]


def test_size_height_by_width_for_a_dataset_on_disk():
    config, _, _ = parse_config([*ON_DISK, "--size", "48x128"])
    assert config.input_hw == (48, 128) and config.model_config()["input_size"] == [48, 128]
    assert "--size 48x128" in config.command()
    assert TrainConfig.from_dict(config.to_dict()) == config  # what --resume reads back


@pytest.mark.parametrize("text", ["64", "64x64"])
def test_a_square_size_is_the_dataset_side_as_before(text):
    config, _, _ = parse_config([*ON_DISK, "--size", text])
    assert config.image_size is None and config.dataset.size == 64 and config.model_config()["input_size"] == 64


@pytest.mark.parametrize("argv, message", [
    (["--size", "48x128"], "synthetic images are square"),
    ([*ON_DISK, "--size", "48by128"], "HEIGHTxWIDTH"),
    ([*ON_DISK, "--size", "4x128"], "at least 8 pixels"),
    ([*ON_DISK, "--size", "44x128"], "multiples of 8"),  # binary_cnn halves the input three times
])
def test_bad_sizes_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("arch, options", [("binary_cnn", {}), ("classifier", {"backbone": "resnet8"}),
                                            ("supersimplenet", {"backbone": "resnet8", "feature_strides": [2, 4]})])
def test_zoo_detectors_take_a_wide_input(arch, options):
    model = build_model(arch, {**options, "input_size": [48, 128]}).eval()
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 48, 128)).shape[0] == 2


def test_non_square_images_are_flipped_never_transposed():
    images = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 1, 3, 4)
    for seed in range(8):
        out = square_symmetries([images], torch.Generator().manual_seed(seed))[0]
        assert out.shape == images.shape
        for got, was in zip(out, images):
            assert any(torch.equal(got, flipped) for flipped in (was, was.flip(-1), was.flip(-2), was.flip(-1, -2)))


def test_square_images_keep_their_draws():
    images = torch.rand(16, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    out = square_symmetries([images], torch.Generator().manual_seed(3))[0]
    assert any(torch.equal(o, i.transpose(-1, -2)) and not torch.equal(o, i) for o, i in zip(out, images))


def test_training_on_class_folders_needs_two_classes(tmp_path, capsys):
    for index, name in enumerate(("a_good", "b_scratch", "c_dent")):
        (tmp_path / name).mkdir()
        for i in range(5):
            Image.fromarray(np.full((16, 24), 60 * index, dtype=np.uint8)).save(tmp_path / name / f"{i}.png")
    argv = ["--dataset", "classes", "--data-root", str(tmp_path), "--size", "16x24", "--epochs", "1",
            "--model-opt", "widths=4,8", "--out", str(tmp_path / "c.pt"), "--quiet"]
    assert main(argv) == 2 and "more than two classes" in capsys.readouterr().err
