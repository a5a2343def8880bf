"""Metrics: agreement with scikit-learn and hand-computed cases."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from tinyctl.models.metrics import (
    accuracy_at,
    average_precision,
    detector_metrics,
    f1_max,
    image_auroc,
    youden_threshold,
)

SCORES = np.array([0.1, 0.4, 0.35, 0.8, -1.0, 2.0, 0.5, 0.3])
LABELS = np.array([0, 0, 1, 1, 0, 1, 1, 0])


def test_auroc_and_ap_equal_scikit_learn():
    assert image_auroc(SCORES, LABELS) == pytest.approx(roc_auc_score(LABELS, SCORES))
    assert average_precision(SCORES, LABELS) == pytest.approx(average_precision_score(LABELS, SCORES))


def test_auroc_and_ap_ignore_monotone_transforms():
    squashed = 1 / (1 + np.exp(-SCORES))
    assert image_auroc(squashed, LABELS) == image_auroc(SCORES, LABELS)
    assert average_precision(squashed, LABELS) == average_precision(SCORES, LABELS)


def test_f1_max_hand_case():
    # Ranked labels 1, 0, 1, 0: cut after 3 gives P = 2/3, R = 1, F1 = 0.8, the best.
    assert f1_max(np.array([4.0, 3.0, 2.0, 1.0]), np.array([1, 0, 1, 0])) == pytest.approx(0.8)


def test_youden_hand_case():
    # Threshold 2: TPR 1, FPR 1/3 -> J = 2/3; no other cut does better.
    scores, labels = np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1, 0])
    threshold = youden_threshold(scores, labels)
    assert threshold == 2.0
    assert np.isfinite(threshold)


def test_youden_perfect_separation_is_finite():
    assert youden_threshold(np.array([-3.0, -1.0, 2.0, 5.0]), np.array([0, 0, 1, 1])) == 2.0


def test_accuracy_counts_ties_as_positive():
    assert accuracy_at(np.array([0.0, 1.0, 1.0, 2.0]), np.array([0, 1, 0, 1]), 1.0) == 0.75


def test_detector_metrics_keys_and_types():
    result = detector_metrics(SCORES, LABELS, 0.32)
    assert set(result) == {"auroc", "ap", "f1_max", "accuracy"}
    assert all(type(value) is float for value in result.values())


def test_single_class_or_length_mismatch_is_refused():
    with pytest.raises(ValueError, match="both classes"):
        image_auroc(np.array([0.1, 0.2]), np.array([1, 1]))
    with pytest.raises(ValueError, match="labels"):
        average_precision(np.array([0.1, 0.2, 0.3]), np.array([0, 1]))
