"""Train a zoo detector and write a tinyctl checkpoint (what `tinyctl build` loads).

Run as `python -m tinyctl.models.train`, `tinyctl train` (which forwards its arguments to `main`)
or under `torchrun --nproc_per_node=N -m tinyctl.models.train` for DistributedDataParallel.
Options come from defaults, then a TOML config file (--config), then flags. CUDA when present (by
default with bfloat16 autocast and channels_last: training/speed.py), the CPU otherwise (fp32, NCHW).
"""

import sys
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from .checkpoint import CheckpointError, save_checkpoint
from .data import Samples, load_split
from .data.record import make_record
from .data.synthetic import default_splits
from .errors import ModelsError
from .training.cli import parse_config
from .training.config import TrainConfig
from .training.loop import FitResult, evaluate, fit
from .training.tasks import task_for
from .zoo import build_model

_EVAL_BATCH = 512


@torch.inference_mode()
def predict(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """Float logits [N] for float images [N, C, H, W], in eval mode."""
    device = next(model.parameters()).device
    model.eval()
    batches = torch.from_numpy(images).split(_EVAL_BATCH)
    return torch.cat([model(batch.to(device))[:, 0].float().cpu() for batch in batches]).numpy()


def load_splits(config: TrainConfig) -> dict[str, Samples]:
    """train/val/test of the configured dataset at the configured size and channels."""
    if config.layout == "synthetic":
        return default_splits(config.dataset)
    data = config.dataset
    splits = {split: load_split(config.layout, split, root=config.data_root, category=config.category,
                                size=config.input_hw, channels=data.channels, seed=data.seed)
              for split in ("train", "val", "test")}
    if max(int(samples.labels.max()) for samples in splits.values()) > 1:
        raise ValueError(f"{config.data_root} holds more than two classes; tinyctl train trains binary detectors "
                         "(normal = the first class folder by name, defective = the second)")
    return splits


def _preprocessing(config: TrainConfig) -> dict:
    """How raw uint8 pixels become model input: (pixel * scale - mean) / std, NCHW; and the data it was trained on."""
    return {
        "input_shape": [config.dataset.channels, *config.input_hw],
        "layout": "NCHW",
        "scale": 1 / 255,
        "mean": 0.0,
        "std": 1.0,
        "dataset": make_record(config.layout, config.data_root, config.category, config.input_hw, config.dataset),
    }


@contextmanager
def _deterministic():
    """Deterministic kernels for the run only, so callers in the same process keep their setting."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)  # some CUDA kernels have no deterministic twin
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def train(config: TrainConfig, progress: bool = True, resume: dict | None = None) -> dict:
    """Train, keep the epoch with the best val AP, set the Youden threshold on val, write the
    checkpoint; returns val/test metrics, threshold, checkpoint path and seconds taken.
    resume: a training state read from a checkpoint of the same run."""
    with _deterministic():
        torch.manual_seed(config.seed)
        splits = load_splits(config)
        model = build_model(config.arch, config.model_config(), load_weights=resume is None)

        def checkpoint(epoch, model, metrics, threshold, state):
            meta = _meta(config, epoch, {"val": metrics}, complete=False)
            save_checkpoint(config.out, model, config.arch, config.model_config(), _preprocessing(config), threshold, meta, state)

        result = fit(model, splits["train"], splits["val"], config.epochs, config.lr, batch_size=config.batch_size,
                     seed=config.seed, options=config.fit, val_every=config.val_every, progress=progress,
                     device=config.device, state=resume, on_validation=checkpoint, speed=config.speed)
        if not result.main_process:
            return {}  # under torchrun, the main process scores and writes
        return _finish(model, config, splits, result)


def _meta(config: TrainConfig, best_epoch: int, metrics: dict, complete: bool) -> dict:
    return {"command": config.command(), "train_config": config.to_dict(), "seed": config.seed,
            "best_epoch": best_epoch, "complete": complete, **metrics}


def _finish(model: nn.Module, config: TrainConfig, splits: dict[str, Samples], result: FitResult) -> dict:
    """Score test at the val threshold and write the final (best-epoch) checkpoint."""
    task = task_for(model, config.fit, (len(splits["test"]),))
    test, _ = evaluate(task, task.inputs(splits["test"].images), splits["test"], result.threshold)
    metrics = {"val": result.val, "test": test}
    meta = {**_meta(config, result.best_epoch, metrics, complete=True), "history": result.history}
    path = save_checkpoint(config.out, model.cpu(), config.arch, config.model_config(), _preprocessing(config),
                           result.threshold, meta, result.state)
    return {**metrics, "threshold": result.threshold, "checkpoint": str(path), "best_epoch": result.best_epoch,
            "seconds": result.seconds}


def _summary(result: dict) -> str:
    lines = []
    for split in ("val", "test"):
        m = result[split]
        line = f"{split:>4}: AUROC {m['auroc']:.4f}  AP {m['ap']:.4f}  F1-max {m['f1_max']:.4f}  accuracy {m['accuracy']:.4f}"
        if "aupro" in m:
            line += f"  pixel AUROC {m['pixel_auroc']:.4f}  AUPRO {m['aupro']:.4f}  AP-loc {m['ap_loc']:.4f}"
        lines.append(line)
    lines.append(f"threshold (logit, Youden J on val): {result['threshold']:.4f}  best epoch: {result['best_epoch']}")
    lines.append(f"checkpoint: {result['checkpoint']}  ({result['seconds']:.1f} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    config, resume, quiet = parse_config(argv)
    try:
        result = train(config, progress=not quiet, resume=resume)
    except OSError as error:
        print(f"tinyctl train: cannot write the checkpoint: {error}", file=sys.stderr)
        return 1
    except (ValueError, CheckpointError) as error:
        print(f"tinyctl train: error: {error}", file=sys.stderr)
        return 2
    except ModelsError as error:  # a dataset folder that is missing or of another layout
        print(f"tinyctl train: error: {error.message}\n  hint: {error.hint}", file=sys.stderr)
        return 2
    if result:
        print(_summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
