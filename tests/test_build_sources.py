"""`--model` with an ONNX file (3-channel, which trips onnx2tf's offline download without our fix) or a TFLite file."""

import json

import torch

from tinyctl.models.zoo import build_model
from tinyctl.pipeline import BuildOptions, build


def test_float_onnx_rgb_model_builds_for_host(tmp_path):
    torch.manual_seed(0)
    model = build_model("binary_cnn", {"in_channels": 3, "input_size": 32}).eval()
    onnx_path = tmp_path / "rgb.onnx"
    torch.onnx.export(model, (torch.rand(1, 3, 32, 32),), str(onnx_path), dynamo=False, opset_version=17)
    directory, report = build(BuildOptions(target="host", model=str(onnx_path), out=str(tmp_path / "b"),
                                           calibration_samples=32, synthetic_data=True))
    assert report["model"]["kind"] == "onnx" and report["model"]["input_shape"] == [3, 32, 32]
    assert (directory / "model.onnx").read_bytes() == onnx_path.read_bytes()
    assert set(report["validation"]["runtimes"]) == {"float_onnx", "int8_qdq_onnx", "int8_tflite", "tflm",
                                                         "engine_host"}
    assert report["validation"]["agreement"]["int8_tflite_vs_tflm"]["max_abs_diff_lsb"] <= 1
    assert report["validation"]["agreement"]["engine_host_vs_tflm"]["bit_exact"]
    assert "firmware" not in report["engine"] and report["engine"]["selftest"]["ran_on"] == "host"
    assert json.loads((directory / "manifest.json").read_text())["inputs"]["model"]["kind"] == "onnx"


def test_int8_tflite_model_builds_for_another_board(default_build, tmp_path):
    tflite = default_build[0] / "model_int8.tflite"
    directory, report = build(BuildOptions(target="nucleo-h743zi", model=str(tflite), out=str(tmp_path / "b"),
                                           synthetic_data=True))
    assert (directory / "model_int8.tflite").read_bytes() == tflite.read_bytes()
    assert not (directory / "model.onnx").exists()
    assert report["memory"]["engine"]["ram_size_bytes"] == 512 * 1024
    assert report["engine"]["selftest"]["ran_on"] == "QEMU mps2-an500"
    agreement = report["validation"]["agreement"]["engine_qemu_vs_tflm"]   # the Cortex-M7 firmware
    assert agreement["bit_exact"] and agreement["elements"] == report["validation"]["samples"]
    linker = (directory / "firmware" / "linker-emu.ld").read_text()   # the MPS2 stand-in's addresses
    assert "ORIGIN = 0x00000000, LENGTH = 2097152" in linker and "-mcpu=cortex-m7" in (
        directory / "firmware" / "Makefile").read_text()
    assert "ORIGIN = 0x08000000, LENGTH = 2097152" in (directory / "firmware" / "linker.ld").read_text()   # silicon
    assert report["engine"]["selftest"]["image"]["file"] == "firmware-emu.elf"
    assert (directory / "firmware-emu.elf").is_file()
    assert report["board"]["clock_hz"] == 400_000_000 and report["board"]["clock_set_by_firmware"]
    assert report["validation"]["runtimes"]["tflm"]["ap"] == default_build[1]["validation"]["runtimes"]["tflm"]["ap"]
