"""Device targets and the drop budget through the user's commands: `tinyctl prune --target arena=...` writes a
checkpoint whose int8 graph fits the arena with the least pruning that does, a flash target does the same
for weight bytes, and `tinyctl build --max-drop` builds the ratio and calibration its search chose."""

import json

import pytest

from tinyctl.cli import main
from tinyctl.compress.search import TARGET_GRID, Target
from tinyctl.datasets import calibration_set
from tinyctl.graph import read_graph
from tinyctl.model_source import load_source
from tinyctl.models.checkpoint import load_checkpoint
from tinyctl.models.layer_shapes import layer_shapes
from tinyctl.stages.prune import TARGET_CALIBRATION_IMAGES, measure_target, ratio_for_target, weight_bytes


@pytest.fixture(scope="module")
def detector():
    source = load_source(None)
    return source, calibration_set(source, TARGET_CALIBRATION_IMAGES, 0)


def _lighter_ratio_misses(record: dict, ratio: float) -> bool:
    """The grid ratio just below the chosen one was measured and missed the limit (so the choice is the least)."""
    measured = {m["ratio"]: m["value"] for m in record["measured"]}
    return ratio == TARGET_GRID[0] or measured[TARGET_GRID[TARGET_GRID.index(ratio) - 1]] > record["limit"]


def test_prune_to_an_arena_target_writes_the_least_pruned_checkpoint_that_fits(detector, tmp_path):
    source, calibration = detector
    limit = 12_000                                                    # unpruned: 16,384 B; half the channels: 8,464 B
    out = tmp_path / "fits.pt"
    assert main(["prune", "--target", f"arena={limit}", "--fine-tune-epochs", "1", "--out", str(out)]) == 0
    record = load_checkpoint(out).meta["compression"]["target"]
    ratio = record["chosen_ratio"]
    assert 0 < ratio < 0.5 and _lighter_ratio_misses(record, ratio)
    written = load_source(out)                                        # the artifact itself, measured again
    assert measure_target(written, 0.0, "arena", calibration) <= limit
    assert layer_shapes(written.torch_model)["head"]["out"] == 1


def test_a_flash_target_counts_int8_weight_bytes(detector, default_build):
    source, calibration = detector
    unpruned = weight_bytes(read_graph(default_build[0] / "model_int8.tflite"))      # the plain build's graph
    limit = unpruned // 2
    ratio, record = ratio_for_target(source, Target("flash", limit), calibration)
    measured = {m["ratio"]: m["value"] for m in record["measured"]}
    assert measured[ratio] <= limit < unpruned and _lighter_ratio_misses(record, ratio)


def test_build_with_a_drop_budget_builds_what_the_search_chose(tmp_path):
    out = tmp_path / "budget"
    assert main(["build", "--max-drop", "1.0", "--fine-tune-epochs", "1", "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    budget, prune = report["compression"]["budget"], report["compression"]["prune"]
    chosen = {c["ratio"]: c for c in budget["candidates"]}[budget["chosen_ratio"]]
    assert prune["ratio"] == budget["chosen_ratio"]
    assert report["compression"]["calibration"]["method"] == chosen["calibration"] == budget["calibration"]
    if budget["met"]:
        assert chosen["drop_pp"] <= 1.0
        assert all(c["drop_pp"] > 1.0 for c in budget["candidates"] if c["ratio"] > budget["chosen_ratio"])
    assert report["model"]["name"] == "default_detector-drop1pp"
    widths = layer_shapes(load_checkpoint(out / "model.pt").model)
    assert widths["features.0"]["out"] == round(8 * (1 - budget["chosen_ratio"]))
    assert report["validation"]["agreement"]["engine_qemu_vs_tflm"]["bit_exact"]
    assert "budget" in (out / "report.html").read_text().lower()
