"""The MLPerf Tiny reference models built by tinyctl.reference_models, and MAC counting in tinyctl.macs."""

import math
import subprocess
import sys

import numpy as np
import pytest

from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.macs import graph_macs
from tinyctl.reference_models import REFERENCE_MODELS, build_reference_model, main, write_reference_models
from tinyctl.tflm_ops import check_tflm_ops

NAMES = list(REFERENCE_MODELS)

# name -> (input shape, output shape, {opcode: number of such ops}); every op of the model is listed.
EXPECTED = {
    "resnet8": ((1, 32, 32, 3), (1, 10),
                {"CONV_2D": 9, "ADD": 3, "AVERAGE_POOL_2D": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1}),
    "mobilenet_v1_025": ((1, 96, 96, 3), (1, 2),
                         {"CONV_2D": 14, "DEPTHWISE_CONV_2D": 13, "AVERAGE_POOL_2D": 1, "FULLY_CONNECTED": 1,
                          "SOFTMAX": 1}),
    "ds_cnn": ((1, 49, 10, 1), (1, 12),
               {"CONV_2D": 5, "DEPTHWISE_CONV_2D": 4, "AVERAGE_POOL_2D": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1}),
    "fc_autoencoder": ((1, 640), (1, 640), {"FULLY_CONNECTED": 10}),
}


def _resnet8_macs():
    macs = 32 * 32 * 16 * (3 * 3 * 3)                       # stem: conv 16 3x3 on 32x32x3
    size, channels = 32, 16
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        size //= stride
        macs += size * size * filters * 9 * channels         # first 3x3 conv of the stack
        macs += size * size * filters * 9 * filters          # second 3x3 conv
        if stride != 1:
            macs += size * size * filters * channels         # 1x1 projection shortcut
        channels = filters
    return macs + 64 * 10                                    # dense 10


def _mobilenet_v1_025_macs():
    size, channels = 48, 8
    macs = size * size * 8 * (3 * 3 * 3)                     # conv 8 3x3 stride 2: 96 -> 48
    for filters, stride in ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                            (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)):
        size = math.ceil(size / stride)
        macs += size * size * channels * 9                   # depthwise 3x3
        macs += size * size * filters * channels             # pointwise 1x1
        channels = filters
    return macs + 256 * 2


def _ds_cnn_macs():
    positions = 25 * 5                                       # 49x10 with stride 2, 'same' padding
    return positions * 64 * (10 * 4 * 1) + 4 * (positions * 64 * 9 + positions * 64 * 64) + 64 * 12


def _fc_autoencoder_macs():
    widths = (640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640)
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


HAND_MACS = {"resnet8": (_resnet8_macs(), 12.5e6), "mobilenet_v1_025": (_mobilenet_v1_025_macs(), 7.5e6),
             "ds_cnn": (_ds_cnn_macs(), 2.7e6), "fc_autoencoder": (_fc_autoencoder_macs(), 0.26e6)}


@pytest.fixture(scope="module")
def models(reference_tflite):
    """The four reference models, converted once per session (seed 0)."""
    assert set(reference_tflite) == set(NAMES)
    return reference_tflite


@pytest.mark.parametrize("name", NAMES)
def test_fully_int8(models, name):
    graph = read_graph(models[name])
    shape_in, shape_out, _ = EXPECTED[name]
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    assert (inp.dtype, inp.shape, out.dtype, out.shape) == ("INT8", shape_in, "INT8", shape_out)
    activations = [t for t in graph.tensors if not t.is_constant]
    assert activations and all(t.dtype == "INT8" and len(t.scale) == 1 for t in activations)
    for op in graph.operators:
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            assert op.inputs[2] >= 0                                    # a bias (optional for FC) is there
            weights, bias = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
            assert weights.dtype == "INT8" and bias.dtype == "INT32" and bias.is_constant
            channels = weights.shape[weights.quantized_dimension]
            assert len(weights.scale) == channels > 1           # per-channel weights


@pytest.mark.parametrize("name", NAMES)
def test_op_set(models, name):
    graph = read_graph(models[name])
    counts = {opcode: sum(op.opcode == opcode for op in graph.operators) for opcode in graph.opcodes()}
    assert counts == EXPECTED[name][2]
    check_tflm_ops(graph)


@pytest.mark.parametrize("name", NAMES)
def test_macs_match_the_architecture(models, name):
    exact, approximate = HAND_MACS[name]
    macs = graph_macs(read_graph(models[name]))
    assert macs["total"] == exact
    assert abs(exact - approximate) / approximate < 0.02
    assert sum(macs["by_opcode"].values()) == exact == sum(p["macs"] for p in macs["per_op"])
    assert len(macs["per_op"]) == sum(EXPECTED[name][2].values())
    # ADD output elements (ResNet-8 only): 32x32x16 + 16x16x32 + 8x8x64
    assert macs["elementwise_elements"] == (32 * 32 * 16 + 16 * 16 * 32 + 8 * 8 * 64 if name == "resnet8" else 0)


@pytest.mark.parametrize("name", NAMES)
def test_tflite_micro_runs_it(models, name):
    from tflite_micro import runtime

    shape_in, shape_out, _ = EXPECTED[name]
    interpreter = runtime.Interpreter.from_bytes(models[name])
    rng = np.random.default_rng(7)
    outputs = []
    for _ in range(4):
        interpreter.set_input(rng.integers(-128, 128, size=shape_in, dtype=np.int8), 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0), copy=True))
    assert all(o.shape == shape_out and o.dtype == np.int8 for o in outputs)
    assert any(not np.array_equal(outputs[0], o) for o in outputs[1:])  # not degenerate: the input matters


def test_conversion_is_byte_reproducible(models, tmp_path):
    assert build_reference_model("fc_autoencoder") == models["fc_autoencoder"]     # same process
    assert build_reference_model("fc_autoencoder", seed=1) != models["fc_autoencoder"]
    subprocess.run([sys.executable, "-m", "tinyctl.reference_models", "--out", str(tmp_path), "ds_cnn"],
                   check=True, capture_output=True)
    assert (tmp_path / "ds_cnn.tflite").read_bytes() == models["ds_cnn"]           # another process


def test_unknown_names_and_help(tmp_path, capsys):
    with pytest.raises(TinyctlError, match="unknown reference model"):
        write_reference_models(tmp_path, ["resnet50"])
    assert main(["--out", str(tmp_path), "resnet50"]) == 2
    assert "choose from resnet8" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--out" in out and all(name in out for name in NAMES)
    assert not list(tmp_path.iterdir())
