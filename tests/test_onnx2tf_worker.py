"""The converter's worker runs onnx2tf's `onnxsim` command in its own process: the same bytes as the command
writes, and a failing run raises what the command's exit status did, so onnx2tf goes on without it."""

import subprocess

import numpy as np
import onnx
import onnx2tf.onnx2tf as converter
import pytest
from onnx import helper, numpy_helper

from tinyctl.stages.onnx2tf_worker import _simplify_here
from tinyctl.tools import search_path


def _foldable_model(path):
    """y = x + (a * b): the product of two constants is what onnxsim folds away."""
    a, b = (numpy_helper.from_array(np.full((1, 4), v, np.float32), name) for v, name in ((2.0, "a"), (3.0, "b")))
    nodes = [helper.make_node("Mul", ["a", "b"], ["ab"]), helper.make_node("Add", ["x", "ab"], ["y"])]
    graph = helper.make_graph(nodes, "foldable", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])], [a, b])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.fixture
def in_process(monkeypatch):
    """onnx2tf's `subprocess` as the worker sets it, put back after the test."""
    monkeypatch.setattr(converter, "subprocess", converter.subprocess)
    _simplify_here()
    return converter.subprocess.check_output


def test_onnxsim_in_the_worker_writes_what_the_command_writes(in_process, tmp_path):
    for name in ("here.onnx", "command.onnx"):
        _foldable_model(tmp_path / name)
    in_process(["onnxsim", str(tmp_path / "here.onnx"), str(tmp_path / "here.onnx")], stderr=subprocess.PIPE)
    subprocess.run(["onnxsim", str(tmp_path / "command.onnx"), str(tmp_path / "command.onnx")], check=True,
                   capture_output=True, env={"PATH": search_path()})
    assert [node.op_type for node in onnx.load(tmp_path / "here.onnx").graph.node] == ["Add"]
    assert (tmp_path / "here.onnx").read_bytes() == (tmp_path / "command.onnx").read_bytes()


def test_a_failing_onnxsim_raises_what_onnx2tf_catches(in_process, tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        in_process(["onnxsim", str(tmp_path / "missing.onnx"), str(tmp_path / "out.onnx")], stderr=subprocess.PIPE)
    assert not (tmp_path / "out.onnx").exists()
