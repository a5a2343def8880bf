"""Stage `prune`: structured channel pruning by ratio, to a device target, or as strong as an
accuracy-drop budget allows, in slices, each followed by its share of a fine-tune on the training
split (distilled from the unpruned model): gradual pruning lets the channels that stay take over."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from ..compress import PRUNE_STEPS
from ..compress.calibration import Calibration
from ..compress.finetune import TrainingData, fine_tune, val_ap
from ..compress.prune import macs_and_params, prune_channels
from ..compress.qat import simulated_int8_val_ap
from ..compress.search import BUDGET_GRID, TARGET_GRID, Target, first_passing
from ..errors import TinyctlError
from ..graph import read_graph
from ..model_source import ModelSource
from ..planner import plan_arena
from ..staging import owned_temp_dir
from .quantize import convert_model

FINE_TUNE_LR = 4e-3      # the training rate: each slice's fine-tune restarts its cosine decay from it
# Each slice keeps its last epoch, not its best on the validation split: picking among 50 epochs by the AP
# of 400 images picks noise. At 50 % the default detector, measured on 4,000 fresh images over four seeds,
# lost 0.58-1.23 AP points with the best-val epochs and 0.39-0.81 with the last (benchmarks/compression.md).
TARGET_CALIBRATION_IMAGES = 16     # shapes, not ranges, decide arena and weight bytes


def example_input(source: ModelSource) -> torch.Tensor:
    return torch.zeros((1,) + tuple(source.input_shape))


def prune_and_fine_tune(source: ModelSource, ratio: float, data: TrainingData, epochs: int, seed: int,
                        progress=None, steps: int = PRUNE_STEPS) -> tuple[torch.nn.Module, dict]:
    """The pruned, fine-tuned model and what it cost and saved (MACs, parameters, val AP before/after).
    The channels go in `steps` slices with an equal share of the epochs after each (at least one)."""
    example = example_input(source)
    steps = max(1, min(steps, epochs))
    record = {"ratio": ratio, "fine_tune_epochs": epochs, "fine_tune_lr": FINE_TUNE_LR, "steps": [],
              "val_ap_unpruned": val_ap(source.torch_model, data),
              "val_ap_pruned": val_ap(prune_channels(source.torch_model, ratio, example), data)}

    def fine_tune_slice(model: torch.nn.Module, step: int) -> None:
        slice_epochs = epochs // steps + (step <= epochs % steps)
        ap = fine_tune(model, data, slice_epochs, FINE_TUNE_LR, seed * 10 + step, progress,
                       f"fine-tune pruned, step {step}/{steps}", teacher=source.torch_model, keep_best=False)
        record["steps"].append({"step": step, "epochs": slice_epochs, "val_ap_fine_tuned": ap,
                                "macs": macs_and_params(model, example)[0]})

    model = prune_channels(source.torch_model, ratio, example, steps, fine_tune_slice if epochs > 0 else None)
    if record["steps"]:
        record["val_ap_fine_tuned"] = record["steps"][-1]["val_ap_fine_tuned"]
    (macs_before, params_before), (macs_after, params_after) = (macs_and_params(m, example)
                                                                for m in (source.torch_model, model))
    record.update(macs_before=macs_before, macs_after=macs_after, params_before=params_before, params_after=params_after)
    return model, record


def _int8_graph_of(model: torch.nn.Module, source: ModelSource, calibration: np.ndarray):
    """Convert `model` to the int8 TFLite graph in a scratch directory (its shapes are what a target measures)."""
    with owned_temp_dir("tinyctl-target-") as tmp:
        int8, _ = convert_model(dataclasses.replace(source, torch_model=model), Path(tmp), calibration)
    return read_graph(int8)


def measure_target(source: ModelSource, ratio: float, kind: str, calibration: np.ndarray) -> int:
    """What a pruning ratio gives for a target kind, before any fine-tune (weights do not change sizes)."""
    model = prune_channels(source.torch_model, ratio, example_input(source))
    if kind == "macs":
        return macs_and_params(model, example_input(source))[0]
    graph = _int8_graph_of(model, source, calibration[:TARGET_CALIBRATION_IMAGES])
    if kind == "arena":
        return plan_arena(graph).peak_bytes
    return weight_bytes(graph)


def weight_bytes(graph) -> int:
    """What a flash target counts: the int8 graph's constant tensors (weights, biases, quantization tables)."""
    return sum(t.data.nbytes for t in graph.tensors if t.is_constant)


def ratio_for_target(source: ModelSource, target: Target, calibration: np.ndarray, progress=None) -> tuple[float, dict]:
    """The smallest ratio on TARGET_GRID that meets the target."""
    task = progress.add_task(f"pruning target {target.kind} <= {target.limit:,}", total=None) if progress else None
    measured = {}

    def meets(ratio: float) -> bool:
        measured[ratio] = measure_target(source, ratio, target.kind, calibration)
        if progress:
            progress.update(task, description=f"pruning target: ratio {ratio} gives {target.kind} {measured[ratio]:,}")
        return measured[ratio] <= target.limit

    ratio, _ = first_passing(TARGET_GRID, meets)
    if ratio is None:
        raise TinyctlError(f"even pruning {TARGET_GRID[-1]:.0%} of the channels leaves {target.kind} at "
                           f"{measured[TARGET_GRID[-1]]:,}, above the target {target.limit:,}",
                           "choose a larger board, a smaller input, or a smaller model")
    return ratio, {"kind": target.kind, "limit": target.limit, "chosen_ratio": ratio,
                   "measured": [{"ratio": r, "value": v} for r, v in sorted(measured.items())]}


def ratio_for_budget(source: ModelSource, data: TrainingData, calibration: np.ndarray, max_drop_pp: float,
                     epochs: int, seed: int, progress=None,
                     steps: int = PRUNE_STEPS) -> tuple[float, Calibration, torch.nn.Module, dict, dict]:
    """The strongest ratio on BUDGET_GRID whose fine-tuned model loses at most `max_drop_pp` val AP points
    against the unpruned float model once quantized (estimated in torch), with the calibration that loses least.
    Returns the ratio, the calibration, the fine-tuned model, its pruning record and the search's record."""
    reference = val_ap(source.torch_model, data)
    tried, pruned = {}, {}

    def within(ratio: float) -> bool:
        model, pruned[ratio] = prune_and_fine_tune(source, ratio, data, epochs, seed, progress, steps)
        aps = {method: simulated_int8_val_ap(model, data, calibration, percentile)
               for method, percentile in (("minmax", None), ("percentile", Calibration().percentile))}
        method = max(aps, key=aps.get)
        tried[ratio] = {"ratio": ratio, "float_val_ap": val_ap(model, data), "int8_val_ap": aps,
                        "calibration": method, "drop_pp": round(100 * (reference - aps[method]), 3)}
        pruned[ratio] = (model, pruned[ratio])
        return tried[ratio]["drop_pp"] <= max_drop_pp

    ratio, _ = first_passing(BUDGET_GRID, within)
    met = ratio is not None
    ratio = BUDGET_GRID[-1] if ratio is None else ratio
    if ratio not in tried:
        within(ratio)
    record = {"max_drop_pp": max_drop_pp, "reference_val_ap": reference, "chosen_ratio": ratio, "met": met,
              "calibration": tried[ratio]["calibration"], "candidates": [tried[r] for r in sorted(tried)]}
    model, prune_record = pruned[ratio]
    return ratio, Calibration(method=tried[ratio]["calibration"]), model, prune_record, record
