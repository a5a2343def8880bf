"""Structured pruning: the pruned architecture survives a checkpoint, targets pick the least pruning that
meets them, and a pruned build runs end to end (ONNX, int8 TFLite, TFLite-Micro, engine, firmware in QEMU)."""

import json

import pytest
import torch

from board_files import small_stm32
from tinyctl.cli import main
from tinyctl.compress import FINE_TUNE_EPOCHS, PRUNE_STEPS
from tinyctl.compress.finetune import TeacherProbabilities, TrainingData
from tinyctl.compress.prune import macs_and_params, prune_channels
from tinyctl.compress.search import TARGET_GRID, Target
from tinyctl.datasets import fresh_split
from tinyctl.errors import TinyctlError
from tinyctl.model_source import load_source
from tinyctl.models.checkpoint import load_checkpoint, save_checkpoint
from tinyctl.models.layer_shapes import layer_shapes
from tinyctl.models.metrics import average_precision
from tinyctl.models.train import predict
from tinyctl.models.training.tasks import apply_symmetries, symmetry_codes
from tinyctl.pipeline import BuildOptions, build, measure_uncompressed
from tinyctl.stages.compress import CompressionOptions
from tinyctl.stages.prune import prune_and_fine_tune, ratio_for_target

EXAMPLE = torch.zeros(1, 1, 64, 64)
STRLEN_ALIGNMENT = 64     # newlib's strlen starts on a 64-byte boundary (.p2align 6)
FRESH_IMAGES = 4000


@pytest.fixture(scope="module")
def detector():
    return load_source(None)


def test_half_the_channels_go_and_the_output_layer_keeps_its_width(detector):
    pruned = prune_channels(detector.torch_model, 0.5, EXAMPLE)
    shapes = layer_shapes(pruned)
    assert [shapes[f"features.{i}"]["out"] for i in (0, 10, 20)] == [4, 8, 16]
    assert shapes["features.3"]["groups"] == shapes["features.3"]["in"] == 4         # depthwise stays depthwise
    assert shapes["head"] == {"in": 16, "out": 1}
    macs_before, params_before = macs_and_params(detector.torch_model, EXAMPLE)
    macs_after, params_after = macs_and_params(pruned, EXAMPLE)
    assert macs_after < 0.4 * macs_before and params_after < 0.4 * params_before
    assert macs_and_params(detector.torch_model, EXAMPLE)[0] == macs_before          # the source is untouched


def test_half_the_channels_cost_at_most_one_ap_point_after_the_default_fine_tune(detector):
    """The default detector pruned to half its channels in the default slices and fine-tune keeps its float AP
    within 1 point of the shipped model, measured on 4,000 fresh images: the 400-image test split moves one
    model's AP by about 0.3 points (over four fine-tune seeds it lost 0.47-1.02 there, 0.46-0.68 here)."""
    model, record = prune_and_fine_tune(detector, 0.5, TrainingData.of(detector), FINE_TUNE_EPOCHS, seed=0)
    x_fresh, y_fresh = fresh_split(detector, FRESH_IMAGES, seed=1)
    before, after = (average_precision(predict(m, x_fresh), y_fresh) for m in (detector.torch_model, model))
    assert before - after <= 0.01, (before, after)
    assert [s["epochs"] for s in record["steps"]] == [FINE_TUNE_EPOCHS // PRUNE_STEPS] * PRUNE_STEPS
    assert [layer_shapes(model)[f"features.{i}"]["out"] for i in (0, 10, 20)] == [4, 8, 16]
    assert record["steps"][-1]["macs"] == record["macs_after"] < record["steps"][0]["macs"] < record["macs_before"]


def test_the_teacher_answers_for_each_image_in_its_drawn_symmetry_once(detector):
    """The fine-tune's distillation targets: the teacher's probability for each image as the batch flipped or
    transposed it, computed the first time that image and symmetry are drawn, then remembered."""
    teacher, images, generator = detector.torch_model, torch.rand(10, 1, 64, 64), torch.Generator().manual_seed(0)
    probabilities, drawn, asked = TeacherProbabilities(teacher, len(images)), set(), []
    for _ in range(8):
        batch, codes = torch.randperm(len(images), generator=generator)[:6], symmetry_codes(6, generator)
        x, = apply_symmetries([images[batch]], codes)
        with torch.no_grad():
            expected = torch.sigmoid(teacher(x).squeeze(1))
        hook = teacher.register_forward_hook(lambda module, inputs, output: asked.append(len(inputs[0])))
        torch.testing.assert_close(probabilities(x, codes, batch), expected)
        hook.remove()
        drawn |= set(zip(codes.tolist(), batch.tolist()))
    assert sum(asked) == len(drawn) < 8 * 6


def test_a_pruned_checkpoint_rebuilds_its_architecture(detector, tmp_path):
    pruned = prune_channels(detector.torch_model, 0.25, EXAMPLE)
    base = load_checkpoint(detector.path)
    save_checkpoint(tmp_path / "p.pt", pruned, base.arch, base.config, base.preprocessing, 0.0, {},
                    layer_shapes=layer_shapes(pruned))
    loaded = load_checkpoint(tmp_path / "p.pt").model
    x = torch.rand(3, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), pruned(x))
    assert layer_shapes(loaded) == layer_shapes(pruned)


def test_bad_ratios_and_targets_are_refused():
    with pytest.raises(TinyctlError, match="outside"):
        CompressionOptions(prune=0.95)
    with pytest.raises(TinyctlError, match="KIND=NUMBER"):
        Target.parse("ram=1000")
    with pytest.raises(TinyctlError, match="only one"):
        CompressionOptions(prune=0.5, max_drop=1.0)


