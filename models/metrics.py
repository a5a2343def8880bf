"""Detection and localisation metrics (methods.md 6.4): numpy in, python floats out.

Scores are raw logits; AUROC and AP only depend on their order, so any monotone transform of
the scores gives the same values. Pixel metrics pool every pixel of every image; maps must be
at mask resolution.
"""

import numpy as np
from scipy import ndimage
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


def _check_maps(maps: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    maps, masks = np.asarray(maps, dtype=np.float64), np.asarray(masks)
    if maps.shape != masks.shape or maps.ndim != 3:
        raise ValueError(f"maps {maps.shape} and masks {masks.shape} must both be [N, H, W] of the same shape")
    return maps, masks > 0


def pixel_auroc(maps: np.ndarray, masks: np.ndarray) -> float:
    """ROC-AUC over all pixels pooled."""
    maps, masks = _check_maps(maps, masks)
    return image_auroc(maps.ravel(), masks.ravel())


def ap_loc(maps: np.ndarray, masks: np.ndarray) -> float:
    """Pixel-level average precision (AP-loc), pixels pooled."""
    maps, masks = _check_maps(maps, masks)
    return average_precision(maps.ravel(), masks.ravel())


_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=int)


def _region_ids(masks: np.ndarray) -> tuple[np.ndarray, int]:
    """Per pixel: 0 for normal, else a unique id of its 8-connected defect region, across all images."""
    ids, total = np.zeros(masks.shape, dtype=np.int64), 0
    for index, mask in enumerate(masks):
        labelled, count = ndimage.label(mask, structure=_EIGHT_NEIGHBOURS)
        ids[index] = np.where(labelled > 0, labelled + total, 0)
        total += count
    return ids, total


def pro_curve(maps: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, PRO) at every distinct threshold, from (0, 0): PRO is the mean over defect regions of
    the share of the region's pixels at or above the threshold; FPR is over all normal pixels."""
    maps, masks = _check_maps(maps, masks)
    ids, regions = _region_ids(masks)
    if regions == 0 or masks.all():
        raise ValueError("AUPRO needs at least one defect region and at least one normal pixel")
    ids, scores = ids.ravel(), maps.ravel()
    region_sizes = np.bincount(ids, minlength=regions + 1)
    # Each pixel's step up the curve when the threshold passes its score.
    fpr_step = np.where(ids == 0, 1.0 / region_sizes[0], 0.0)
    pro_step = np.where(ids > 0, 1.0 / (regions * region_sizes[ids]), 0.0)
    order = np.argsort(-scores, kind="stable")
    fpr, pro = np.cumsum(fpr_step[order]), np.cumsum(pro_step[order])
    last_of_tie = np.r_[scores[order][1:] != scores[order][:-1], True]  # tied pixels pass together
    return np.r_[0.0, fpr[last_of_tie]], np.r_[0.0, pro[last_of_tie]]


def aupro(maps: np.ndarray, masks: np.ndarray, fpr_limit: float = 0.3) -> float:
    """Area under the PRO curve up to FPR `fpr_limit` (end point interpolated), divided by `fpr_limit`."""
    if not 0 < fpr_limit <= 1:
        raise ValueError(f"fpr_limit must be in (0, 1], got {fpr_limit}")
    fpr, pro = pro_curve(maps, masks)
    end = np.searchsorted(fpr, fpr_limit, side="right")  # points with FPR <= limit
    pro_at_limit = np.interp(fpr_limit, fpr, pro)
    fpr, pro = np.r_[fpr[:end], fpr_limit], np.r_[pro[:end], pro_at_limit]
    return float(np.trapezoid(pro, fpr) / fpr_limit)


def localisation_metrics(maps: np.ndarray, masks: np.ndarray) -> dict[str, float]:
    """Pixel AUROC, AUPRO (FPR <= 0.3, normalised) and AP-loc, as python floats."""
    return {"pixel_auroc": pixel_auroc(maps, masks), "aupro": aupro(maps, masks), "ap_loc": ap_loc(maps, masks)}
