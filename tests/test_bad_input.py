"""Bad input: one clear line, exit status 2, no traceback, and never a build directory left behind."""

import flatbuffers
import pytest
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from board_files import small_stm32
from tinyctl import tools
from tinyctl.cli import main


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


def _assert_nothing_built(out):
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*"))


def test_unknown_board(tmp_path, capsys):
    code, err = _run(["build", "--target", "stm23", "--out", str(tmp_path / "b")], capsys)
    assert code == 2 and "unknown board 'stm23'" in err and "nucleo-f446re" in err
    _assert_nothing_built(tmp_path / "b")


def test_missing_model(tmp_path, capsys):
    code, err = _run(["build", "--model", str(tmp_path / "nope.onnx"), "--out", str(tmp_path / "b")], capsys)
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize("name", ["broken.onnx", "broken.tflite", "broken.pt"])
def test_corrupt_model(tmp_path, capsys, name):
    bad = tmp_path / name
    bad.write_bytes(b"\x08\x07this is not a model" * 10)
    code, err = _run(["build", "--model", str(bad), "--out", str(tmp_path / "b")], capsys)
    assert code == 2 and ("corrupt" in err or "cannot load checkpoint" in err or "not a TFLite" in err)
    _assert_nothing_built(tmp_path / "b")


def test_unsupported_format(tmp_path, capsys):
    bad = tmp_path / "model.h5"
    bad.write_bytes(b"HDF")
    code, err = _run(["build", "--model", str(bad)], capsys)
    assert code == 2 and "unsupported model format '.h5'" in err


def _with_op_replaced(tflite: bytes, old: str, new: str) -> bytes:
    """The same model with every `old` op turned into `new` (a real flatbuffer, written by the schema)."""
    model = schema.ModelT.InitFromPackedBuf(tflite, 0)
    for code in model.operatorCodes:
        if max(code.builtinCode, code.deprecatedBuiltinCode) == getattr(schema.BuiltinOperator, old):
            code.builtinCode = getattr(schema.BuiltinOperator, new)
            code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    builder = flatbuffers.Builder(len(tflite))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_op_tflm_cannot_run_is_named_with_its_layer(default_build, tmp_path, capsys):
    model = tmp_path / "topk.tflite"
    model.write_bytes(_with_op_replaced((default_build[0] / "model_int8.tflite").read_bytes(), "MEAN", "TOPK_V2"))
    code, err = _run(["build", "--model", str(model), "--out", str(tmp_path / "b")], capsys)
    assert code == 2 and "TFLite-Micro cannot run op TOPK_V2 (layer '" in err
    _assert_nothing_built(tmp_path / "b")


def test_model_too_large_for_the_board_gives_the_numbers(default_build, tmp_path, capsys):
    tiny = small_stm32(tmp_path, 16_384)
    out = tmp_path / "b"
    code, err = _run(["build", "--model", str(default_build[0] / "model_int8.tflite"), "--target", str(tiny),
                      "--out", str(out)], capsys)
    assert code == 2 and "does not fit nucleo-f446re with the tinyctl engine" in err and "16,384 B" in err
    arena = default_build[1]["engine"]["arena_bytes"]
    assert f"arena {arena:,} B" in err and "nucleo-h743zi" in err
    _assert_nothing_built(out)
    assert not (tmp_path / "b.failed-logs" / "onnx2tf.log").exists()


def test_missing_external_tool_names_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tools, "search_path", lambda: str(tmp_path))
    code, err = _run(["build", "--out", str(tmp_path / "b")], capsys)
    assert code == 2 and "'gcc' is not installed" in err and "apt-get install -y --no-install-recommends gcc" in err
    _assert_nothing_built(tmp_path / "b")


def test_doctor_reports_missing_tools_with_apt_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tools, "search_path", lambda: str(tmp_path))
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert code == 1 and "missing" in out and "gcc-arm-none-eabi" in out


def test_float_tflite_is_refused_as_not_int8(default_build, tmp_path, capsys):
    from tinyctl.graph import read_graph
    from tinyctl.stages.quantize import check_fully_int8
    from tinyctl.errors import TinyctlError

    graph = read_graph((default_build[0] / "model_int8.tflite").read_bytes())
    as_float = graph.__class__(tensors=tuple(t.__class__(**{**t.__dict__, "dtype": "FLOAT32"}) for t in graph.tensors),
                               operators=graph.operators, inputs=graph.inputs, outputs=graph.outputs)
    with pytest.raises(TinyctlError, match="is FLOAT32, not INT8"):
        check_fully_int8(as_float)


def test_model_tflm_fails_to_run_gives_its_reason(default_build, tmp_path, capsys):
    model = tmp_path / "reduce_max.tflite"   # REDUCE_MAX needs equal input and output scales; MEAN's differ
    model.write_bytes(_with_op_replaced((default_build[0] / "model_int8.tflite").read_bytes(), "MEAN", "REDUCE_MAX"))
    code, err = _run(["build", "--model", str(model), "--out", str(tmp_path / "b")], capsys)
    assert code == 2 and "TFLite-Micro cannot run this model" in err and "REDUCE_MAX" in err
    _assert_nothing_built(tmp_path / "b")



def test_failing_cross_compiler_is_reported_with_its_message(build_copy):
    from tinyctl.errors import TinyctlError
    from tinyctl.firmware import compile_firmware
    from tinyctl.targets import resolve_board

    project = build_copy / "firmware"
    (project / "model.c").write_text("this is not C;\n")
    with pytest.raises(TinyctlError, match="the firmware build failed for nucleo-f446re") as err:
        compile_firmware(resolve_board("stm32"), project)
    assert "model.c" in err.value.message and "error:" in err.value.message
