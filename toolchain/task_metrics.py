"""Metrics that follow the model's task: anomaly detection (one score per input), classification (N logits)
and reconstruction (output shaped as the input: the score is the mean squared reconstruction error)."""

from __future__ import annotations

import numpy as np

from .errors import TinyctlError

TASKS = ("anomaly", "classification", "reconstruction")
CURVE_POINTS = 51   # the report's ROC and PR curves, sampled on this many evenly spaced FPR / recall values


def guess_task(task: str | None, output_shape: tuple, input_size: int, labels: np.ndarray | None) -> str:
    """The task `--task` names, else the one one output (no batch axis) implies; "agreement" when nothing can
    be scored (no labels, or a feature map such as a split head's that is neither logits nor a reconstruction)."""
    size = int(np.prod(output_shape))
    if task is None:
        task = ("reconstruction" if size == input_size and size > 1 else "anomaly" if size == 1
                else "classification" if len(output_shape) == 1 else "agreement")
    return task if labels is not None else "agreement"


def check_labels(task: str, labels: np.ndarray, output_size: int) -> None:
    if task == "classification":
        if labels.min() < 0 or labels.max() >= output_size:
            raise TinyctlError(f"labels run from {labels.min()} to {labels.max()}, the model has {output_size} outputs",
                               "classification labels are class indices 0..N-1, N the model's output size")
    elif not np.isin(labels, (0, 1)).all():
        raise TinyctlError(f"{task} labels must be 0 (normal) or 1 (anomaly), got values {sorted(set(labels.tolist()))[:6]}",
                           "pass --task classification for class indices")
    elif len(set(labels.tolist())) < 2:
        raise TinyctlError(f"the validation data holds only label {labels[0]}: {task} metrics (AUROC, AP) need "
                           "normal (0) and anomalous (1) inputs",
                           "give validation data with both labels (with one array file, the odd rows validate)")


def _flat(values: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """Per-sample rows; a TFLite (NHWC) image output is put channels first when `like` (NCHW) asks for it."""
    if like is not None and values.ndim == 4 and values.shape[1:] != like.shape[1:]:
        values = values.transpose(0, 3, 1, 2)
    return values.reshape(len(values), -1).astype(np.float64)


def task_scores(task: str, values: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """One anomaly score per input: the detector's logit, or the mean squared reconstruction error."""
    if task == "reconstruction":
        return np.mean((_flat(values, inputs) - _flat(inputs)) ** 2, axis=1)
    return _flat(values)[:, 0]


def scored_metrics(val_scores, test_scores, y_val, y_test) -> dict:
    """Detector metrics of one runtime; the threshold is chosen on val (Youden J)."""
    from tinyctl.models.metrics import detector_metrics, youden_threshold

    threshold = youden_threshold(val_scores, y_val)
    return {**detector_metrics(test_scores, y_test, threshold), "threshold": float(threshold),
            "curves": curves(test_scores, y_test, threshold)}


def classification_metrics(values: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1, per-class accuracy (None for a class with no test sample) and the confusion matrix
    (rows = true class, columns = predicted)."""
    logits = _flat(values)
    n = logits.shape[1]
    predicted = logits.argmax(axis=1)
    confusion = np.zeros((n, n), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    totals = confusion.sum(axis=1)
    return {"top1": float(np.mean(predicted == labels)),
            "per_class_accuracy": [float(confusion[i, i] / totals[i]) if totals[i] else None for i in range(n)],
            "confusion": confusion.tolist()}


def curves(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """ROC (TPR at evenly spaced FPR) and PR (precision at evenly spaced recall) on the test split, compact enough
    for report.json, and the operating point (FPR, TPR) at the runtime's own threshold."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    grid = np.linspace(0, 1, CURVE_POINTS)
    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    positive = labels.astype(bool)
    return {"grid": [round(float(g), 4) for g in grid],
            "roc_tpr": [round(float(v), 4) for v in np.interp(grid, fpr, tpr)],
            "pr_precision": [round(float(v), 4) for v in np.interp(grid, recall[::-1], precision[::-1])],
            "operating_point": [round(float(np.mean(scores[~positive] >= threshold)), 4),
                                round(float(np.mean(scores[positive] >= threshold)), 4)]}
