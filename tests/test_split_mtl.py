"""MTL-Split: size labels from the masks, joint training, a multi-output tail that serves and simulates."""

import json

import numpy as np
import onnxruntime as ort

from split_support import tiny_checkpoint
from tinyctl.model_source import load_source
from tinyctl.split.cases import partition_case
from tinyctl.split.client import TailClient
from tinyctl.split.mtl import MTLOptions, load_task_data, size_classes, train_mtl
from tinyctl.split.server import server_thread
from tinyctl.split.tail import TailModel


def test_size_classes_come_from_the_mask_area():
    masks = np.zeros((4, 4, 4), np.uint8)
    masks[1, :1, :2] = 1        # 2 pixels
    masks[2, :2, :] = 1         # 8 pixels
    masks[3, :1, :1] = 1        # a label-0 image keeps class 0 whatever its mask
    assert size_classes(np.array([0, 1, 1, 0]), masks, median_area=4).tolist() == [0, 1, 2, 0]


def test_mtl_trains_a_shared_head_with_two_task_tails(tmp_path):
    data, median = load_task_data(load_source(tiny_checkpoint()))
    assert set(np.unique(data["train"][1]["size"])) == {0, 1, 2} and median > 0
    out, summary = train_mtl(MTLOptions(cut=9, model=str(tiny_checkpoint()), out=str(tmp_path / "mtl"), epochs=1,
                                        ratio=2, single_task_baselines=True), data, median)
    assert summary["outputs"] == ["defect", "size"] and summary["code_shape"] == [4, 1, 1]
    assert set(summary["metrics"]) == {"mtl", "single_task"}
    assert 0 <= summary["metrics"]["mtl"]["size"]["accuracy"] <= 1
    assert json.loads((out / "split.json").read_text())["tasks"]["size"]["classes"] == 3
    session = ort.InferenceSession(str(out / "tail.onnx"), providers=["CPUExecutionProvider"])
    defect, size = session.run(None, {"code": np.zeros((5, 4, 1, 1), np.float32)})
    assert defect.shape == (5, 1) and size.shape == (5, 3)
    with server_thread(TailModel(out / "tail.onnx")) as server, TailClient(server.host, server.port) as client:
        answers = client.infer(np.zeros((1, 1, 1, 4), np.int8), 0.1, 0, "NHWC")   # one frame per task
    assert [a.shape for a in answers] == [(1, 1), (1, 3)]
    case = partition_case(out, data["val"][0])          # simulate takes the MTL directory like a partition
    assert case.payload_bytes == 4 and case.tail(np.zeros((2, 4, 1, 1), np.float32)).shape == (2,)
