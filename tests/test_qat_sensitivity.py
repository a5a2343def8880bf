"""QAT and per-layer sensitivity on a detector built to lose accuracy in int8 (weight outliers), through the
same fully-int8 TFLite route as every build (onnx2tf, MinMax calibration, LiteRT reference kernels)."""

import dataclasses

import numpy as np
import pytest

from compression_models import with_weight_outliers
from tinyctl.compress.finetune import TrainingData
from tinyctl.compress.qat import quantization_aware_training
from tinyctl.compress.sensitivity import layer_sensitivity, summary
from tinyctl.datasets import labelled_split
from tinyctl.graph import read_graph
from tinyctl.model_source import load_source
from tinyctl.models.metrics import average_precision
from tinyctl.models.train import predict
from tinyctl.runtimes import run_tflite
from tinyctl.stages.quantize import convert_model

QAT_TRAIN_IMAGES = 500
QAT_EPOCHS = 3


def _int8(source, model, calibration, work):
    return convert_model(dataclasses.replace(source, torch_model=model), work, calibration)


@pytest.fixture(scope="module")
def outlier_case(tmp_path_factory):
    source = load_source(None)
    x_train, y_train = labelled_split(source, "train")
    x_val, y_val = labelled_split(source, "val")
    x_test, y_test = labelled_split(source, "test")
    calibration = x_train[::10]
    model = with_weight_outliers(source.torch_model)
    work = tmp_path_factory.mktemp("outliers")
    ptq = _int8(source, model, calibration, work / "ptq")
    data = TrainingData(x_train[:QAT_TRAIN_IMAGES], y_train[:QAT_TRAIN_IMAGES], x_val, y_val)
    qat_model, record = quantization_aware_training(model, data, calibration, QAT_EPOCHS)
    qat = _int8(source, qat_model, calibration, work / "qat")
    ap = lambda scores: average_precision(scores, y_test)  # noqa: E731
    return {"float_ap": ap(predict(model, x_test)), "ptq_ap": ap(run_tflite(ptq[0], x_test).values.ravel()),
            "qat_ap": ap(run_tflite(qat[0], x_test).values.ravel()), "ptq": ptq, "x_test": x_test, "record": record}


def test_qat_recovers_at_least_half_of_the_post_training_drop(outlier_case):
    drop = outlier_case["float_ap"] - outlier_case["ptq_ap"]
    assert drop > 0.01, outlier_case                          # PTQ loses more than 1 pp on this model
    recovered = outlier_case["qat_ap"] - outlier_case["ptq_ap"]
    assert recovered >= 0.5 * drop, outlier_case
    record = outlier_case["record"]
    assert record["simulated_int8_val_ap_after"] >= record["simulated_int8_val_ap_before"]


def test_qat_model_is_fully_int8_with_the_same_ops(outlier_case):
    graph = read_graph(outlier_case["ptq"][0])
    assert graph.tensors[graph.inputs[0]].dtype == graph.tensors[graph.outputs[0]].dtype == "INT8"
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(graph.opcodes())


def test_sensitivity_points_at_the_layers_with_outlier_weights(outlier_case):
    int8_model, float_model = outlier_case["ptq"]
    rows = layer_sensitivity(float_model, int8_model, outlier_case["x_test"])
    graph = read_graph(int8_model)
    assert [r["index"] for r in rows] == [op.index for op in graph.operators]
    assert all(r["sqnr_db"] is not None for r in rows)
    crushed = {op.index for op in graph.operators if op.opcode == "CONV_2D"
               and np.mean(graph.tensors[op.inputs[1]].data == 0) > 0.5}   # the outliers' rounding victims
    assert len(crushed) == 2
    worst = summary(rows)["worst_layer"]
    assert worst["index"] in crushed and worst["sqnr_fall_db"] > 3, rows
    assert summary(rows)["output_sqnr_db"] == rows[-1]["sqnr_db"]
