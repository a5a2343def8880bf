"""`tinyctl inspect`: per-layer figures of .tflite, .onnx and .pt models that agree with tinyctl.macs, the engine
planner and the build's own memory figures; a table that wraps at 80 columns instead of cutting; --json."""

import json

import pytest

from tinyctl.cli import main
from tinyctl.console import console
from tinyctl.graph import read_graph
from tinyctl.macs import graph_macs
from tinyctl.stages.engine import plan_engine_arena

REFERENCE_NAMES = ("resnet8", "mobilenet_v1_025", "ds_cnn", "fc_autoencoder")


def _inspect_json(capsys, *args) -> dict:
    assert main(["inspect", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _inspect_text(capsys, monkeypatch, *args) -> str:
    monkeypatch.setattr(console, "width", 80)
    assert main(["inspect", *map(str, args)]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_reference_model_totals_equal_tinyctl_macs_and_the_planner(reference_tflite, name, tmp_path, capsys,
                                                                     monkeypatch):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(reference_tflite[name])
    graph = read_graph(reference_tflite[name])
    macs = graph_macs(graph)
    result = _inspect_json(capsys, path)
    assert result["totals"]["macs"] == macs["total"] > 0
    assert [layer["macs"] for layer in result["layers"]] == [p["macs"] for p in macs["per_op"]]
    assert result["totals"]["engine_arena_bytes"] == plan_engine_arena(graph).peak_bytes
    weights = {i: graph.tensors[i] for op in graph.operators for i in op.inputs if i >= 0 and graph.tensors[i].is_constant}
    assert result["totals"]["weight_bytes"] == sum(t.data.nbytes for t in weights.values())
    text = _inspect_text(capsys, monkeypatch, path)
    assert f"total: {macs['total']:,} MACs" in text.replace("\n", " ")
    assert all(len(line) <= 80 for line in text.splitlines()) and "…" not in text   # wrapped, never cut
    for layer in result["layers"]:
        assert f" {layer['macs']:,} " in text and layer["op"] in text   # numbers stay whole


def test_build_model_figures_equal_the_builds_report(default_build, capsys):
    directory, report = default_build
    result = _inspect_json(capsys, directory / "model_int8.tflite", "-t", "stm32")
    assert result["totals"]["macs"] == graph_macs(read_graph(directory / "model_int8.tflite"))["total"]
    assert result["totals"]["engine_arena_bytes"] == report["engine"]["arena_bytes"]
    assert result["fit"]["tflm"] == report["memory"]["tflm"]   # measured arena and flash estimate, as built
    assert result["engine_supported"] and result["tflm_supported"]


def test_onnx_and_checkpoint_are_inspected_through_onnx_with_the_same_macs(default_build, capsys):
    directory, _ = default_build
    tflite = _inspect_json(capsys, directory / "model_int8.tflite")
    onnx_result = _inspect_json(capsys, directory / "model.onnx", "-t", "stm32")
    checkpoint = _inspect_json(capsys, directory / "model.pt")
    assert onnx_result["totals"]["macs"] == checkpoint["totals"]["macs"] == tflite["totals"]["macs"]
    assert onnx_result["format"] == "onnx" and "shape inference" in onnx_result["method"]
    assert checkpoint["format"] == "checkpoint" and "ONNX export" in checkpoint["method"]
    conv = next(layer for layer in onnx_result["layers"] if layer["op"].startswith("Conv"))
    assert conv["params"] > 0 and conv["weight_bytes"] == 4 * conv["params"] and conv["output"]
    assert onnx_result["fit"]["int8_estimate"]["fits"]


def test_a_file_that_is_no_model_is_one_clear_line(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main(["inspect", str(text)]) == 2
    assert "is not a .tflite, .onnx or .pt file" in capsys.readouterr().err
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00garbage")
    assert main(["inspect", str(broken)]) == 2
    assert "cannot read" in capsys.readouterr().err
