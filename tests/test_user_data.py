"""The user's own data (issue 14, points 1, 4 and 5): `--data SPEC` parsed with clear errors, arrays in the
model's own layout, any static input shape, and metrics that follow the task. The MLPerf Tiny reference
architectures are built from their float Keras models with a user .npz to firmware that passes its QEMU
self-test bit-exact (DS-CNN and the FC autoencoder here; ResNet-8 and MobileNetV1 in the slow test), and as
int8 TFLite with no data at all."""

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from tinyctl.cli import main
from tinyctl.data_spec import parse_data_spec, read_arrays
from tinyctl.errors import TinyctlError
from tinyctl.model_source import preprocess
from tinyctl.reference_models import REFERENCE_MODELS, build_keras_model
from tinyctl.task_metrics import check_labels, classification_metrics, guess_task
from test_models_data_layouts import _write_image, _write_mask

SLOW = "TINYCTL_SLOW_TESTS"   # set to run the slow builds too
SAMPLES = 24   # rows of each user .npz: 12 calibrate (even rows), 12 validate (odd rows)


# --- the spec -----------------------------------------------------------------------------------------------


def test_specs_parse_into_their_kind(tmp_path):
    (tmp_path / "a.npz").write_bytes(b"")
    (tmp_path / "mv" / "bottle").mkdir(parents=True)
    assert parse_data_spec("synthetic").kind == "synthetic"
    arrays = parse_data_spec(str(tmp_path / "a.npz"))
    assert (arrays.kind, arrays.path) == ("arrays", tmp_path / "a.npz")
    mvtec = parse_data_spec(f"mvtec:{tmp_path / 'mv'}:bottle")
    assert (mvtec.kind, mvtec.layout, mvtec.path, mvtec.category) == ("layout", "mvtec", tmp_path / "mv", "bottle")
    assert parse_data_spec(f"ksdd2:{tmp_path}").layout == "ksdd2"
    bare = parse_data_spec(str(tmp_path / "mv"))   # a bare folder is the ImageFolder convention
    assert (bare.layout, bare.path) == ("classes", tmp_path / "mv")
    assert mvtec.record((30, 40), 3) == {"layout": "mvtec", "root": str(tmp_path / "mv"), "category": "bottle",
                                         "size": [30, 40], "channels": 3}


@pytest.mark.parametrize("spec, message", [
    ("nope.npz", "no such array file"),
    ("imagenet:/data", "unknown dataset layout 'imagenet'"),
    ("ksdd2:/no/such/folder", "the ksdd2 folder /no/such/folder does not exist"),
    ("no-such-thing", "not a data spec tinyctl knows"),
])
def test_bad_specs_are_named(spec, message):
    with pytest.raises(TinyctlError, match=message):
        parse_data_spec(spec)


def test_arrays_are_checked_against_the_model_input(tmp_path):
    np.savez(tmp_path / "ok.npz", x=np.zeros((5, 49, 10, 1), np.float32), y=np.arange(5))
    np.savez(tmp_path / "no_x.npz", inputs=np.zeros((5, 640)))
    np.savez(tmp_path / "short_y.npz", x=np.zeros((5, 640)), y=np.zeros(4))
    np.save(tmp_path / "plain.npy", np.zeros((3, 640), np.float32))
    x, y = read_arrays(parse_data_spec(str(tmp_path / "ok.npz")), (49, 10, 1))
    assert x.shape == (5, 49, 10, 1) and y.tolist() == [0, 1, 2, 3, 4]
    assert read_arrays(parse_data_spec(str(tmp_path / "plain.npy")), (640,))[1] is None
    for name, shape, message in (("no_x.npz", (640,), "has no array `x` \\(it has inputs\\)"),
                                 ("short_y.npz", (640,), "y has shape \\[4\\], expected \\[5\\]"),
                                 ("ok.npz", (10, 49, 1), "x has shape \\[5, 49, 10, 1\\], the model takes \\[N, 10, 49, 1\\]")):
        with pytest.raises(TinyctlError, match=message):
            read_arrays(parse_data_spec(str(tmp_path / name)), shape)


def test_a_wrong_spec_stops_the_cli_with_one_line(tmp_path, capsys):
    assert main(["build", "--target", "host", "--data", str(tmp_path / "missing.npz")]) == 2
    err = capsys.readouterr().err
    assert "missing.npz: no such array file" in err and "Traceback" not in err


