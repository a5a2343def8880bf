"""Validation: the task's metrics in every runtime (task_metrics.py), int8 agreement (bit-exactness, largest difference,
RMSE, cosine), the float -> int8 drop and threshold drift."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .datasets import class_names, describe, generated_inputs, labelled_split
from .errors import TinyctlError
from .firmware_run import FIRMWARE_ELF, HOST_EXECUTABLE
from .graph import read_graph
from .model_source import ModelSource
from .runtimes import (RuntimeOutput, run_engine_firmware, run_engine_host, run_keras, run_onnx, run_tflite,
                       run_tflm, run_torch)
from .stages.keras_int8 import KERAS_COPY
from .targets import Board
from .task_metrics import check_labels, classification_metrics, guess_task, scored_metrics, task_scores

RUNTIME_LABELS = {
    "float_torch": "float (PyTorch)",
    "float_onnx": "float ONNX (onnxruntime)",
    "float_keras": "float Keras (TensorFlow)",
    "int8_qdq_onnx": "int8 QDQ ONNX (onnxruntime)",
    "int8_tflite": "int8 TFLite (LiteRT reference kernels)",
    "tflm": "int8 TFLite-Micro",
    "engine_host": "int8 tinyctl engine (host build)",
    "engine_qemu": "int8 tinyctl firmware (QEMU)",
}

FLOAT_RUNTIMES = ("float_torch", "float_onnx", "float_keras")   # the drop's reference, the first the build has
MAY_REFUSE = {"int8_tflite"}   # LiteRT checks things TFLite-Micro, the reference, does not: it may skip a model
GENERATED_SAMPLES = 100        # generated inputs for a model with no known data
NO_DATA_NOTE = ("no accuracy measured: the model came with no data, so the runtimes are only compared with each "
                "other on inputs drawn uniformly over its int8 input range")
NO_LABELS_NOTE = "no accuracy measured: the data has no labels, so the runtimes are only compared with each other"


def _runners(build_dir: Path, source: ModelSource, arena_bytes: int, board: Board) -> dict:
    """The runtimes this build can be checked in (a TFLite source has no float model)."""
    tflite = (build_dir / "model_int8.tflite").read_bytes()
    runners = {}
    if source.torch_model is not None:
        runners["float_torch"] = lambda x: run_torch(source.torch_model, x)
    if (build_dir / "model.onnx").is_file():
        runners["float_onnx"] = lambda x: run_onnx(build_dir / "model.onnx", x)
        runners["int8_qdq_onnx"] = lambda x: run_onnx(build_dir / "model_int8.onnx", x)
    if (build_dir / KERAS_COPY).is_file():
        runners["float_keras"] = lambda x: run_keras(build_dir / KERAS_COPY, x)
    runners["int8_tflite"] = lambda x: run_tflite(tflite, x)
    runners["tflm"] = lambda x: run_tflm(tflite, x, arena_bytes)
    if (build_dir / HOST_EXECUTABLE).is_file():
        runners["engine_host"] = lambda x: run_engine_host(build_dir / HOST_EXECUTABLE, tflite, x)
    if (build_dir / FIRMWARE_ELF).is_file() and board.qemu_machine is not None:
        runners["engine_qemu"] = lambda x: run_engine_firmware(board, build_dir, tflite, x)
    return runners


def _scores(output: RuntimeOutput) -> np.ndarray | None:
    """A detector gives one logit per image; anything else has no detector metrics."""
    flat = output.values.reshape(len(output.values), -1)
    return flat[:, 0] if flat.shape[1] == 1 else None


def _runtime_metrics(task: str, val: tuple, test: tuple) -> dict | None:
    """The task's metrics of one runtime from its (outputs, inputs, labels) on val and test."""
    (val_out, x_val, y_val), (test_out, x_test, y_test) = val, test
    if task == "classification":
        return classification_metrics(test_out.values, y_test)
    if task in ("anomaly", "reconstruction"):
        return scored_metrics(task_scores(task, val_out.values, x_val), task_scores(task, test_out.values, x_test),
                              y_val, y_test)
    return None


def _agreement(a: RuntimeOutput, b: RuntimeOutput) -> dict:
    diff = np.abs(a.raw.astype(np.int32) - b.raw.astype(np.int32))
    x, y = a.values.reshape(-1).astype(np.float64), b.values.reshape(-1).astype(np.float64)
    norms = float(np.linalg.norm(x) * np.linalg.norm(y))
    return {"elements": int(diff.size), "mismatched": int(np.count_nonzero(diff)),
            "max_abs_diff_lsb": int(diff.max(initial=0)), "bit_exact": bool(not diff.any()),
            "rmse": float(np.sqrt(np.mean((x - y) ** 2))) if x.size else 0.0,
            "cosine": float(x @ y / norms) if norms else float(np.array_equal(x, y))}