def test_a_macs_target_gets_the_least_pruning_that_meets_it(detector):
    limit = 500_000
    ratio, record = ratio_for_target(detector, Target("macs", limit), calibration=None)
    measured = {m["ratio"]: m["value"] for m in record["measured"]}
    assert measured[ratio] <= limit
    lighter = TARGET_GRID[TARGET_GRID.index(ratio) - 1]
    assert macs_and_params(prune_channels(detector.torch_model, lighter, EXAMPLE), EXAMPLE)[0] > limit
    assert len(measured) <= 5                                      # a bisection, not a sweep


def test_pruned_build_runs_bit_exact_end_to_end(tmp_path, default_build):
    """--prune 0.5 with a short fine-tune, QAT, percentile ranges and bias correction: every runtime runs the
    pruned model, our engine and firmware match TFLite-Micro bit for bit, `tinyctl validate` reloads it, and
    the report's savings hold the unpruned model's device figures as a plain build of it measures them."""
    compression = CompressionOptions(prune=0.5, fine_tune_epochs=1, qat_epochs=1, calibration="percentile",
                                     bias_correction=True)
    directory, report = build(BuildOptions(target="stm32", out=str(tmp_path / "b"), compression=compression))
    agreement = report["validation"]["agreement"]
    assert agreement["engine_host_vs_tflm"]["bit_exact"] and agreement["engine_qemu_vs_tflm"]["bit_exact"]
    assert set(report["validation"]["runtimes"]) >= {"float_torch", "float_onnx", "int8_qdq_onnx", "int8_tflite",
                                                      "tflm", "engine_host", "engine_qemu"}
    prune = report["compression"]["prune"]
    assert prune["ratio"] == 0.5 and prune["macs_after"] < 0.4 * prune["macs_before"]
    # one epoch already wins back most of what pruning cost (the 1 pp claim needs the default fine-tune: above)
    assert prune["val_ap_pruned"] < prune["val_ap_fine_tuned"] and prune["val_ap_fine_tuned"] > prune["val_ap_unpruned"] - 0.06
    assert report["compression"]["qat"]["epochs"] == 1
    assert report["compression"]["calibration"]["method"] == "percentile"
    assert len(report["compression"]["calibration"]["bias_corrections"]) == 9          # one per Conv
    assert report["engine"]["selftest"]["instructions"]["per_inference"] > 0
    assert report["model"]["name"] == "default_detector-pruned50-qat1"
    assert layer_shapes(load_checkpoint(directory / "model.pt").model)["head"] == {"in": 16, "out": 1}
    assert report["sensitivity"]["layers"] and report["sensitivity"]["output_sqnr_db"] > 10
    before, after = report["compression"]["savings"]["before"], report["compression"]["savings"]["after"]
    plain = default_build[1]
    assert (before["ram_bytes"], before["arena_bytes"]) == (plain["memory"]["engine"]["ram_needed_bytes"],
                                                          plain["engine"]["arena_bytes"])
    # The baseline is quantised with this build's percentile ranges, the plain build with MinMax: their
    # model_invoke differs by a few bytes of immediates, which newlib's 64-byte-aligned strlen may absorb or not.
    assert abs(before["flash_bytes"] - plain["memory"]["engine"]["flash_needed_bytes"]) <= STRLEN_ALIGNMENT
    plain_instructions = plain["engine"]["selftest"]["instructions"]["per_inference"]
    assert before["instructions_per_inference"] == pytest.approx(plain_instructions, rel=0.01)
    assert after["instructions_per_inference"] == report["engine"]["selftest"]["instructions"]["per_inference"]
    assert after["arena_bytes"] < before["arena_bytes"] and after["flash_bytes"] < before["flash_bytes"]
    assert after["instructions_per_inference"] < 0.7 * before["instructions_per_inference"]
    assert after["int8_tflite_test_ap"] == report["validation"]["runtimes"]["int8_tflite"]["ap"]
    assert abs(before["int8_tflite_test_ap"] - plain["validation"]["runtimes"]["int8_tflite"]["ap"]) < 0.01
    html = (directory / "report.html").read_text()
    assert "Compression" in html and "uncompressed" in html
    assert main(["validate", str(directory)]) == 0
    assert json.loads((directory / "report.json").read_text())["validation"]["agreement"] == agreement


def test_an_uncompressed_model_too_large_for_the_board_is_recorded_with_the_reason(tmp_path):
    """Often the reason to prune: the baseline of the savings says the unpruned firmware does not fit (RAM
    22,000 B: the unpruned default needs 26,840, half its channels 18,920) instead of stopping the build."""
    figures = measure_uncompressed(BuildOptions(target=str(small_stm32(tmp_path, 22_000)), calibration_samples=16))
    assert figures["fits"] is False and "does not fit" in figures["error"] and "22,000 B" in figures["error"]
    assert figures["arena_bytes"] == 16_384 and figures["flash_bytes"] is None
    assert figures["int8_tflite_test_ap"] > 0.95


def test_cli_refuses_bad_compression_options_with_one_line(tmp_path, capsys):
    assert main(["build", "--prune", "0.95", "-o", str(tmp_path / "x")]) == 2
    assert main(["prune", "--out", str(tmp_path / "p.pt")]) == 2
    err = capsys.readouterr().err
    assert "outside [0, 0.9]" in err and "nothing to do" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "p.pt").exists()