def test_preprocessing_takes_a_mean_and_std_per_channel():
    pixels = np.random.default_rng(0).random((2, 3, 4, 5)).astype(np.float32)
    x = preprocess(pixels, {"mean": [0.1, 0.2, 0.3], "std": [1.0, 2.0, 4.0]})
    assert x.dtype == np.float32 and np.allclose(x[:, 2], (pixels[:, 2] - 0.3) / 4.0)
    assert np.array_equal(preprocess(pixels, {"mean": 0.5, "std": 0.25}), (pixels - np.float32(0.5)) / np.float32(0.25))


# --- the task -----------------------------------------------------------------------------------------------


def test_task_is_guessed_from_the_output_and_labels():
    labels = np.array([0, 1])
    assert guess_task(None, (1,), 64, labels) == "anomaly"
    assert guess_task(None, (10,), 3072, labels) == "classification"
    assert guess_task(None, (640,), 640, labels) == "reconstruction"
    assert guess_task(None, (3, 32, 32), 3072, labels) == "reconstruction"
    assert guess_task(None, (16, 8, 8), 4096, labels) == "agreement"   # a feature map (a split head)
    assert guess_task(None, (10,), 3072, None) == "agreement"          # nothing to score without labels
    assert guess_task("classification", (640,), 640, labels) == "classification"


def test_scored_tasks_need_both_labels():
    with pytest.raises(TinyctlError, match="holds only label 1"):
        check_labels("reconstruction", np.ones(6, np.int64), 640)
    with pytest.raises(TinyctlError, match="labels run from 0 to 12, the model has 12 outputs"):
        check_labels("classification", np.arange(13), 12)


def test_confusion_rows_are_true_classes():
    logits = np.eye(3)[[0, 1, 1, 2]]   # predicted 0, 1, 1, 2
    m = classification_metrics(logits, np.array([0, 1, 2, 2]))
    assert m["top1"] == 0.75 and m["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert m["per_class_accuracy"] == [1.0, 1.0, 0.5]


# --- builds -------------------------------------------------------------------------------------------------


def _user_data(name: str, directory):
    """(.keras float model, .npz of SAMPLES inputs with labels): the classifiers' labels are the float model's
    own predictions with two rows changed (so top-1 is measured, not 1 by construction); the autoencoder's
    anomalous half is shifted."""
    model = build_keras_model(name)
    path = directory / f"{name}.keras"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(SAMPLES, *REFERENCE_MODELS[name].input_shape[1:])).astype(np.float32)
    if name == "fc_autoencoder":
        y = np.arange(SAMPLES) // 2 % 2   # both labels in the even (calibration) and odd (validation) rows
        x[y == 1] += 3.0
    else:
        y = np.asarray(model(x, training=False)).argmax(1)
        y[[1, 3]] = (y[[1, 3]] + 1) % np.asarray(model(x[:1], training=False)).shape[1]
    np.savez(directory / f"{name}.npz", x=x, y=y)
    return path, directory / f"{name}.npz"


def _build_float(name: str, directory, capsys) -> tuple[dict, str]:
    model, data = _user_data(name, directory)
    out = directory / "build"
    assert main(["build", "--target", "stm32", "--model", str(model), "--data", str(data),
                 "--calibration-samples", "8", "--out", str(out)]) == 0
    return json.loads((out / "report.json").read_text()), capsys.readouterr().out


def _squeezed(text: str) -> str:
    """Text without whitespace: the terminal wraps (and folds long paths) at its width."""
    return "".join(text.split())


def _check_firmware_and_data(report: dict, terminal: str, name: str) -> dict:
    assert report["engine"]["selftest"]["passed"] and "QEMU" in report["engine"]["selftest"]["ran_on"]
    v = report["validation"]
    assert v["data"]["spec"].endswith(f"{name}.npz") and v["data"]["count"] == SAMPLES // 2
    assert "odd rows" in v["data"]["description"] and _squeezed(v["data"]["description"]) in _squeezed(terminal)
    assert v["agreement"]["engine_qemu_vs_tflm"]["bit_exact"]
    return v


