"""Zoo models: output shape, trainability, ONNX parity, size and op budget."""

import numpy as np
import onnxruntime
import pytest
import torch
from torch import nn

from tinyctl.models.zoo import ZOO, build_model
from tinyctl.models.zoo.binary_cnn import BinaryDetector, BinaryDetectorConfig

# Modules that map onto fully-int8 TFLite-Micro kernels (BatchNorm is folded at export).
ALLOWED = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.MaxPool2d, nn.AvgPool2d, nn.Linear, nn.Sequential)


def _model(**config) -> BinaryDetector:
    torch.manual_seed(0)
    return build_model("binary_cnn", config)


@pytest.mark.parametrize("channels, size", [(1, 64), (3, 32)])
def test_output_is_one_logit_per_image(channels, size):
    model = _model(in_channels=channels, input_size=size).eval()
    assert model(torch.rand(5, channels, size, size)).shape == (5, 1)


def test_parameter_budget_and_ops():
    model = _model()
    assert sum(p.numel() for p in model.parameters()) < 15_000
    for module in model.modules():
        assert isinstance(module, (BinaryDetector, *ALLOWED)), type(module).__name__


def test_few_steps_lower_the_loss():
    model = _model()
    images, labels = torch.rand(16, 1, 64, 64), torch.arange(16.0) % 2
    images[labels == 1, :, 20:40, 30:33] = 1.0  # a bright bar marks the positives
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = nn.functional.binary_cross_entropy_with_logits(model(images).squeeze(1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter is what onnx2tf expects
def test_onnx_export_matches_torch(tmp_path):
    model = _model().eval()
    x = torch.rand(4, 1, 64, 64)
    path = tmp_path / "model.onnx"
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, input_names=["x"], output_names=["logit"])
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"x": x.numpy()})
    np.testing.assert_allclose(onnx_out, model(x).detach().numpy(), atol=1e-4, rtol=1e-4)


def test_config_round_trip_and_validation():
    config = BinaryDetectorConfig(in_channels=3, input_size=32, widths=(4, 8))
    assert BinaryDetectorConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["widths"] == [4, 8]
    for bad in (dict(in_channels=2), dict(widths=()), dict(widths=(8, 0)), dict(input_size=60)):
        with pytest.raises(ValueError):
            BinaryDetectorConfig(**bad)
    with pytest.raises(ValueError, match="unknown"):
        BinaryDetectorConfig.from_dict({"width": [8]})


def test_registry_lists_known_names():
    assert set(ZOO) == {"binary_cnn", "classifier", "cam", "supersimplenet", "split_head"}
    with pytest.raises(ValueError, match="binary_cnn"):
        build_model("resnet", {})
