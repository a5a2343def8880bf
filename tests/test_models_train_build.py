"""A detector trained here for one epoch goes through the real `tinyctl build` pipeline."""

import json

from tinyctl.models.train import main
from tinyctl.pipeline import BuildOptions, build

CONFIG = """arch = "classifier"
epochs = 1
batch_size = 16
[model]
backbone = "resnet8"
[dataset]
size = 16
n_train = 64
n_val = 24
n_test = 24
"""


def test_a_freshly_trained_resnet8_classifier_builds_for_stm32(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    checkpoint = tmp_path / "tiny.pt"
    assert main(["--config", str(config), "--out", str(checkpoint), "--quiet"]) == 0
    directory, report = build(BuildOptions(target="stm32", model=str(checkpoint), out=str(tmp_path / "build")))
    assert report["memory"]["backend"] == "engine" and report["memory"]["engine"]["fits"]
    assert report["engine"]["selftest"]["passed"]
    validation = report["validation"]
    assert validation["samples"] == 24
    assert validation["agreement"]["engine_host_vs_tflm"]["bit_exact"]
    assert "ADD" in {op["opcode"] for op in report["graph"]["operators"]}  # the residual blocks made it through
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["inputs"]["model"]["path"].endswith("tiny.pt")
