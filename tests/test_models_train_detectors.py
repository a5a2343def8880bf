"""Training every detector kind through `tinyctl train`: TOML + flags, resume, SuperSimpleNet, CAM, torchrun."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from tinyctl.models.checkpoint import load_checkpoint
from tinyctl.models.data.synthetic import SyntheticConfig, default_splits
from tinyctl.models.train import main
from tinyctl.models.training.loop import fit
from tinyctl.models.zoo import build_model

TINY_DATA = "[dataset]\nsize = 32\nn_train = 48\nn_val = 32\nn_test = 32\n"
SMALL_SSN = ("seg_hidden = 16\ncls_hidden = 4\nblur_sigma = 1.0\nbackbone = \"mobilenet_v2\"\nweights = \"random\"\n"
             "feature_strides = [4, 8]\nmask_threshold = 0.1\n")


def _config(tmp_path, text: str):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return str(path)


def test_toml_config_with_flag_overrides(tmp_path):
    config = _config(tmp_path, f'arch = "classifier"\nepochs = 5\nbatch_size = 16\n[model]\nbackbone = "resnet8"\n{TINY_DATA}')
    out = tmp_path / "classifier.pt"
    assert main(["--config", config, "--epochs", "1", "--model-opt", "stage=1", "--out", str(out), "--quiet"]) == 0
    checkpoint = load_checkpoint(out)
    assert checkpoint.arch == "classifier" and checkpoint.config["stage"] == 1
    assert checkpoint.meta["train_config"]["epochs"] == 1  # the flag beat the file
    assert checkpoint.meta["train_config"]["dataset"]["n_val"] == 32
    assert "--model-opt stage=1" in checkpoint.meta["command"]


@pytest.mark.parametrize("text, message", [("epochs = 1\nbogus = 2\n", "unknown option"),
                                           ("[dataset]\nn_trian = 3\n", "unknown \\[dataset\\]"),
                                           ("epochs = \n", "not valid TOML")])
def test_bad_config_files_are_usage_errors(tmp_path, text, message, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--config", _config(tmp_path, text)])
    assert caught.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_resumed_fit_ends_where_the_uninterrupted_one_does():
    splits = default_splits(SyntheticConfig(size=32, n_train=48, n_val=32, n_test=8))
    saved = {}

    def run(state=None):
        torch.manual_seed(0)
        model = build_model("binary_cnn", {"input_size": 32, "widths": [4, 8]})
        keep = lambda epoch, model, metrics, threshold, s: saved.setdefault(epoch, s)  # noqa: E731
        fit(model, splits["train"], splits["val"], 3, 4e-3, batch_size=16, progress=False, state=state, on_validation=keep,
            val_every=1)
        return model.state_dict()

    straight = run()
    resumed = run(state=saved[1])
    for key, value in straight.items():
        assert torch.equal(value, resumed[key]), key
    cuda_made = {**saved[1], "generator": torch.zeros(16, dtype=torch.uint8)}  # another device's RNG state
    with pytest.raises(ValueError, match="another kind of device"):
        run(state=cuda_made)


def test_resume_from_the_cli_keeps_the_run_and_refuses_new_epochs(tmp_path, capsys):
    out = tmp_path / "run.pt"
    config = _config(tmp_path, f'epochs = 1\nbatch_size = 16\n[model]\nwidths = [4, 8]\n{TINY_DATA}')
    assert main(["--config", config, "--out", str(out), "--quiet"]) == 0
    first = load_checkpoint(out).meta["test"]
    assert main(["--resume", str(out), "--quiet"]) == 0  # already complete: re-scores, same weights
    assert load_checkpoint(out).meta["test"] == first
    with pytest.raises(SystemExit):
        main(["--resume", str(out), "--epochs", "4"])
    assert "--epochs must stay 1" in capsys.readouterr().err


def test_supersimplenet_trains_and_reports_localisation(tmp_path, capsys):
    out = tmp_path / "ssn.pt"
    config = _config(tmp_path, f'arch = "supersimplenet"\nepochs = 1\nbatch_size = 16\n[model]\n{SMALL_SSN}'
                               f'noise = "learned"\n{TINY_DATA}')
    assert main(["--config", config, "--out", str(out), "--quiet"]) == 0
    checkpoint = load_checkpoint(out)
    assert {"aupro", "pixel_auroc", "ap_loc", "auroc"} <= set(checkpoint.meta["test"])
    assert "AUPRO" in capsys.readouterr().out
    x = torch.rand(2, 1, 32, 32)
    assert checkpoint.model(x).shape == (2, 1)


def test_cam_trains_on_image_labels_and_reports_localisation(tmp_path):
    out = tmp_path / "cam.pt"
    config = _config(tmp_path, f'arch = "cam"\nepochs = 1\nbatch_size = 16\n[model]\nbackbone = "resnet8"\n{TINY_DATA}')
    assert main(["--config", config, "--out", str(out), "--quiet"]) == 0
    metrics = load_checkpoint(out).meta["test"]
    assert 0.0 <= metrics["aupro"] <= 1.0 and np.isfinite(load_checkpoint(out).threshold)


def test_torchrun_two_cpu_processes_with_ddp(tmp_path):
    out = tmp_path / "ddp.pt"
    config = _config(tmp_path, f'epochs = 1\nbatch_size = 8\n[model]\nwidths = [4, 8]\n{TINY_DATA}')
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([torchrun, "--standalone", "--nproc_per_node=2", "-m", "tinyctl.models.train", "--config",
                             config, "--device", "cpu", "--out", str(out), "--quiet"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("checkpoint:") == 1  # only the main process scores and writes
    assert load_checkpoint(out).meta["complete"]


def test_unsupervised_supersimplenet_on_an_mvtec_layout_folder(tmp_path):
    from test_models_data_layouts import _mvtec

    root = _mvtec(tmp_path / "mvtec")
    out = tmp_path / "mvtec.pt"
    config = _config(tmp_path, f'arch = "supersimplenet"\nepochs = 1\nbatch_size = 4\n[model]\n{SMALL_SSN}')
    argv = ["--config", config, "--dataset", "mvtec", "--data-root", str(root), "--category", "bottle", "--size", "32",
            "--channels", "3", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    checkpoint = load_checkpoint(out)
    record = checkpoint.preprocessing["dataset"]
    assert {key: record[key] for key in ("layout", "root", "category")} == {
        "layout": "mvtec", "root": str(root.resolve()), "category": "bottle"}
    assert record["size"] == [32, 32] and record["channels"] == 3
    assert checkpoint.preprocessing["input_shape"] == [3, 32, 32] and "aupro" in checkpoint.meta["test"]


def test_a_wrong_dataset_folder_is_one_clear_error(tmp_path, capsys):
    assert main(["--dataset", "ksdd2", "--data-root", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tinyctl train: error:") and "hint:" in err and "Traceback" not in err
