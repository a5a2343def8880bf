"""The spine: `tinyctl build --target stm32` on the default detector, its artifacts and their checks."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from tinyctl.engine.ops.weighted import pointwise_fuses, weighted_op
from tinyctl.engine.plane_stream import stream_bytes
from tinyctl.engine.wide_weights import fused_pointwise_bytes
from tinyctl.graph import read_graph
from tinyctl.pipeline import BuildOptions, build
from tinyctl.report import REPRODUCIBLE_ARTIFACTS
from tinyctl.stages.tflm import tflm_array_bytes
from tinyctl.tflm_ops import resolver_methods

EXPECTED_FILES = ["model.onnx", "model_int8.onnx", "model_int8.tflite", "tflm/model_data.cc", "tflm/model_data.h",
                  "tflm/op_resolver.h", "tflm/main.cc", "engine/model.c", "engine/golden.c", "firmware/Makefile",
                  "firmware/linker.ld", "firmware.elf", "firmware.bin", "firmware.hex", "report.json", "report.html",
                  "manifest.json"]


def test_build_directory_holds_every_artifact(default_build):
    directory, _ = default_build
    for name in EXPECTED_FILES:
        assert (directory / name).is_file(), name
    assert not list(directory.parent.glob("*.partial"))


def test_int8_tflite_is_fully_int8_with_int8_io(default_build):
    graph = read_graph(default_build[0] / "model_int8.tflite")
    assert graph.tensors[graph.inputs[0]].dtype == graph.tensors[graph.outputs[0]].dtype == "INT8"
    assert graph.tensors[graph.inputs[0]].shape == (1, 64, 64, 1)
    assert "QUANTIZE" not in graph.opcodes() and "DEQUANTIZE" not in graph.opcodes()
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(graph.opcodes())
    for op in graph.operators:
        assert all(graph.tensors[i].dtype == "INT8" for i in op.outputs)
    conv_weights = [graph.tensors[op.inputs[1]] for op in graph.operators if op.opcode == "CONV_2D"]
    assert all(len(w.scale) == w.shape[0] > 1 for w in conv_weights)  # per-channel


def test_tflm_sources_hold_the_model_and_only_its_ops(default_build):
    directory, _ = default_build
    model = (directory / "model_int8.tflite").read_bytes()
    source = (directory / "tflm" / "model_data.cc").read_text()
    assert "alignas(16) const unsigned char g_model_data[]" in source
    assert f"g_model_data_len = {len(model)};" in source
    assert tflm_array_bytes(directory / "tflm" / "model_data.cc") == model
    resolver = (directory / "tflm" / "op_resolver.h").read_text()
    methods = resolver_methods(read_graph(model))
    assert f"MicroMutableOpResolver<{len(methods)}>" in resolver
    assert sorted(line.split("resolver.")[1].split("(")[0] for line in resolver.splitlines()
                  if "resolver.Add" in line) == methods
    assert "#include \"op_resolver.h\"" in (directory / "tflm" / "main.cc").read_text()


def test_measured_arena_is_the_smallest_that_runs(default_build):
    from tflite_micro import runtime

    directory, report = default_build
    model = (directory / "model_int8.tflite").read_bytes()
    arena = report["memory"]["tflm"]["arena_bytes"]
    runtime.Interpreter.from_bytes(model, arena_size=arena).invoke()
    with pytest.raises(RuntimeError):
        runtime.Interpreter.from_bytes(model, arena_size=arena - 1024)
    assert f"#define TINYCTL_TENSOR_ARENA_SIZE {arena}" in (directory / "tflm" / "model_data.h").read_text()


def test_memory_fit_against_the_board(default_build):
    directory, report = default_build
    memory = report["memory"]
    assert memory["backend"] == "engine"
    tflm, engine = memory["tflm"], memory["engine"]
    for budget in (tflm, engine):
        assert budget["fits"]
        assert budget["ram_size_bytes"] == 128 * 1024 and budget["flash_size_bytes"] == 512 * 1024
        assert budget["flash_margin_bytes"] == budget["flash_size_bytes"] - budget["flash_needed_bytes"]
        assert budget["ram_margin_bytes"] == budget["ram_size_bytes"] - budget["ram_needed_bytes"]
    assert tflm["ram_needed_bytes"] == tflm["arena_bytes"] + tflm["ram_reserve_bytes"]
    assert tflm["model_bytes"] == (directory / "model_int8.tflite").stat().st_size
    # the engine's numbers are the linked firmware's: its arena and stack are inside its RAM
    firmware = report["engine"]["firmware"]
    assert engine["arena_bytes"] == report["engine"]["arena_bytes"] <= tflm["arena_bytes"]
    assert engine["flash_needed_bytes"] == firmware["text_bytes"] + firmware["data_bytes"]
    assert engine["ram_needed_bytes"] == firmware["data_bytes"] + firmware["bss_bytes"]
    assert engine["arena_bytes"] + engine["stack_bytes"] < engine["ram_needed_bytes"] < tflm["ram_needed_bytes"]
    assert engine["flash_needed_bytes"] < tflm["flash_needed_bytes"]


def test_tflite_and_tflm_agree_element_wise(default_build):
    agreement = default_build[1]["validation"]["agreement"]["int8_tflite_vs_tflm"]
    assert agreement["elements"] == default_build[1]["validation"]["samples"]
    assert agreement["max_abs_diff_lsb"] <= 1


def test_engine_on_host_is_bit_exact_with_tflm_on_the_whole_test_split(default_build):
    directory, report = default_build
    agreement = report["validation"]["agreement"]["engine_host_vs_tflm"]
    assert agreement["bit_exact"] and agreement["elements"] == report["validation"]["samples"]
    assert "static const int8_t" in (directory / "engine" / "model.c").read_text()


def test_firmware_in_qemu_is_bit_exact_with_tflm_on_the_whole_test_split(default_build):
    validation = default_build[1]["validation"]
    agreement = validation["agreement"]["engine_qemu_vs_tflm"]
    assert agreement["bit_exact"] and agreement["elements"] == validation["samples"]
    assert validation["runtimes"]["engine_qemu"]["ap"] == validation["runtimes"]["tflm"]["ap"]


def test_firmware_self_test_passes_in_qemu_with_instruction_counts(default_build):
    directory, report = default_build
    selftest = report["engine"]["selftest"]
    assert selftest["passed"] and selftest["ran_on"] == "QEMU netduinoplus2"
    assert "golden outputs matched: 4/4" in selftest["console"] and "PASS" in selftest["console"]
    assert f"stack peak: {selftest['stack']['peak_bytes']} bytes" in selftest["console"]
    assert 0 < selftest["stack"]["peak_bytes"] <= selftest["stack"]["reserved_bytes"]
    instructions = selftest["instructions"]
    layers = instructions["per_layer"]
    assert [layer["opcode"] for layer in layers] == [op["opcode"] for op in report["graph"]["operators"]]
    assert all(layer["instructions"] > 0 for layer in layers)
    # the layers account for the whole inference (per-layer means are rounded)
    assert abs(instructions["per_inference"] - sum(layer["instructions"] for layer in layers)) <= len(layers)
    assert instructions["per_inference"] < instructions["boot_to_exit"]
    assert report["cost"] == instructions
    # the estimate beside the exact count: per layer, summing to the inference, at the board's clock
    estimate = selftest["estimated_cycles"]
    assert estimate["model"]["kind"] == "estimate" and "DDI 0439B" in estimate["model"]["source"]
    assert estimate["model"]["flash_wait_states"] == report["board"]["flash_wait_states"] == 5
    assert estimate["per_inference"] == sum(layer["estimated_cycles"] for layer in layers)
    assert estimate["ms_at_board_clock"] == pytest.approx(1e3 * estimate["per_inference"] / 180e6)
    assert all(layer["estimated_cycles"] >= layer["instructions"] for layer in layers)   # no class is under 1 cycle
    assert estimate["classes_per_inference"]["mac"] > 0 and estimate["classes_per_inference"]["flash_lines"] > 0
    graph = read_graph(directory / "model_int8.tflite")
    graph_weights = weights = sum(t.data.nbytes for t in graph.tensors if t.is_constant)
    for op in (graph.operators[layer["op"]] for layer in report["engine"]["layers"] if layer["weights"] == "int16"):
        int8 = graph.tensors[op.inputs[1]].data
        bias = graph.tensors[op.inputs[2]].data.nbytes
        if op.opcode == "DEPTHWISE_CONV_2D":   # its channels' records in place of the int8 weights and the bias
            weights += stream_bytes(int8.shape[3]) - int8.nbytes - bias
        elif op.opcode == "CONV_2D" and pointwise_fuses(weighted_op(graph, op)):   # its fused stream, likewise
            weights += fused_pointwise_bytes(int8.shape[0], int8.shape[3]) - int8.nbytes - bias
        else:
            weights += int8.nbytes   # int16: twice
    assert report["engine"]["optimize"] == "balanced" and weights > graph_weights   # the F446 has the flash for them
    firmware = report["engine"]["firmware"]
    # beside the weights: 16 kB of golden self-test data, the kernels with their DSP paths (issue 16's first-layer,
    # pooling, MEAN, depthwise-plane, int16-weight and banded deep-window paths among them), runner mode; the
    # asm loops that requantise in registers (window, pointwise, depthwise, FC chunks) add 6.1 kB to session 8's
    # 59.1 kB (65,224 B measured); session 11: the 3x3 windows three pixels at a time (matmul_triples: blocks3x2 in
    # four band modes) 3.8 kB, window_pairs' unrolled channel-pair loop 0.6 kB,
    # the depthwise six-output pass and small planes 2.5 kB, FULLY_CONNECTED's chunk asm,
    # the ADD tables' quads and the stack's paint (74,104 B measured); session 14: the depthwise layers on their
    # channels' records (int16 in the report), the int8 depthwise kernels no longer linked (67,700 B measured), the
    # 3-pixel blocks' loops of eight groups 1.7 kB (69,364 B measured), the RGB first layer's triples 1.4 kB;
    # session 20: 1x1 over 16 channels two pixels at a time in two halves 1.2 kB (75,764 B measured); session 21:
    # 1x1 layers on their fused streams, less tc_pointwise_wide's three-pixel blocks, 0.5 kB (76,260 B measured);
    # session 22: each depthwise layer's passes for its output step in model.c, 0.3 kB a layer (77,220 B measured),
    # the 1x1 blocks for each fused layer's shape, 0.8 kB over 32 inputs (78,022 B measured), 0.4 kB over 16 inputs
    # now fused (78,420 B measured); session 23: each depthwise ring's whole walk for its shape in model.c, its copies
    # and passes inline, 1.2 kB a shape (81,044 B measured); the 1x1 blocks two a loop turn over an even count of
    # channel pairs, twice their code (82,452 B measured)
    assert weights < firmware["text_bytes"] < weights + 82_700


def test_firmware_project_builds_alone_with_its_makefile(default_build, tmp_path):
    import subprocess

    project = tmp_path / "firmware"
    shutil.copytree(default_build[0] / "firmware", project)
    subprocess.run(["make", "-C", str(project), "clean"], check=True, capture_output=True)
    subprocess.run(["make", "-C", str(project)], check=True, capture_output=True)
    assert (project / "firmware.bin").read_bytes() == (default_build[0] / "firmware.bin").read_bytes()
    linker = (project / "linker.ld").read_text()
    assert "ORIGIN = 0x08000000, LENGTH = 524288" in linker and "ORIGIN = 0x20000000, LENGTH = 131072" in linker


def test_model_the_engine_cannot_run_still_builds_for_tflm(default_build, tmp_path):
    from test_bad_input import _with_op_replaced

    model = tmp_path / "sum.tflite"   # MEAN -> SUM: TFLM runs it (same options), our engine not yet
    model.write_bytes(_with_op_replaced((default_build[0] / "model_int8.tflite").read_bytes(), "MEAN", "SUM"))
    directory, report = build(BuildOptions(target="stm32", model=str(model), out=str(tmp_path / "b")))
    assert not report["engine"]["supported"] and "SUM" in report["engine"]["reason"]
    assert "engine_host" not in report["validation"]["runtimes"] and not (directory / "engine").exists()
    assert report["memory"]["backend"] == "tflm" and report["memory"]["engine"] is None
    assert not (directory / "firmware.elf").exists()


def test_report_json_follows_the_documented_schema(default_build):
    directory, report = default_build
    on_disk = json.loads((directory / "report.json").read_text())
    assert on_disk == json.loads(json.dumps(report))
    for key in ("schema_version", "tinyctl_version", "model", "board", "graph", "artifacts", "memory", "engine",
                "validation", "cost", "timings_s"):
        assert key in on_disk
    assert on_disk["board"]["name"] == "nucleo-f446re"
    html = (directory / "report.html").read_text()
    assert "nucleo-f446re" in html and f"{on_disk['memory']['tflm']['arena_bytes']:,}" in html
    assert f"{on_disk['cost']['per_inference']:,}" in html
    assert f"Stack: a peak of <b>{on_disk['engine']['selftest']['stack']['peak_bytes']:,} B</b> of the 4,096 B" in html


def test_report_tables_shorten_layer_names_and_give_the_full_name_on_hover(default_build):
    from markupsafe import escape

    from tinyctl.report import LAYER_NAME_CHARS, short_layer_name

    directory, report = default_build
    html = (directory / "report.html").read_text()
    layers = report["cost"]["per_layer"]
    assert layers and any(len(layer["layer"]) > LAYER_NAME_CHARS for layer in layers)   # the case that matters
    for layer in layers:
        short = short_layer_name(layer["layer"])
        assert len(short) <= LAYER_NAME_CHARS
        assert f'<span class="layer" title="{escape(layer["layer"])}">{escape(short)}</span>' in html
    assert html.count('<th class="name">op and layer</th>') == 1 + bool(report["sensitivity"])


def test_report_records_what_its_plots_draw(default_build):
    from tinyctl.macs import graph_macs

    directory, report = default_build
    boxes = report["engine"]["plan"]
    assert max(box["offset"] + box["bytes"] for box in boxes) == report["engine"]["arena_bytes"]
    assert all(0 <= box["first"] <= box["last"] < len(report["graph"]["operators"]) for box in boxes)
    graph = read_graph(directory / "model_int8.tflite")
    assert [op["macs"] for op in report["graph"]["operators"]] == [op["macs"] for op in graph_macs(graph)["per_op"]]
    html = (directory / "report.html").read_text()
    for plot in ("arena", "accuracy", "cost", "sqnr"):
        assert f'<figure class="plot" id="plot-{plot}"><svg ' in html, plot


def test_manifest_records_inputs_options_and_tools(default_build):
    manifest = json.loads((default_build[0] / "manifest.json").read_text())
    assert manifest["inputs"]["model"]["path"] == "models/checkpoints/default_detector.pt"
    assert len(manifest["inputs"]["model"]["sha256"]) == 64
    assert manifest["options"]["target"] == "stm32" and manifest["options"]["calibration_samples"] == 200
    assert {"torch", "onnx2tf", "tensorflow", "tflite-micro", "onnxruntime"} <= set(manifest["tools"])
    assert "timings" not in json.dumps(manifest)
    assert set(manifest["artifacts"]) == set(REPRODUCIBLE_ARTIFACTS)
    board_file = manifest["inputs"]["board_file"]
    assert board_file["name"] == "nucleo-f446re.toml" and board_file["copy"] == "board.toml"
    assert hashlib.sha256((default_build[0] / "board.toml").read_bytes()).hexdigest() == board_file["sha256"]


def test_two_builds_give_identical_bytes(default_build, tmp_path):
    directory, _ = default_build
    first = tmp_path / "first"
    shutil.copytree(directory, first)
    build(BuildOptions(target="stm32", out=str(directory)))
    for name in REPRODUCIBLE_ARTIFACTS + ["manifest.json"]:
        assert (first / name).read_bytes() == (directory / name).read_bytes(), name


def test_validate_reruns_beside_the_build_and_leaves_it_byte_identical(build_copy):
    from tinyctl.cli import main

    before = json.loads((build_copy / "report.json").read_text())["validation"]
    (build_copy / "report.json").write_text(   # a blank validation: the result below must be recomputed
        json.dumps({**json.loads((build_copy / "report.json").read_text()), "validation": {}}))
    as_built = {name: (build_copy / name).read_bytes() for name in ("report.json", "report.html")}
    assert main(["validate", str(build_copy)]) == 0
    assert {name: (build_copy / name).read_bytes() for name in as_built} == as_built
    after = json.loads((build_copy / "validate" / "report.json").read_text())["validation"]
    assert after == before
    assert np.isclose(after["runtimes"]["tflm"]["ap"], before["runtimes"]["tflm"]["ap"])
    assert "Accuracy on the test split" in (build_copy / "validate" / "report.html").read_text()


def test_report_verb_rerenders_the_build_and_links_the_results_beside_it(build_copy):
    from tinyctl.cli import main

    as_built = (build_copy / "report.html").read_bytes()
    assert main(["report", str(build_copy)]) == 0
    assert (build_copy / "report.html").read_bytes() == as_built   # nothing beside it yet: the page as built
    (build_copy / "validate").mkdir()
    (build_copy / "validate" / "report.html").write_text("<html></html>")
    (build_copy / "board_run.json").write_text("{}")
    assert main(["report", str(build_copy)]) == 0
    page = (build_copy / "report.html").read_text()
    assert 'href="validate/report.html"' in page and 'href="board_run.json"' in page


def test_qdq_onnx_is_int8_per_channel(default_build):
    import onnx

    graph = onnx.load(str(default_build[0] / "model_int8.onnx")).graph
    ops = [node.op_type for node in graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops and "Conv" in ops
    scales = {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}
    weight_dq = [n for n in graph.node if n.op_type == "DequantizeLinear" and scales.get(n.input[1]) is not None
                 and scales[n.input[1]].size > 1]
    assert weight_dq, "expected per-channel weight scales"
    zero_points = [scales[n.input[2]] for n in graph.node if n.op_type == "QuantizeLinear" and len(n.input) > 2]
    assert all(z.dtype == np.int8 for z in zero_points)
