"""A catalogue of hostile model files, checkpoints and flags through the CLI: each one exits 2 with one
clean error line naming what is wrong, and never a traceback."""

import io
import json
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from benchmarks.fuzz_seeds import pack, tiny_onnx, tiny_tflite
from tinyctl.cli import main
from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from tinyctl.models.split.layers import cut_points, sequential_layers
from tinyctl.models.split.modules import split_model
from tinyctl.stages.quantize import check_fully_int8
from tinyctl.runtimes import run_tflite
from tinyctl.split.partition import export_split, head_config
from tinyctl.split.partition_dir import read_partition


def _tflite(edit) -> bytes:
    model = schema.ModelT.InitFromPackedBuf(tiny_tflite(16, 1, 4), 0)
    edit(model, model.subgraphs[0])
    return pack(model)


def _set(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)


TFLITE = {   # name: (edit of the seed model's tree, what the error must say)
    "name not UTF-8": (lambda m, s: _set(s.tensors[3], name=b"\xff\xfeconv"), "the name of tensor #3 is not UTF-8"),
    "opcode index out of range": (lambda m, s: _set(s.operators[1], opcodeIndex=7), "op #1 uses op code 7, the model has 3"),
    "tensor index out of range": (lambda m, s: _set(s.operators[0], inputs=[0, 99, 2]), "op #0 (CONV_2D) names tensors [0, 99, 2]"),
    "shape disagrees with buffer": (lambda m, s: _set(s.tensors[1], shape=[4, 3, 3, 2]), "'conv/weights' (#1) has shape [4, 3, 3, 2] of INT8 (72 B) but its buffer holds 36 B"),
    "missing inputs": (lambda m, s: _set(s.operators[2], inputs=[5]), "op #2 (FULLY_CONNECTED) needs 2 input(s)"),
    "omitted required input": (lambda m, s: _set(s.operators[0], inputs=[0, -1, 2]), "op #0 (CONV_2D) needs 2 input(s)"),
    "negative dimension": (lambda m, s: _set(s.tensors[0], shape=[1, -16, 16, 1]), "'image' (#0) has shape [1, -16, 16, 1]"),
    "NaN scale": (lambda m, s: _set(s.tensors[3].quantization, scale=[float("nan")]), "'conv' (#3) has a scale that is not a positive finite"),
    "scales without zero points": (lambda m, s: _set(s.tensors[3].quantization, zeroPoint=[]), "'conv' (#3) has 1 scales but 0 zero points"),
    "zero point outside int8": (lambda m, s: _set(s.tensors[3].quantization, zeroPoint=[300]), "zero point outside -128..127"),
    "per-channel scales on a wrong axis": (lambda m, s: _set(s.tensors[1].quantization, quantizedDimension=3), "4 per-channel scales along dimension 3"),
    "buffer index out of range": (lambda m, s: _set(s.tensors[2], buffer=1000), "'conv/bias' (#2) names buffer 1000"),
    "options of another op": (lambda m, s: _set(s.operators[0], builtinOptionsType=schema.BuiltinOptions.ReducerOptions,
                                                builtinOptions=schema.ReducerOptionsT()), "op #0 (CONV_2D) lacks its Conv2DOptions"),
    "stride 0": (lambda m, s: _set(s.operators[0].builtinOptions, strideH=0), "op #0 (CONV_2D) has strideH 0"),
    "unknown padding": (lambda m, s: _set(s.operators[0].builtinOptions, padding=7), "op #0 (CONV_2D) has padding 7"),
    "ops out of order": (lambda m, s: s.operators.reverse(), "op #0 reads tensor 'mean' (#5) before any op writes it"),
    "conv output of another batch": (lambda m, s: _set(s.tensors[3], shape=[256, 16, 16, 4]), "op #0 (CONV_2D): the output must be batch 1 and 16x16"),
    "weights of other channels": (lambda m, s: _set(s.tensors[6], shape=[4, 1]), "op #2 (FULLY_CONNECTED): input, weights and output disagree"),
    "unknown tensor type": (lambda m, s: _set(s.tensors[4], type=99), "'mean/axes' (#4) has unknown type code 99"),
    "no subgraph input": (lambda m, s: _set(s, inputs=[]), "the model's inputs [] and outputs [8]"),
    "two subgraphs": (lambda m, s: m.subgraphs.append(s), "the model has 2 subgraphs"),
}


def _checkpoint(edit) -> bytes:
    payload = torch.load(DEFAULT_CHECKPOINT, weights_only=True)
    edit(payload)
    out = io.BytesIO()
    torch.save(payload, out)
    return out.getvalue()


