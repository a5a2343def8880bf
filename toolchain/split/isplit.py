"""I-SPLIT: the CUI curve over a model's cut points, its local maxima as ranked split candidates, and CDE.

CUI_l = |sum of the mean Grad-CAM map at layer l| / (H_l W_l). A virtual input point CUI_0 = CUI_1 is
prepended (so the first layer can be a maximum); candidates are the strict local maxima of log10 CUI,
ranked by CUI, the global maximum first. CDE, the architectural baseline, ranks cut points by the
size of the tensor they would send.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tinyctl.models.split.layers import cut_points, layer_label, sequential_layers

from .gradcam import accumulate_maps

_FLOOR = 1e-30   # log10 of an all-zero map


def cui(mean_map: np.ndarray) -> float:
    return float(abs(mean_map.sum()) / mean_map.size)


def log_curve(values: list[float]) -> np.ndarray:
    """log10 CUI with the virtual input point prepended."""
    return np.log10(np.maximum(np.array([values[0], *values], dtype=np.float64), _FLOOR))


def local_maxima(curve: np.ndarray) -> list[int]:
    """Indices of strict local maxima (I-SPLIT's diff-of-sign rule)."""
    return [int(i) + 1 for i in np.nonzero(np.diff(np.sign(np.diff(curve))) < 0)[0]]


def ranked_candidates(values: list[float]) -> list[int]:
    """Positions (into `values`) of the CUI curve's local maxima, best first."""
    positions = [i - 1 for i in local_maxima(log_curve(values))]   # back from the virtual point
    return sorted(positions, key=lambda i: -values[i])


def cde_candidates(sizes: list[int], input_size: int) -> list[int]:
    """Positions where the output is smaller than the input and every earlier output, smallest first."""
    picks, smallest = [], input_size
    for i, size in enumerate(sizes):
        if size < smallest:
            picks.append(i)
            smallest = size
    return sorted(picks, key=lambda i: sizes[i])


def _shapes(layers: list[nn.Module], points: list[int], input_shape: tuple) -> list[tuple]:
    x, shapes = torch.zeros((1, *input_shape)), {}
    with torch.no_grad():
        for i, layer in enumerate(layers):
            x = layer(x)
            if i in points:
                shapes[i] = tuple(x.shape[1:])
    return [shapes[i] for i in points]


def _curve_entry(values: list[float], points: list[int]) -> dict:
    """One CUI curve with its candidates and best split, as layer indices."""
    ranked = ranked_candidates(values)
    best = ranked[0] if ranked else int(np.argmax(values))
    return {"cui": values, "log10_cui": log_curve(values)[1:].tolist(),
            "candidates": [points[p] for p in ranked], "best": points[best]}


def rank_splits(model: nn.Module, images: np.ndarray, labels: np.ndarray, target: str = "predicted",
                batch_size: int = 64, advance=None) -> dict:
    """The I-SPLIT analysis of `model` on (images, labels): per-layer CUI, candidates, per-class curves, CDE."""
    layers = sequential_layers(model)
    points = cut_points(layers)
    maps = accumulate_maps(model, [layers[i] for i in points], images, labels, target, batch_size, advance)
    shapes = _shapes(layers, points, images.shape[1:])
    values = [cui(m) for m in maps.mean_maps()]
    sizes = [int(np.prod(s)) for s in shapes]
    rows = [{"position": p, "layer": i, "label": layer_label(layers, i), "shape": list(s),
             "int8_bytes": n, "float32_bytes": 4 * n, "cui": v}
            for p, (i, s, n, v) in enumerate(zip(points, shapes, sizes, values))]
    overall = _curve_entry(values, points)
    return {
        "target": target, "images": int(len(images)), "layers": rows,
        "candidates": overall["candidates"], "best": overall["best"], "curve": overall,
        "per_class": {str(cls): _curve_entry([cui(m) for m in class_maps], points)
                      for cls, class_maps in maps.class_mean_maps().items()},
        "class_counts": {str(k): v for k, v in sorted(maps.counts.items())},
        "cde": {"int8_bytes": sizes, "input_bytes": int(np.prod(images.shape[1:])),
                "candidates": [points[p] for p in cde_candidates(sizes, int(np.prod(images.shape[1:])))]},
    }
