"""Models with no known data (issue 14, point 3) and TFLite files as older converters wrote them (point 7):
an int8 TFLite builds without calibration and is checked runtime against runtime on generated inputs; a
comparison runtime that refuses the model is reported as skipped; a float ONNX without data is refused."""

import json

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from benchmarks.fuzz_seeds import pack
from kernel_harness import convert
from tinyctl.cli import main
from test_onnx_prepare import _export


def _tiny_detector(tf, x):
    rng = np.random.default_rng(3)
    conv = tf.nn.relu(tf.nn.conv2d(x, tf.constant(rng.normal(size=(3, 3, 1, 4)), tf.float32), 1, "SAME"))
    return tf.matmul(tf.reduce_mean(conv, axis=[1, 2]), tf.constant(rng.normal(size=(4, 1)), tf.float32))


def _old_converter_tflite() -> bytes:
    """A converted int8 model whose per-tensor dense weights say quantized_dimension 3, as older converters
    wrote it: legal for TFLite-Micro (one scale), refused by LiteRT."""
    model = schema.ModelT.InitFromPackedBuf(convert(_tiny_detector, (1, 16, 16, 1), 5, per_channel_dense=False), 0)
    graph = model.subgraphs[0]
    dense = next(op for op in graph.operators
                 if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.FULLY_CONNECTED)
    weights = graph.tensors[dense.inputs[1]].quantization
    assert len(weights.scale) == 1
    weights.quantizedDimension = 3
    return pack(model)


def test_old_int8_tflite_without_data_builds_with_litert_skipped(tmp_path, capsys):
    model = tmp_path / "old.tflite"
    model.write_bytes(_old_converter_tflite())
    assert main(["build", "--target", "host", "--model", str(model), "--out", str(tmp_path / "b")]) == 0
    terminal = capsys.readouterr().out
    validation = json.loads((tmp_path / "b" / "report.json").read_text())["validation"]
    litert = validation["runtimes"]["int8_tflite"]
    assert "quantized_dimension must be in range" in litert["skipped"] and "int8_tflite_vs_tflm" not in validation["agreement"]
    assert validation["split"] == "generated" and not validation["accuracy_measured"] and validation["samples"] == 100
    assert "no accuracy measured" in validation["note"]
    assert not any("ap" in runtime for runtime in validation["runtimes"].values())
    engine = validation["agreement"]["engine_host_vs_tflm"]
    assert engine["bit_exact"] and engine["rmse"] == 0.0 and engine["cosine"] > 0.999999
    html = (tmp_path / "b" / "report.html").read_text()
    for shown in (terminal, html):
        assert "no accuracy measured" in shown and "skipped" in shown and "quantized_dimension must be in range" in shown
    assert main(["validate", str(tmp_path / "b")]) == 0   # re-validation knows the build had no data
    assert json.loads((tmp_path / "b" / "report.json").read_text())["validation"] == validation


def test_float_onnx_without_data_is_refused(tmp_path, capsys):
    model = _export(tmp_path / "float.onnx")
    assert main(["build", "--target", "host", "--model", str(model), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "float.onnx is a float model with no known data" in err and "--synthetic-data" in err
    assert "Traceback" not in err and not (tmp_path / "b").exists()


def test_int8_tflite_asked_to_use_synthetic_data_is_scored_on_it_and_revalidated_so(tmp_path):
    model = tmp_path / "old.tflite"
    model.write_bytes(_old_converter_tflite())
    out = tmp_path / "b"
    assert main(["build", "--target", "host", "--model", str(model), "--out", str(out), "--synthetic-data"]) == 0
    validation = json.loads((out / "report.json").read_text())["validation"]
    assert validation["split"] == "test" and validation["accuracy_measured"] and "ap" in validation["runtimes"]["tflm"]
    assert main(["validate", str(out)]) == 0
    assert json.loads((out / "report.json").read_text())["validation"] == validation