CHECKPOINTS = {
    "missing input_shape": (lambda p: p["preprocessing"].pop("input_shape"), "preprocessing.input_shape must be [channels, height, width]"),
    "threshold as a string": (lambda p: p.update(threshold="0.85"), "threshold must be a finite number (a logit), got '0.85'"),
    "NaN threshold": (lambda p: p.update(threshold=float("nan")), "threshold must be a finite number"),
    "preprocessing as a list": (lambda p: p.update(preprocessing=[1, 64, 64]), "preprocessing must be a dict, got list"),
    "absurd input shape": (lambda p: p["preprocessing"].update(input_shape=[1, 100000, 100000]), "sides of 1 to 1024 pixels, got [1, 100000, 100000]"),
    "zero std": (lambda p: p["preprocessing"].update(std=0), "preprocessing.std must be a positive finite number"),
    "dataset size not makeable": (lambda p: p["preprocessing"]["dataset"].update(size=20), "preprocessing.dataset: size must be a multiple of 8"),
    "config disagrees with weights": (lambda p: p["config"].update(widths=[4096, 4096, 4096]), "weights do not match the binary_cnn config"),
    "config fed another input": (lambda p: p["config"].update(input_size=100000), "config.input_size is 100000, but preprocessing.input_shape feeds 64"),
    "impossible widths": (lambda p: p["config"].update(widths=[1 << 40, 8, 16]), "invalid binary_cnn config"),
    "weights not tensors": (lambda p: p["state_dict"].update({"head.bias": "weights"}), "weights do not match the binary_cnn config"),
    "unknown architecture": (lambda p: p.update(arch="resnet1000"), "unknown architecture 'resnet1000'"),
}


def _onnx(edit) -> bytes:
    model = onnx.load_from_string(tiny_onnx(16, 1, 4))
    edit(model)
    return model.SerializeToString()


ONNX = {
    "input size the dataset cannot make": (lambda m: [d.__setattr__("dim_value", 20) for d in m.graph.input[0].type.tensor_type.shape.dim[2:]], "cannot make the model's 1x20x20 input"),
    "absurd input size": (lambda m: [d.__setattr__("dim_value", 100000) for d in m.graph.input[0].type.tensor_type.shape.dim[2:]], "cannot make the model's 1x100000x100000 input"),
    "weights of the wrong shape": (lambda m: m.graph.initializer[0].dims.__setitem__(1, 5), "corrupt or invalid ONNX file"),
    "unknown op": (lambda m: m.graph.node[1].__setattr__("op_type", "NoSuchOp"), "corrupt or invalid ONNX file"),
}


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.lower().startswith("error")]
    assert code == 2 and len(errors) == 1, output
    return " ".join(output.split())


def _build_fails(tmp_path, capsys, name: str, data: bytes, *flags: str) -> str:
    model = tmp_path / name
    model.write_bytes(data)
    message = _run(["build", "--model", str(model), "--out", str(tmp_path / "b"), *flags], capsys)
    assert not (tmp_path / "b").exists()
    return message


@pytest.mark.parametrize("case", sorted(TFLITE))
def test_hostile_tflite(tmp_path, capsys, case):
    edit, expected = TFLITE[case]
    assert expected in _build_fails(tmp_path, capsys, "hostile.tflite", _tflite(edit))


