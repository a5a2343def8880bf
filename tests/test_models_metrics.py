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


# --- pixel metrics -------------------------------------------------------------------------------

from scipy import ndimage  # noqa: E402

from tinyctl.models.metrics import ap_loc, aupro, localisation_metrics, pixel_auroc, pro_curve  # noqa: E402


def _maps_and_masks(seed: int = 0):
    rng = np.random.default_rng(seed)
    masks = np.zeros((3, 12, 12), dtype=np.uint8)
    masks[0, 2:5, 2:6] = 1
    masks[0, 8:11, 7:9] = 1  # a second region in the same image
    masks[1, 5:9, 3:4] = 1
    maps = rng.normal(size=masks.shape) + 1.5 * masks
    return maps, masks


def test_pixel_auroc_and_ap_loc_equal_scikit_learn_on_pooled_pixels():
    maps, masks = _maps_and_masks()
    assert pixel_auroc(maps, masks) == pytest.approx(roc_auc_score(masks.ravel(), maps.ravel()))
    assert ap_loc(maps, masks) == pytest.approx(average_precision_score(masks.ravel(), maps.ravel()))


def test_aupro_hand_cases():
    mask = np.array([[[1, 1, 0, 0]]])
    # Both defect pixels score above both normal ones: PRO is 1 before any false positive.
    assert aupro(np.array([[[4.0, 3.0, 2.0, 1.0]]]), mask) == pytest.approx(1.0)
    # One defect pixel on top, then a normal one (FPR 0.5): PRO stays 0.5 up to FPR 0.3.
    assert aupro(np.array([[[1.0, 4.0, 3.0, 2.0]]]), mask) == pytest.approx(0.5)
    # Two regions of different sizes count equally: the 1-pixel one found first gives PRO 0.5.
    two = np.array([[[1, 0, 1, 1, 1, 0, 0, 0]]])
    scores = np.array([[[9.0, 0.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]]])
    fpr, pro = pro_curve(scores, two)
    np.testing.assert_allclose(fpr, [0.0, 0.0, 0.0, 0.75, 1.0])
    np.testing.assert_allclose(pro, [0.0, 0.5, 1.0, 1.0, 1.0])
    assert aupro(scores, two) == pytest.approx(1.0)


def _brute_force_aupro(maps, masks, limit=0.3):
    """Direct definition: PRO and FPR at every threshold, 8-connected regions, trapezoid to the limit."""
    regions = []
    for image, mask in enumerate(masks):
        labelled, count = ndimage.label(mask, structure=np.ones((3, 3)))
        regions += [(image, labelled == k) for k in range(1, count + 1)]
    normal = masks == 0
    points = [(0.0, 0.0)]
    for t in np.sort(np.unique(maps))[::-1]:
        fpr = (maps[normal] >= t).mean()
        pro = np.mean([(maps[i][r] >= t).mean() for i, r in regions])
        points.append((fpr, pro))
    fpr, pro = np.array(points).T
    keep = fpr <= limit
    fpr_end, pro_end = limit, np.interp(limit, fpr, pro)
    return np.trapezoid(np.r_[pro[keep], pro_end], np.r_[fpr[keep], fpr_end]) / limit


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_aupro_equals_the_brute_force_definition(seed):
    maps, masks = _maps_and_masks(seed)
    assert aupro(maps, masks) == pytest.approx(_brute_force_aupro(maps, masks), abs=1e-9)


def test_aupro_is_rank_based_and_refuses_degenerate_masks():
    maps, masks = _maps_and_masks()
    assert aupro(np.exp(maps), masks) == pytest.approx(aupro(maps, masks))
    with pytest.raises(ValueError, match="defect region"):
        aupro(maps, np.zeros_like(masks))
    with pytest.raises(ValueError, match="same shape"):
        aupro(maps[:, :6], masks)


def test_localisation_metrics_keys():
    maps, masks = _maps_and_masks()
    assert set(localisation_metrics(maps, masks)) == {"pixel_auroc", "aupro", "ap_loc"}
