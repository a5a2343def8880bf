"""ONNX files as users export them (issue 14, point 6): odd input/output names, a dynamic batch axis, newer
opsets are fixed in the build's model.onnx before onnx2tf sees them."""

import warnings

import onnx
import pytest
import torch

from tinyctl.errors import TinyctlError
from tinyctl.pipeline import BuildOptions, build
from tinyctl.stages.onnx_prepare import ONNX_OPSET, prepare_user_onnx


class ReluFirst(torch.nn.Module):
    """A tiny detector whose first op is a plain function: the exporter names its input `onnx::Relu_0`."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.conv(x.relu()).relu().mean((2, 3)))


def _export(path, opset=ONNX_OPSET, dynamic_batch=False, output_name=None):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the legacy exporter's deprecation, its doubt about our axis name
        torch.onnx.export(ReluFirst().eval(), (torch.rand(1, 3, 32, 32),), str(path), dynamo=False,
                          opset_version=opset, output_names=[output_name] if output_name else None,
                          dynamic_axes={"onnx::Relu_0": {0: "batch"}} if dynamic_batch else None)
    return path


def _io(path):
    model = onnx.load(str(path))
    return ([(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in model.graph.input],
            [(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in model.graph.output])


@pytest.mark.parametrize("opset", [13, 17, 20])
def test_odd_names_and_dynamic_batch_are_fixed(tmp_path, opset):
    user = _export(tmp_path / "user.onnx", opset, dynamic_batch=True, output_name="head/logit:0")
    assert _io(user)[0][0][0] == "onnx::Relu_0" and _io(user)[0][0][1][0] == 0   # what users give us
    prepare_user_onnx(user, tmp_path / "model.onnx")
    fixed = onnx.load(str(tmp_path / "model.onnx"))
    onnx.checker.check_model(fixed, full_check=True)
    assert _io(tmp_path / "model.onnx") == ([("input", [1, 3, 32, 32])], [("output", [1, 1])])
    assert fixed.opset_import[0].version == min(opset, ONNX_OPSET)


def test_a_model_that_needs_no_fix_is_copied(tmp_path):
    user = _export(tmp_path / "user.onnx", output_name="logit")
    model = onnx.load(str(user))
    model.graph.input[0].name = model.graph.node[0].input[0] = "input.1"   # dots are names onnx2tf keeps
    onnx.save(model, str(user))
    prepare_user_onnx(user, tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").read_bytes() == user.read_bytes()


def test_a_new_name_the_graph_already_uses_is_not_taken(tmp_path):
    user = _export(tmp_path / "user.onnx", output_name="logit:0")
    model = onnx.load(str(user))
    relu = model.graph.node[0]
    for node in model.graph.node:   # the first op's output is called `input`
        node.input[:] = ["input" if name == relu.output[0] else name for name in node.input]
    relu.output[0] = "input"
    onnx.save(model, str(user))
    prepare_user_onnx(user, tmp_path / "model.onnx")
    fixed = onnx.load(str(tmp_path / "model.onnx"))
    onnx.checker.check_model(fixed, full_check=True)
    assert _io(tmp_path / "model.onnx")[0][0][0] == "input_1" and fixed.graph.node[0].output[0] == "input"


def test_a_dynamic_image_axis_is_refused(tmp_path):
    user = _export(tmp_path / "user.onnx")
    model = onnx.load(str(user))
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    onnx.save(model, str(user))
    with pytest.raises(TinyctlError, match="axis 2 of input 'onnx::Relu_0' has no fixed size"):
        prepare_user_onnx(user, tmp_path / "model.onnx")


def test_relu_first_dynamic_batch_onnx_builds(tmp_path):
    user = _export(tmp_path / "relu_first.onnx", opset=18, dynamic_batch=True)
    directory, report = build(BuildOptions(target="host", model=str(user), out=str(tmp_path / "b"),
                                           calibration_samples=16, synthetic_data=True))
    assert _io(directory / "model.onnx")[0] == [("input", [1, 3, 32, 32])]
    assert report["validation"]["agreement"]["engine_host_vs_tflm"]["bit_exact"]