def test_truncated_tflite(tmp_path, capsys):
    data = tiny_tflite(16, 1, 4)
    assert "corrupt TFLite flatbuffer" in _build_fails(tmp_path, capsys, "cut.tflite", data[:len(data) // 2])


@pytest.mark.parametrize("case", sorted(CHECKPOINTS))
def test_hostile_checkpoint(tmp_path, capsys, case):
    edit, expected = CHECKPOINTS[case]
    assert expected in _build_fails(tmp_path, capsys, "hostile.pt", _checkpoint(edit))


@pytest.mark.parametrize("case", sorted(ONNX))
def test_hostile_onnx(tmp_path, capsys, case):
    edit, expected = ONNX[case]
    assert expected in _build_fails(tmp_path, capsys, "hostile.onnx", _onnx(edit), "--synthetic-data")


FLAGS = {   # arguments after the verb: what the error must say
    "build --max-drop nan": "Invalid value for '--max-drop': nan is not a finite number",
    "build --prune inf": "Invalid value for '--prune': inf is not a finite number",
    "build --seed -1": "Invalid value for '--seed'",
    "build --calibration-samples 0": "Invalid value for '--calibration-samples'",
    "build --percentile 0": "Invalid value for '--percentile': 0.0 is not a percentile",
    "build --prune-steps 0": "Invalid value for '--prune-steps'",
    "prune --out {tmp}/p.pt --max-drop nan": "Invalid value for '--max-drop'",
    "prune --out {tmp}/p.pt --seed -1": "Invalid value for '--seed'",
    "build --model {tmp}": "is a directory, not a file",
    "build --target {tmp}/": "is a directory, not a file",
    "inspect {tmp}": "is a directory, not a file",
    "inspect {tmp}/missing.tflite": "does not exist",
    "split serve {tail} --port 99999": "Invalid value for '--port'",
    "split serve {tail} --port -1": "Invalid value for '--port'",
    "split serve {tail} --max-frame 0": "Invalid value for '--max-frame'",
    "split serve {tail} --max-clients 0": "Invalid value for '--max-clients'",
    "split serve {tmp}": "is a directory, not a file",
    "split serve {junk}": "is not a valid ONNX model",
    "split bridge {tmp} --tail-port 0": "Invalid value for '--tail-port'",
    "split partition --cut 3 --lr nan": "Invalid value for '--lr'",
    "split partition --cut -1": "Invalid value for '--cut'",
    "split simulate --min-accuracy 2": "Invalid value for '--min-accuracy'",
    "split rank --samples 0": "Invalid value for '--samples'",
    "run {tmp} --timeout nan": "Invalid value for '--timeout'",
    "run {tmp} --infer-timeout -5": "Invalid value for '--infer-timeout'",
}


@pytest.mark.parametrize("flags", sorted(FLAGS))
def test_hostile_flags(tmp_path, capsys, flags):
    tail, junk = tmp_path / "tail.onnx", tmp_path / "junk.onnx"
    tail.write_bytes(tiny_onnx(16, 1, 4))
    junk.write_bytes(b"this is no onnx model" * 4)
    args = flags.format(tmp=tmp_path, tail=tail, junk=junk).split()
    assert FLAGS[flags] in _run(args, capsys)


@pytest.fixture(scope="module")
def partition_dir(tmp_path_factory):
    """A partition of the default detector at its first cut, exported without fine-tuning (a second)."""
    checkpoint = load_checkpoint(DEFAULT_CHECKPOINT)
    config = head_config(checkpoint, cut_points(sequential_layers(checkpoint.model))[0], ratio=8, stages=2)
    model = split_model(checkpoint.model, config)
    out, _ = export_split(tmp_path_factory.mktemp("partition") / "p", model.head, model.tail, config, checkpoint,
                          checkpoint.threshold, {}, ["logit"])
    return out


def _edit_json(path, edit):
    summary = json.loads(path.read_text())
    edit(summary)
    path.write_text(json.dumps(summary))


PARTITIONS = {   # name: (edit of the partition directory, what the error must say)
    "split.json not JSON": (lambda d: (d / "split.json").write_text("{\"cut\": 9,"), "split.json is not valid JSON"),
    "split.json not UTF-8": (lambda d: (d / "split.json").write_bytes(b"\xff\xfe{}"), "split.json is not valid JSON"),
    "split.json a list": (lambda d: (d / "split.json").write_text("[]"), "split.json holds a JSON list, not an object"),
    "split.json without code_shape": (lambda d: _edit_json(d / "split.json", lambda s: s.pop("code_shape")),
                                      "split.json lacks 'code_shape' (a list of positive sizes)"),
    "threshold as a string": (lambda d: _edit_json(d / "split.json", lambda s: s.update(threshold="0.5")),
                              "'threshold' must be a finite number, got '0.5'"),
    "code_shape of another partition": (lambda d: _edit_json(d / "split.json", lambda s: s.update(code_shape=[9, 9, 9])),
                                        "split.json's code_shape [9, 9, 9] disagrees with head.pt's output"),
    "head.pt truncated": (lambda d: (d / "head.pt").write_bytes((d / "head.pt").read_bytes()[:100]),
                          "cannot load the partition's head"),
    "head.pt missing": (lambda d: (d / "head.pt").unlink(), "no such checkpoint file"),
    "head.pt of a whole detector": (lambda d: shutil.copyfile(DEFAULT_CHECKPOINT, d / "head.pt"),
                                    "head.pt is a binary_cnn checkpoint, not a split head"),
    "tail.onnx missing": (lambda d: (d / "tail.onnx").unlink(), "tail.onnx does not exist"),
}


def test_an_intact_partition_reads_back(partition_dir):
    partition = read_partition(partition_dir)
    assert list(partition.tail.input_shape) == partition.summary["code_shape"]


@pytest.mark.parametrize("case", sorted(PARTITIONS))
def test_hostile_partition_directory(tmp_path, capsys, partition_dir, case):
    edit, expected = PARTITIONS[case]
    damaged = shutil.copytree(partition_dir, tmp_path / "p")
    edit(damaged)
    assert expected in _run(["split", "simulate", "--partition", str(damaged), "--out", str(tmp_path / "s")], capsys)


@pytest.mark.parametrize("args", [["build", "--max-drop", "nan"], ["build", "--model", "{model}"]])
def test_hostile_input_in_a_real_process(tmp_path, args):
    model = tmp_path / "hostile.tflite"
    model.write_bytes(_tflite(TFLITE["tensor index out of range"][0]))
    done = subprocess.run([sys.executable, "-m", "tinyctl.cli", *(a.format(model=model) for a in args)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
    assert "Invalid value for '--max-drop'" in done.stderr or "names tensors [0, 99, 2]" in done.stderr


def test_int8_tensor_without_quantization_is_refused_by_the_int8_check():
    graph = read_graph(_tflite(lambda m, s: _set(s.tensors[3], quantization=None)))
    with pytest.raises(TinyctlError, match="int8 tensor 'conv' has no quantization scale and zero point"):
        check_fully_int8(graph)


def test_a_model_litert_refuses_is_a_clear_error():
    model = _tflite(lambda m, s: _set(s.tensors[6], shape=[2, 2]))   # FC weights [2, 2] with 1 bias: same bytes
    with pytest.raises(TinyctlError, match="LiteRT, the int8 TFLite comparison runtime, refuses this model: .*bias"):
        run_tflite(model, np.zeros((1, 1, 16, 16), np.float32))
