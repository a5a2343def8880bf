"""Training entry point: a tiny end-to-end run and argument errors."""

import math

import pytest
import torch

from tinyctl.models.checkpoint import load_checkpoint
from tinyctl.models.train import TrainConfig, main
from tinyctl.models.training.cli import parse_config


def test_tiny_run_writes_a_loadable_checkpoint(tmp_path, capsys):
    out = tmp_path / "tiny.pt"
    status = main(["--epochs", "1", "--n-train", "64", "--size", "32", "--batch-size", "16", "--out", str(out), "--quiet"])
    assert status == 0
    checkpoint = load_checkpoint(out)
    assert math.isfinite(checkpoint.threshold)
    assert checkpoint.preprocessing["input_shape"] == [1, 32, 32]
    assert checkpoint.meta["command"].startswith("tinyctl train --arch binary_cnn --epochs 1")
    assert set(checkpoint.meta["test"]) == {"auroc", "ap", "f1_max", "accuracy"}
    printed = capsys.readouterr().out
    assert "AUROC" in printed and str(out) in printed


@pytest.mark.parametrize(
    "argv",
    [["--epochs", "0"], ["--lr", "-1"], ["--size", "60"], ["--channels", "2"], ["--epochs", "many"]],
)
def test_bad_arguments_exit_with_a_usage_message(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "tinyctl train: error:" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["4,8,16", "[4,8,16]", "[4, 8, 16]", "(4,8,16)"])
def test_model_opt_lists_read_bare_or_in_brackets(text):
    config, _, _ = parse_config(["--model-opt", f"widths={text}"])
    assert list(config.model_config()["widths"]) == [4, 8, 16]


def test_config_rejects_geometry_that_disagrees_with_the_dataset():
    with pytest.raises(ValueError, match="in_channels"):
        TrainConfig(model={"in_channels": 3})
    with pytest.raises(ValueError, match="unknown arch"):
        TrainConfig(arch="mlp")


@pytest.mark.parametrize("argv, batch, lr", [([], 256, 8e-3), (["--lr", "1e-3"], 256, 1e-3),
                                             (["--batch-size", "32"], 32, 4e-3), (["--device", "cpu"], 64, 4e-3)])
def test_cuda_gets_larger_default_batches_with_the_learning_rate_scaled(monkeypatch, argv, batch, lr):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    config, _, _ = parse_config(argv)
    assert (config.batch_size, config.lr) == (batch, pytest.approx(lr))


def test_the_cpu_keeps_the_recipe_batch(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    config, _, _ = parse_config([])
    assert (config.batch_size, config.lr) == (64, 4e-3)
