"""The converter's worker: kept between a thread's conversions, it gives the bytes a fresh one gives; a model it
cannot convert gets the project's error and the next conversion a fresh worker. It runs onnx2tf's `onnxsim`
command in its own process: the bytes the command writes, and a failing run raises what the command's exit
status did, so onnx2tf goes on without it."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import onnx2tf.onnx2tf as converter
import pytest
from onnx import helper, numpy_helper

from tinyctl.datasets import calibration_set
from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.model_source import load_source
from tinyctl.stages.onnx2tf_worker import _simplify_here
from tinyctl.stages.quantize import _converter, convert_int8_tflite, convert_model
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


def test_one_worker_converts_in_turn_what_a_fresh_worker_converts(tmp_path):
    """The thread's worker, kept between conversions (another model's with narrowed ranges between), and after
    it died, gives the bytes of a fresh worker: one in a new thread, whose worker ends with it."""
    source = load_source(None)
    calibration = calibration_set(source, 16, 0)

    def converted(name: str, percentile: float | None = None) -> bytes:
        return convert_model(source, tmp_path / name, calibration, percentile)[0]

    kept = [converted("first"), converted("narrowed", 99.9), converted("again")]
    _converter().worker.kill()
    _converter().worker.wait()
    kept.append(converted("after its death"))
    with ThreadPoolExecutor(1) as pool:
        fresh = pool.submit(converted, "fresh").result()
    assert kept[0] == kept[2] == kept[3] == fresh != kept[1]


def test_a_model_onnx2tf_cannot_convert_names_the_log_and_the_next_conversion_works(tmp_path):
    node = helper.make_node("Frobnicate", ["x"], ["y"], domain="com.example")
    graph = helper.make_graph([node], "unknown", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])])
    opsets = [helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)]
    onnx.save(helper.make_model(graph, opset_imports=opsets), tmp_path / "unknown.onnx")
    log = tmp_path / "onnx2tf.log"
    with pytest.raises(TinyctlError, match="onnx2tf could not convert") as error:
        convert_int8_tflite(tmp_path / "unknown.onnx", tmp_path / "out.tflite", np.zeros((4, 4), np.float32), log, log)
    assert str(log) in error.value.hint and log.read_text() and not (tmp_path / "out.tflite").exists()
    _foldable_model(tmp_path / "foldable.onnx")
    calibration = np.random.default_rng(0).random((8, 4), np.float32)
    convert_int8_tflite(tmp_path / "foldable.onnx", tmp_path / "out.tflite", calibration, log, log)
    assert read_graph(tmp_path / "out.tflite").operators


def test_a_forked_child_does_not_share_its_parents_worker():
    """A process forked after a conversion (a process pool, say) starts a worker of its own."""
    parent = _converter()
    child = os.fork()
    if child == 0:
        os._exit(0 if _converter() is not parent and _converter().worker is None else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
