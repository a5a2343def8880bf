"""Checkpoints: round trip, every failure as CheckpointError, and the shipped default model."""

import pytest
import torch

from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT, CheckpointError, load_checkpoint, save_checkpoint
from tinyctl.models.data.synthetic import SyntheticConfig, make_split
from tinyctl.models.metrics import average_precision
from tinyctl.models.train import predict
from tinyctl.models.zoo import build_model

CONFIG = {"in_channels": 1, "input_size": 32, "widths": [4, 8]}
PREPROCESSING = {"input_shape": [1, 32, 32], "layout": "NCHW", "scale": 1 / 255, "mean": 0.0, "std": 1.0, "dataset": {}}


def _save(path, **overrides):
    torch.manual_seed(0)
    model = build_model("binary_cnn", CONFIG)
    arguments = dict(model=model, arch="binary_cnn", config=CONFIG, preprocessing=PREPROCESSING, threshold=0.25, meta={"seed": 0})
    save_checkpoint(path, **{**arguments, **overrides})
    return model


def test_round_trip(tmp_path):
    path = tmp_path / "nested" / "model.pt"
    model = _save(path)
    loaded = load_checkpoint(path)
    assert not loaded.model.training
    assert (loaded.arch, loaded.config, loaded.threshold, loaded.meta) == ("binary_cnn", CONFIG, 0.25, {"seed": 0})
    assert loaded.preprocessing == PREPROCESSING
    x = torch.rand(2, 1, 32, 32)
    assert torch.equal(loaded.model(x), model.eval()(x))
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no temp file left behind


def _payload(path) -> dict:
    return torch.load(path, weights_only=True)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint file.*tinyctl train"):
        load_checkpoint(tmp_path / "absent.pt")


def test_not_a_torch_file(tmp_path):
    path = tmp_path / "text.pt"
    path.write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint"):
        load_checkpoint(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "model.pt"
    _save(path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path)


def test_wrong_format_key(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not a tinyctl checkpoint"):
        load_checkpoint(path)


def test_unknown_arch(tmp_path):
    path = tmp_path / "model.pt"
    _save(path)
    torch.save({**_payload(path), "arch": "vit"}, path)
    with pytest.raises(CheckpointError, match="unknown architecture 'vit'.*binary_cnn"):
        load_checkpoint(path)


def test_state_dict_mismatch(tmp_path):
    path = tmp_path / "model.pt"
    _save(path)
    torch.save({**_payload(path), "config": {**CONFIG, "widths": [4, 16]}}, path)
    with pytest.raises(CheckpointError, match="weights do not match") as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value)


def test_unsupported_version(tmp_path):
    path = tmp_path / "model.pt"
    _save(path)
    torch.save({**_payload(path), "version": 99}, path)
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(path)


def test_save_refuses_non_plain_meta_and_bad_threshold(tmp_path):
    with pytest.raises(CheckpointError, match="meta"):
        _save(tmp_path / "a.pt", meta={"path": tmp_path})
    with pytest.raises(CheckpointError, match="finite"):
        _save(tmp_path / "b.pt", threshold=float("nan"))
    assert not list(tmp_path.iterdir())


def test_default_checkpoint_detects_defects_on_the_test_split():
    checkpoint = load_checkpoint(DEFAULT_CHECKPOINT)
    assert DEFAULT_CHECKPOINT.stat().st_size < 200_000
    dataset = SyntheticConfig(**checkpoint.preprocessing["dataset"])
    test = make_split("test", dataset)
    scores = predict(checkpoint.model, test.images)
    assert average_precision(scores, test.labels) >= 0.95
    assert checkpoint.meta["test"]["ap"] == pytest.approx(average_precision(scores, test.labels), abs=1e-6)
