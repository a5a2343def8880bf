"""Partition: the bottleneck's shapes and payload, fine-tuning only the bottleneck, the exported head and tail."""

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from split_support import tiny_checkpoint
from tinyctl.datasets import labelled_split
from tinyctl.errors import TinyctlError
from tinyctl.model_source import load_source
from tinyctl.models.checkpoint import load_checkpoint
from tinyctl.models.split.bottleneck import BottleneckConfig, decoder, encoder
from tinyctl.models.split.modules import SplitHeadConfig, split_model
from tinyctl.split.partition import PartitionOptions, partition


@pytest.fixture(scope="module")
def tiny():
    checkpoint = tiny_checkpoint()
    source = load_source(checkpoint)
    return checkpoint, {split: labelled_split(source, split) for split in ("train", "val", "test")}


@pytest.mark.parametrize("shape, ratio, stages, code", [((8, 16, 16), 8, 2, (2, 4, 4)), ((32, 8, 8), 8, 2, (8, 2, 2)),
                                                         ((16, 7, 9), 4, 2, (8, 2, 3)), ((12, 5, 5), 3, 1, (4, 3, 3))])
def test_bottleneck_shapes_and_payload(shape, ratio, stages, code):
    config = BottleneckConfig(*shape, ratio=ratio, stages=stages)
    assert config.code_shape() == code
    x = torch.randn(2, *shape)
    z = encoder(config)(x)
    assert tuple(z.shape[1:]) == code and int(np.prod(code)) == z[0].numel()   # int8 payload bytes
    assert decoder(config)(z).shape == x.shape                                  # odd sizes come back exactly


def test_split_without_bottleneck_is_the_model(tiny):
    model = load_checkpoint(tiny[0]).model
    config = SplitHeadConfig("binary_cnn", load_checkpoint(tiny[0]).config, cut=5, cut_shape=(4, 8, 8), stages=0)
    x = torch.rand(3, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(split_model(model, config)(x), model(x))
    assert config.code_shape() == (4, 8, 8)


def test_partition_fine_tunes_only_the_bottleneck_and_exports(tiny, tmp_path):
    checkpoint, data = tiny
    frozen = {k: v.clone() for k, v in load_checkpoint(checkpoint).model.state_dict().items()}
    out, summary = partition(PartitionOptions(cut=9, model=str(checkpoint), out=str(tmp_path / "p"), epochs=1,
                                              last_layer_epochs=1), data)
    assert summary["cut_shape"] == [4, 4, 4] and summary["code_shape"] == [2, 1, 1]
    assert summary["payload_int8_bytes"] == 2
    assert set(summary["metrics"]) == {"unsplit", "inserted", "fine_tuned", "last_layer_tuned"}
    assert json.loads((out / "split.json").read_text())["cut"] == 9
    head = load_source(out / "head.pt")                   # `tinyctl build` loads it like a detector
    x = data["test"][0][:4]
    with torch.no_grad():
        code = head.torch_model(torch.from_numpy(x))
        base_layers = load_checkpoint(checkpoint).model.state_dict()
    assert tuple(code.shape) == (4, 2, 1, 1)
    for key, value in head.torch_model.layers.state_dict().items():   # the head's base layers did not move
        torch.testing.assert_close(value, frozen[f"features.{key}"])
    assert all(torch.equal(base_layers[k], frozen[k]) for k in frozen)
    tail = ort.InferenceSession(str(out / "tail.onnx"), providers=["CPUExecutionProvider"])
    logits = tail.run(None, {"code": code.numpy()})[0]
    assert logits.shape == (4, 1) and np.isfinite(logits).all()


def test_partition_refuses_a_point_inside_a_unit(tiny, tmp_path):
    with pytest.raises(TinyctlError, match="not a cut point"):
        partition(PartitionOptions(cut=1, model=str(tiny[0]), out=str(tmp_path / "p")), tiny[1])