@pytest.mark.parametrize("name", ["ds_cnn"])
def test_classifier_from_keras_and_npz_reports_top1(name, tmp_path, capsys):
    report, terminal = _build_float(name, tmp_path, capsys)
    v = _check_firmware_and_data(report, terminal, name)
    assert v["task"] == "classification" and len(v["classes"]) == 12
    float_top1 = v["runtimes"]["float_keras"]["top1"]
    assert float_top1 == pytest.approx(10 / 12)   # the two changed labels are the misses
    for runtime in ("int8_tflite", "tflm", "engine_qemu"):
        r = v["runtimes"][runtime]
        assert 0 <= r["top1"] <= 1 and sum(map(sum, r["confusion"])) == SAMPLES // 2
    assert "drop_pp" in v and "top1" in v["drop_pp"] and "top-1" in terminal
    html = (tmp_path / "build" / "report.html").read_text()
    assert "top-1" in html and v["data"]["description"] in html
    assert main(["run", str(tmp_path / "build"), "--emulate"]) == 0   # the board runner takes the same inputs
    run = json.loads((tmp_path / "build" / "board_run.json").read_text())
    assert run["samples"] == SAMPLES // 2 and run["metrics"]["top1"] == v["runtimes"]["tflm"]["top1"]


def test_autoencoder_from_keras_and_test_npz_reports_auroc(tmp_path, capsys):
    """Calibrated on a .npy of inputs, validated on a second file (--test-data) with 0/1 labels; `tinyctl
    validate` re-reads both from the build's manifest."""
    model, data = _user_data("fc_autoencoder", tmp_path)
    with np.load(data) as arrays:
        np.save(tmp_path / "calib.npy", arrays["x"][::2])
        np.savez(tmp_path / "test.npz", x=arrays["x"][1::2], y=arrays["y"][1::2])
    out = tmp_path / "build"
    assert main(["build", "--target", "stm32", "--model", str(model), "--data", str(tmp_path / "calib.npy"),
                 "--test-data", str(tmp_path / "test.npz"), "--calibration-samples", "8", "--out", str(out)]) == 0
    terminal = capsys.readouterr().out
    v = json.loads((out / "report.json").read_text())["validation"]
    assert v["data"]["spec"] == str(tmp_path / "test.npz") and v["data"]["count"] == SAMPLES // 2
    assert v["agreement"]["engine_qemu_vs_tflm"]["bit_exact"] and _squeezed(v["data"]["description"]) in _squeezed(terminal)
    assert v["task"] == "reconstruction" and v["positives"] == SAMPLES // 4
    for runtime in ("float_keras", "int8_tflite", "tflm", "engine_qemu"):
        assert v["runtimes"][runtime]["auroc"] > 0.8   # the shifted half reconstructs worse
    assert "AUROC" in terminal
    assert main(["validate", str(out)]) == 0
    assert json.loads((out / "validate" / "report.json").read_text())["validation"] == v


@pytest.mark.skipif(not os.environ.get(SLOW), reason=f"two image-classifier builds of minutes each: set {SLOW}=1")
@pytest.mark.parametrize("name", ["resnet8", "mobilenet_v1_025"])
def test_image_classifiers_from_keras_and_npz(name, tmp_path, capsys):
    report, terminal = _build_float(name, tmp_path, capsys)
    v = _check_firmware_and_data(report, terminal, name)
    assert v["task"] == "classification" and v["runtimes"]["float_keras"]["top1"] == pytest.approx(10 / 12)


@pytest.mark.parametrize("name", ["resnet8", "mobilenet_v1_025", "ds_cnn", "fc_autoencoder"])
def test_int8_reference_model_without_data_is_compared_runtime_to_runtime(name, reference_tflite, tmp_path):
    model = tmp_path / f"{name}.tflite"
    model.write_bytes(reference_tflite[name])
    assert main(["build", "--target", "host", "--model", str(model), "--out", str(tmp_path / "b")]) == 0
    v = json.loads((tmp_path / "b" / "report.json").read_text())["validation"]
    assert v["task"] == "agreement" and not v["accuracy_measured"] and v["data"]["split"] == "generated"
    assert v["agreement"]["engine_host_vs_tflm"]["bit_exact"]
    assert not any("top1" in r or "auroc" in r for r in v["runtimes"].values())


