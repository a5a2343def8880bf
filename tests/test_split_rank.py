"""I-SPLIT: the batched, hooked Grad-CAM equals a direct per-layer computation; candidates; the report."""

import json

import numpy as np
import pytest
import torch

from split_support import tiny_checkpoint
from tinyctl.cli import main
from tinyctl.models.split.layers import cut_points, sequential_layers
from tinyctl.models.zoo.binary_cnn import BinaryDetector, BinaryDetectorConfig
from tinyctl.split.gradcam import cam, target_score
from tinyctl.split.isplit import cde_candidates, cui, local_maxima, rank_splits, ranked_candidates


def _direct_cui(model, layers, point, images, labels, target):
    """Grad-CAM at one layer, image by image, by running the layers by hand: no hooks, no batching."""
    maps = []
    for image, label in zip(images, labels):
        x = torch.from_numpy(image[None])
        for layer in layers[:point + 1]:
            x = layer(x)
        activation = x
        for layer in layers[point + 1:]:
            x = layer(x)
        score = target_score(x, torch.tensor([label]), target)[0]
        (gradient,) = torch.autograd.grad(score, activation)
        maps.append(cam(activation, gradient)[0].detach().numpy())
    return cui(np.mean(maps, axis=0))


@pytest.mark.parametrize("target", ["predicted", "truth"])
def test_cui_matches_direct_per_layer_gradcam(target):
    torch.manual_seed(1)
    model = BinaryDetector(BinaryDetectorConfig(input_size=16, widths=(4, 8))).eval()
    rng = np.random.default_rng(0)
    images = rng.random((10, 1, 16, 16), dtype=np.float32)
    labels = rng.integers(0, 2, 10)
    result = rank_splits(model, images, labels, target=target, batch_size=4)
    layers = sequential_layers(model)
    points = cut_points(layers)
    assert [row["layer"] for row in result["layers"]] == points
    direct = [_direct_cui(model, layers, p, images, labels, target) for p in points]
    np.testing.assert_allclose([row["cui"] for row in result["layers"]], direct, rtol=1e-4, atol=1e-9)
    weights = {cls: int((labels == int(cls)).sum()) for cls in result["per_class"]}
    mixed = sum(np.array(curve["cui"]) * weights[cls] for cls, curve in result["per_class"].items()) / len(labels)
    np.testing.assert_allclose(mixed, direct, rtol=1e-4, atol=1e-9)   # the class curves average to the whole


def test_candidates_are_the_log_curves_local_maxima_best_first():
    values = [1.0, 3.0, 2.0, 5.0, 4.0, 4.5]
    assert local_maxima(np.log10([1.0, *values])) == [2, 4]   # positions on the curve with its input point
    assert ranked_candidates(values) == [3, 1]
    assert ranked_candidates([2.0, 1.0, 0.5]) == [0]            # the virtual input point lets layer 0 win
    assert cde_candidates([800, 900, 200, 400, 100], input_size=1000) == [4, 2, 0]


def test_rank_cli_writes_the_report(tmp_path):
    checkpoint = tiny_checkpoint()
    out = tmp_path / "rank"
    assert main(["split", "rank", "-m", str(checkpoint), "--samples", "16", "-o", str(out)]) == 0
    data = json.loads((out / "rank.json").read_text())
    assert data["images"] == 16 and data["best"] in [row["layer"] for row in data["layers"]]
    assert set(data["per_class"]) <= {"0", "1"} and data["cde"]["int8_bytes"][0] == 4 * 8 * 8
    for name in ("rank.html", "rank-cui.png", "rank-cde.png"):
        assert (out / name).stat().st_size > 1000
    assert main(["split", "rank", "-m", str(checkpoint), "--target", "gradient"]) == 2
