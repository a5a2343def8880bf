"""Image-level detection metrics (methods.md 6.4): numpy in, python floats out.

Scores are raw logits; AUROC and AP only depend on their order, so any monotone transform of
the scores gives the same values.
"""

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve


def _check(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten and insist on matching lengths and both classes present (else ROC is undefined)."""
    scores, labels = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.size} scores but {labels.size} labels")
    if np.unique(labels).size != 2:
        raise ValueError("labels must contain both classes (0 and 1)")
    return scores, labels


def image_auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of image scores against image labels."""
    scores, labels = _check(scores, labels)
    return float(roc_auc_score(labels, scores))


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Step-wise area under the precision-recall curve."""
    scores, labels = _check(scores, labels)
    return float(average_precision_score(labels, scores))


def f1_max(scores: np.ndarray, labels: np.ndarray) -> float:
    """Best F1 over all thresholds of the precision-recall curve."""
    scores, labels = _check(scores, labels)
    precision, recall, _ = precision_recall_curve(labels, scores)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return float(f1.max())


def youden_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC threshold maximising TPR - FPR (Youden's J); always a finite score value."""
    scores, labels = _check(scores, labels)
    fpr, tpr, thresholds = roc_curve(labels, scores)
    # scikit-learn prepends an infinite threshold with J = 0; the lowest finite one (TPR = FPR = 1)
    # also has J = 0, so dropping it never loses the maximum.
    finite = np.isfinite(thresholds)
    best = np.argmax((tpr - fpr)[finite])
    return float(thresholds[finite][best])


def accuracy_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    """Share of images classified right when score >= threshold means defect."""
    scores, labels = np.asarray(scores).ravel(), np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.size} scores but {labels.size} labels")
    return float(np.mean((scores >= threshold) == (labels == 1)))


def detector_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """AUROC, AP, F1-max and accuracy at `threshold`, as python floats."""
    return {
        "auroc": image_auroc(scores, labels),
        "ap": average_precision(scores, labels),
        "f1_max": f1_max(scores, labels),
        "accuracy": accuracy_at(scores, labels, threshold),
    }