def _inputs(build_dir: Path, source: ModelSource) -> tuple[dict, tuple, tuple]:
    """(what the report says about the data, (val inputs, labels), (test inputs, labels)): labels None without
    data or when the data has none."""
    if source.dataset is None:
        graph = read_graph((build_dir / "model_int8.tflite").read_bytes())
        x_test = generated_inputs(graph.tensors[graph.inputs[0]], GENERATED_SAMPLES, seed=0)
        data = {"spec": None, "split": "generated", "count": len(x_test),
                "description": f"generated inputs over the int8 input range, {len(x_test)} inputs"}
        return ({"split": "generated", "accuracy_measured": False, "note": NO_DATA_NOTE, "data": data},
                (None, None), (x_test, None))
    x_val, y_val = labelled_split(source, "val")
    x_test, y_test = labelled_split(source, "test")
    data = {"split": "test", "accuracy_measured": y_test is not None, "data": describe(source, "test", len(x_test))}
    if y_test is None:
        data["note"] = NO_LABELS_NOTE
    return data, (x_val, y_val), (x_test, y_test)


def _task(source: ModelSource, output: RuntimeOutput, x_test: np.ndarray, y_test, y_val) -> str:
    task = guess_task(source.task, output.values[0].shape, x_test[0].size, y_test)
    if task != "agreement":
        for labels in (y_test, y_val) if task != "classification" else (y_test,):   # val picks the threshold
            check_labels(task, labels, output.values[0].size)
    return task


def _task_fields(task: str, source: ModelSource, y_test, outputs: dict) -> dict:
    """The validation-level fields of a task: positives of a scored task, class names of a classifier."""
    if task == "classification":
        return {"classes": class_names(source, next(iter(outputs.values())).values[0].size)}
    return {"positives": int(y_test.sum())}   # anomaly labels (a split head's too: its tail scores them)


def evaluate(build_dir: Path, source: ModelSource, arena_bytes: int, board: Board, progress=None) -> dict:
    """Run the val and test splits through every runtime; thresholds are chosen on val (Youden J). A model
    with no known data is run on generated inputs and its runtimes only compared with each other. A
    comparison runtime that refuses the model is reported as skipped with its reason."""
    data, (x_val, y_val), (x_test, y_test) = _inputs(build_dir, source)
    runners = _runners(build_dir, source, arena_bytes, board)
    task = progress.add_task("validate", total=len(runners)) if progress else None
    outputs, metrics, skipped, kind = {}, {}, {}, None
    for name, run in runners.items():
        if progress:
            progress.update(task, description=f"validate: {RUNTIME_LABELS[name]}")
        try:
            outputs[name] = run(x_test)
        except TinyctlError as exc:
            if name not in MAY_REFUSE:
                raise
            skipped[name] = exc.message
        if name in outputs:
            kind = kind or _task(source, outputs[name], x_test, y_test, y_val)
            val = run(x_val) if kind in ("anomaly", "reconstruction") else None
            metrics[name] = _runtime_metrics(kind, (val, x_val, y_val), (outputs[name], x_test, y_test))
        if progress:
            progress.advance(task)
    result = {**data, "task": kind, **(_task_fields(kind, source, y_test, outputs) if y_test is not None else {}),
              "samples": int(len(x_test)),
              "runtimes": {k: {"label": RUNTIME_LABELS[k], **(metrics.get(k) or {}),
                               **({"skipped": skipped[k]} if k in skipped else {})} for k in runners},
              "agreement": {f"{name}_vs_tflm": _agreement(outputs[name], outputs["tflm"])
                            for name in ("int8_tflite", "engine_host", "engine_qemu") if name in outputs}}
    result.update(_drift(metrics, source))
    return result


DROP_KEYS = {"classification": ("top1",), "scored": ("auroc", "ap", "f1_max", "accuracy")}


def _drift(metrics: dict, source: ModelSource) -> dict:
    """How much int8 costs: metric drop in percentage points and, for a scored task, the threshold's move."""
    reference = next((name for name in FLOAT_RUNTIMES if name in metrics), None)
    if reference is None or metrics.get(reference) is None or metrics.get("int8_tflite") is None:
        return {}
    ref, q = metrics[reference], metrics["int8_tflite"]
    keys = DROP_KEYS["classification" if "top1" in ref else "scored"]
    drift = {"reference": reference, "drop_pp": {k: round(100 * (ref[k] - q[k]), 4) for k in keys}}
    if "threshold" in ref:
        drift["threshold_drift"] = {"float": ref["threshold"], "int8": q["threshold"],
                                    "delta": q["threshold"] - ref["threshold"]}
        if source.threshold is not None:
            drift["threshold_drift"]["checkpoint"] = source.threshold
    return drift