def test_int8_tflite_with_int8_arrays_in_its_layout(reference_tflite, tmp_path):
    """Arrays as the user feeds an int8 TFLite: NHWC, int8 values in its input quantization, class labels."""
    model = tmp_path / "ds_cnn.tflite"
    model.write_bytes(reference_tflite["ds_cnn"])
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mfcc.npz", x=rng.integers(-128, 128, (SAMPLES, 49, 10, 1), dtype=np.int8),
             y=rng.integers(0, 12, SAMPLES))
    assert main(["build", "--target", "host", "--model", str(model), "--data", str(tmp_path / "mfcc.npz"),
                 "--out", str(tmp_path / "b")]) == 0
    v = json.loads((tmp_path / "b" / "report.json").read_text())["validation"]
    assert v["task"] == "classification" and v["accuracy_measured"] and v["data"]["count"] == SAMPLES // 2
    assert v["runtimes"]["tflm"]["top1"] == v["runtimes"]["engine_host"]["top1"]
    assert v["agreement"]["engine_host_vs_tflm"]["bit_exact"] and "drop_pp" not in v   # no float model


def test_validate_on_a_folder_names_it(build_copy, tmp_path, capsys):
    """The default detector re-validated on a folder of (non-square) images: the report names the folder."""
    root, rng = tmp_path / "set", np.random.default_rng(0)
    for i in range(25):
        _write_image(root / "good" / f"g{i:02d}.png", rng, mode="L")
    for i in range(15):
        _write_image(root / "defect" / f"d{i:02d}.png", rng, mode="L")
        _write_mask(root / "masks" / f"d{i:02d}.png", True)
    assert main(["validate", str(build_copy), "--data", f"folder:{root}", "--out", str(tmp_path / "v")]) == 0
    v = json.loads((tmp_path / "v" / "report.json").read_text())["validation"]
    assert v["data"]["spec"] == f"folder:{root}" and str(root) in v["data"]["description"]
    assert v["task"] == "anomaly" and "auroc" in v["runtimes"]["tflm"] and v["samples"] == v["data"]["count"]
    assert _squeezed(str(root)) in _squeezed(capsys.readouterr().out)


class _ColourClassifier(torch.nn.Module):
    """Three classes from the mean of each colour channel: an untrained-looking net whose answer is known."""

    def forward(self, x):
        return torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1) * 10.0


def test_onnx_classifier_on_class_folders_reports_top1(tmp_path, capsys):
    """One subfolder per class (red, green, blue images of 24x40): top-1 on those images, the classes named."""
    rng = np.random.default_rng(0)
    for index, name in enumerate(("blue", "green", "red")):
        channel = {"red": 0, "green": 1, "blue": 2}[name]
        for i in range(12):
            pixels = rng.integers(0, 60, (24, 40, 3), dtype=np.uint8)
            pixels[..., channel] = 200 + rng.integers(0, 50, (24, 40), dtype=np.uint8)
            _write_rgb(tmp_path / "parts" / name / f"{i:02d}.png", pixels)
    model = tmp_path / "colour.onnx"
    torch.onnx.export(_ColourClassifier().eval(), (torch.rand(1, 3, 24, 40),), str(model), dynamo=False)
    out = tmp_path / "b"
    assert main(["build", "--target", "host", "--model", str(model), "--data", f"classes:{tmp_path / 'parts'}",
                 "--calibration-samples", "8", "--out", str(out)]) == 0
    v = json.loads((out / "report.json").read_text())["validation"]
    assert v["task"] == "classification" and v["classes"] == ["blue", "green", "red"]
    assert v["data"]["spec"] == f"classes:{tmp_path / 'parts'}" and v["data"]["split"] == "test"
    # class index = folder in name order (blue 0, green 1, red 2); the net's logits are the R, G, B means, so it
    # calls blue red and red blue and gets green right
    confusion = np.array(v["runtimes"]["tflm"]["confusion"])
    assert confusion.sum() == v["samples"] == v["data"]["count"]
    assert confusion.sum() == confusion[[0, 1, 2], [2, 1, 0]].sum() and confusion[1, 1] > 0
    assert v["runtimes"]["tflm"]["top1"] == pytest.approx(confusion[1, 1] / confusion.sum())
    assert "top-1" in capsys.readouterr().out


def _write_rgb(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(path)
