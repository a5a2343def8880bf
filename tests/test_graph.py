import numpy as np
import pytest

from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.tflm_ops import TFLM_RESOLVER_METHODS, check_tflm_ops, resolver_methods


def test_graph_view_of_the_default_model(default_build):
    graph = read_graph(default_build[0] / "model_int8.tflite")
    assert graph.operators[0].index == 0 and len(graph.inputs) == len(graph.outputs) == 1
    for op in graph.operators:
        for index in op.inputs:
            if index >= 0:
                assert 0 <= index < len(graph.tensors)
    conv = next(op for op in graph.operators if op.opcode == "CONV_2D")
    weights, bias = graph.tensors[conv.inputs[1]], graph.tensors[conv.inputs[2]]
    assert weights.is_constant and weights.data.dtype == np.int8 and weights.data.shape == weights.shape
    assert bias.dtype == "INT32" and bias.data.shape == (weights.shape[0],)
    assert len(weights.scale) == weights.shape[0] and weights.quantized_dimension == 0
    assert conv.options is not None and hasattr(conv.options, "strideH")
    activation = graph.tensors[conv.outputs[0]]
    assert not activation.is_constant and len(activation.scale) == 1
    check_tflm_ops(graph)
    assert resolver_methods(graph) == sorted(TFLM_RESOLVER_METHODS[o] for o in graph.opcodes())


@pytest.mark.parametrize("payload", [b"", b"abcdTFL3" + b"\xff" * 40, b"\x00" * 64])
def test_corrupt_flatbuffers_are_refused(payload):
    with pytest.raises(TinyctlError):
        read_graph(payload)


def test_inspect_prints_every_op(default_build, capsys):
    from tinyctl.cli import main

    assert main(["inspect", str(default_build[0] / "model_int8.tflite")]) == 0
    out = capsys.readouterr().out
    for opcode in read_graph(default_build[0] / "model_int8.tflite").opcodes():
        assert opcode in out
    assert main(["inspect", "missing.tflite"]) == 2
