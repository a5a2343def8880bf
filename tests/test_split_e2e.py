"""End to end on the default detector: head firmware under QEMU -> serial socket -> bridge -> tail server
over TCP -> prediction, equal to the same split computed on the host."""

import numpy as np
import pytest

from tinyctl.datasets import labelled_split
from tinyctl.model_source import load_source
from tinyctl.models.checkpoint import load_checkpoint, save_checkpoint
from tinyctl.models.data.synthetic import SyntheticConfig
from tinyctl.models.metrics import accuracy_at
from tinyctl.pipeline import BuildOptions, build
from tinyctl.runner import emulated_board
from tinyctl.split.bridge import Bridge, host_split_scores
from tinyctl.split.finetune import outputs
from tinyctl.split.partition import PartitionOptions, partition
from tinyctl.split.server import server_thread
from tinyctl.split.tail import TailModel

SMALL = SyntheticConfig(n_train=96, n_val=32, n_test=32)   # the default detector's 64x64 images, fewer of them


@pytest.fixture(scope="module")
def split_build(tmp_path_factory):
    """The default detector cut after its second max pool, bottleneck fine-tuned briefly, head built for stm32."""
    root = tmp_path_factory.mktemp("split-e2e")
    source = load_source(None)
    source.dataset.update(n_train=SMALL.n_train, n_val=SMALL.n_val, n_test=SMALL.n_test)
    data = {split: labelled_split(source, split) for split in ("train", "val", "test")}
    out, summary = partition(PartitionOptions(cut=19, out=str(root / "split"), epochs=2), data)
    head = load_checkpoint(out / "head.pt")   # calibrate and validate the head build on the small set
    preprocessing = {**head.preprocessing, "dataset": {**head.preprocessing["dataset"], **source.dataset}}
    save_checkpoint(out / "head.pt", head.model, head.arch, head.config, preprocessing, head.threshold, head.meta)
    build_dir, _ = build(BuildOptions(target="stm32", model=str(out / "head.pt"), out=str(root / "head-build"),
                                      calibration_samples=64))
    return out, build_dir, summary, data


def test_qemu_head_and_tail_server_equal_the_host_split(split_build):
    out, build_dir, summary, data = split_build
    images, labels = data["test"]
    with server_thread(TailModel(out / "tail.onnx")) as server, emulated_board(build_dir) as url:
        bridge = Bridge(url, server.host, server.port)
        try:
            assert tuple(bridge.info.output.shape) == (1, 2, 2, 4)        # NHWC of the 4x2x2 code
            result = bridge.run(images)
        finally:
            bridge.close()
    assert server.stats.answered == len(images) and not server.stats.errors
    host = host_split_scores(build_dir, out / "tail.onnx", images)
    np.testing.assert_allclose(result.scores, host, rtol=1e-5, atol=1e-5)   # the firmware is bit-exact
    threshold = summary["threshold"]
    device_accuracy = accuracy_at(result.scores, labels, threshold)
    assert device_accuracy == accuracy_at(host, labels, threshold)
    split_model = load_checkpoint(out / "head.pt").model
    tail = TailModel(out / "tail.onnx")
    float_scores = tail.run(outputs(split_model, images).numpy())[0][:, 0]
    assert abs(device_accuracy - accuracy_at(float_scores, labels, threshold)) <= 3 / len(labels)   # int8 tolerance
