"""`tinyctl split mtl`: MTL-Split on the surface-defect data, a shared head and one tail per task.

Tasks: "defect" (present or not: one logit, BCE) and "size" (none / small / large, by the defect
mask's area against the median area of the training defects: cross-entropy). The head (base layers
up to the cut, from the trained detector, and the bottleneck encoder) and all task tails train
jointly on the unweighted sum of the task losses, as in MTL-Split. The directory it writes is a
partition's (head.pt, tail.onnx with one output per task, split.json), so build, serve, bridge and
simulate take it unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from tinyctl.models.metrics import detector_metrics, youden_threshold
from tinyctl.models.split.modules import SplitHead
from tinyctl.models.split.mtl import TaskTails

from ..datasets import source_samples   # the build's own cache of the synthetic splits
from ..errors import TinyctlError
from ..model_source import preprocess
from .finetune import fit, outputs, task_loss
from .partition import CutOptions, export_split, head_config

TASKS = {"defect": 2, "size": 3}


@dataclass(frozen=True)
class MTLOptions(CutOptions):
    out: str = "build/split-mtl"
    epochs: int = 6
    hidden: int = 64
    single_task_baselines: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.epochs < 1 or self.hidden < 1:
            raise TinyctlError("--epochs and --hidden must be at least 1", "the defaults are 6 and 64")


def size_classes(labels: np.ndarray, masks: np.ndarray, median_area: float) -> np.ndarray:
    area = masks.reshape(len(masks), -1).sum(1)
    return np.where(labels == 0, 0, np.where(area <= median_area, 1, 2)).astype(np.int64)


def task_data(images: np.ndarray, labels: np.ndarray, masks: np.ndarray, median_area: float) -> tuple:
    return images, {"defect": labels.astype(np.int64), "size": size_classes(labels, masks, median_area)}


class MTLSplit(torch.nn.Module):
    def __init__(self, head: SplitHead, tails: TaskTails):
        super().__init__()
        self.head, self.tails = head, tails

    def forward(self, x):
        return self.tails(self.head(x))


def _loss(tasks: list[str], targets: dict):
    names = list(TASKS)
    return lambda m, x, i: sum(task_loss(out, targets[t][i]) for t, out in zip(names, m(x)) if t in tasks)


def _evaluate(model: MTLSplit, data: dict) -> dict:
    """Per task on test: detector metrics (threshold from val) for "defect", accuracy for "size"."""
    val, test = (outputs(model, data[s][0]) for s in ("val", "test"))
    threshold = youden_threshold(val[0][:, 0].numpy(), data["val"][1]["defect"])
    size = test[1].argmax(1).numpy()
    return {"defect": {**detector_metrics(test[0][:, 0].numpy(), data["test"][1]["defect"], threshold),
                       "threshold": float(threshold)},
            "size": {"accuracy": float((size == data["test"][1]["size"]).mean())}}


def _train(path: Path, config, data: dict, options: MTLOptions, tasks: list[str], advance) -> tuple[MTLSplit, dict]:
    torch.manual_seed(options.seed)
    base = load_checkpoint(path).model   # a fresh copy: each run starts from the trained detector
    model = MTLSplit(SplitHead(config, base), TaskTails(config.code_shape(), TASKS, options.hidden))
    targets = {t: torch.from_numpy(y) for t, y in data["train"][1].items()}
    fit(model, [model], data["train"][0], _loss(tasks, targets), options.epochs, options.lr, options.batch_size,
        options.seed, advance)
    return model, _evaluate(model, data)


def train_mtl(options: MTLOptions, data: dict, median_area: float, advance=None) -> tuple[Path, dict]:
    """Joint training (and, optionally, one single-task run per task for comparison), then the export."""
    path = Path(options.model) if options.model else DEFAULT_CHECKPOINT
    checkpoint = load_checkpoint(path)
    config = head_config(checkpoint, options.cut, options.ratio, options.stages)
    model, metrics = _train(path, config, data, options, list(TASKS), advance)
    record = {"mtl": metrics}
    if options.single_task_baselines:
        record["single_task"] = {t: _train(path, config, data, options, [t], advance)[1][t] for t in TASKS}
    extra = {"tasks": {t: {"classes": k} for t, k in TASKS.items()}, "size_median_area_px": median_area,
             "metrics": record, "options": asdict(options)}
    return export_split(Path(options.out), model.head, model.tails, config, checkpoint,
                        metrics["defect"]["threshold"], extra, list(TASKS))


def load_task_data(source) -> tuple[dict, float]:
    """{split: (model inputs, {task: labels})} of the model's synthetic data, and the median defect area."""
    samples = {split: source_samples(source, split) for split in ("train", "val", "test")}
    train = samples["train"]
    areas = train.masks[train.labels == 1].reshape(int(train.labels.sum()), -1).sum(1)
    median = float(np.median(areas)) if len(areas) else 0.0
    return {split: task_data(preprocess(s.images, source.preprocessing), s.labels, s.masks, median)
            for split, s in samples.items()}, median
