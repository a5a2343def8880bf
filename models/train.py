"""Train a zoo detector and write a tinyctl checkpoint (what `tinyctl build` loads).

Run as `python -m tinyctl.models.train`, `tinyctl train` (which forwards its arguments to `main`)
or under `torchrun --nproc_per_node=N -m tinyctl.models.train` for DistributedDataParallel.
Options come from defaults, then a TOML config file (--config), then flags. CUDA with bfloat16
autocast when present, the CPU otherwise.
"""

import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import TinyctlError
from .checkpoint import CheckpointError, save_checkpoint
from .data import Samples
from .data.synthetic import SyntheticConfig, default_splits
from .training.loop import FitResult, evaluate, fit
from .training.tasks import FitOptions, task_for
from .zoo import ZOO, build_model

_GEOMETRY = {"in_channels": "channels", "input_size": "size"}  # model key -> dataset field
_EVAL_BATCH = 512
LAYOUTS = ("synthetic", "mvtec", "ksdd2", "visa", "folder")


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on. `model` holds arch options on top of the arch
    defaults; the input geometry always comes from `dataset` (size, channels)."""

    arch: str = "binary_cnn"
    model: dict = field(default_factory=dict)
    epochs: int = 100
    batch_size: int = 64
    lr: float = 4e-3
    seed: int = 0
    dataset: SyntheticConfig = SyntheticConfig()
    layout: str = "synthetic"
    data_root: str | None = None
    category: str | None = None
    val_every: int = 1
    fit: FitOptions = FitOptions()
    device: str = "auto"
    out: Path = Path("detector.pt")

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        if self.arch not in ZOO:
            raise ValueError(f"unknown arch {self.arch!r}; known: {', '.join(sorted(ZOO))}")
        if self.epochs < 1 or self.batch_size < 1 or self.val_every < 1:
            raise ValueError(f"epochs, batch size and val-every must be at least 1, got {self.epochs}, {self.batch_size}, {self.val_every}")
        if not self.lr > 0:
            raise ValueError(f"learning rate must be positive, got {self.lr}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown dataset {self.layout!r}; choose one of {', '.join(LAYOUTS)}")
        if self.layout != "synthetic" and not self.data_root:
            raise ValueError(f"dataset {self.layout} needs --data-root (the folder that holds it)")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        for key, source in _GEOMETRY.items():
            if key in self.model and self.model[key] != getattr(self.dataset, source):
                raise ValueError(f"model {key}={self.model[key]} disagrees with dataset {source}={getattr(self.dataset, source)}")
        self.model_config()  # validates the arch options now rather than mid-run

    def model_config(self) -> dict:
        """The full arch config: defaults, then `model`, then the dataset's geometry."""
        geometry = {key: getattr(self.dataset, source) for key, source in _GEOMETRY.items()}
        config_cls, _ = ZOO[self.arch]
        return config_cls.from_dict({**self.model, **geometry}).to_dict()

    def to_dict(self) -> dict:
        """Plain-data form (checkpoint meta, resume)."""
        return {**asdict(self), "out": str(self.out)}

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        values = dict(values)
        values["dataset"] = SyntheticConfig(**values.get("dataset", {}))
        values["fit"] = FitOptions(**values.get("fit", {}))
        return cls(**values)

    def command(self) -> str:
        """The `tinyctl train` command line that reproduces this run (model options as --model-opt)."""
        data = self.dataset
        words = [f"tinyctl train --arch {self.arch} --epochs {self.epochs} --batch-size {self.batch_size} --lr {self.lr}",
                 f"--seed {self.seed} --size {data.size} --channels {data.channels} --n-train {data.n_train}"]
        if self.layout != "synthetic":
            words.append(f"--dataset {self.layout} --data-root {self.data_root}" + (f" --category {self.category}" if self.category else ""))
        words += [f"--model-opt {key}={_option_text(value)}" for key, value in sorted(self.model.items())]
        words.append(f"--out {self.out}")
        return " ".join(words)


def _option_text(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value).lower() if isinstance(value, bool) else str(value)


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
    from .data import load_split

    data = config.dataset
    return {split: load_split(config.layout, split, root=config.data_root, category=config.category, size=data.size,
                              channels=data.channels, seed=data.seed) for split in ("train", "val", "test")}


def _preprocessing(config: TrainConfig) -> dict:
    """How raw uint8 pixels become model input: (pixel * scale - mean) / std, NCHW."""
    dataset = config.dataset
    return {
        "input_shape": [dataset.channels, dataset.size, dataset.size],
        "layout": "NCHW",
        "scale": 1 / 255,
        "mean": 0.0,
        "std": 1.0,
        "dataset": asdict(dataset),
        "source": {"layout": config.layout, "root": config.data_root, "category": config.category},
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
                     device=config.device, state=resume, on_validation=checkpoint)
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
    from .training.cli import parse_config

    config, resume, quiet = parse_config(argv)
    try:
        result = train(config, progress=not quiet, resume=resume)
    except OSError as error:
        print(f"tinyctl train: cannot write the checkpoint: {error}", file=sys.stderr)
        return 1
    except (ValueError, CheckpointError) as error:
        print(f"tinyctl train: error: {error}", file=sys.stderr)
        return 2
    except TinyctlError as error:  # a dataset folder that is missing or of another layout
        print(f"tinyctl train: error: {error.message}\n  hint: {error.hint}", file=sys.stderr)
        return 2
    if result:
        print(_summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
