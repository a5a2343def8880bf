"""Train a zoo detector on the synthetic dataset and write a tinyctl checkpoint.

Run as `python -m tinyctl.models.train` or `tinyctl train` (which forwards its arguments to
`main`). Uses CUDA with bfloat16 autocast when present, the CPU otherwise.
"""

import argparse
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn

from .checkpoint import save_checkpoint
from .data.synthetic import Samples, SyntheticConfig, default_splits
from .metrics import average_precision, detector_metrics, youden_threshold
from .zoo import ZOO, build_model

_GEOMETRY = {"in_channels": "channels", "input_size": "size"}  # model key -> dataset field
_EVAL_BATCH = 512


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on. `model` holds arch options on top of the arch
    defaults; the input geometry always comes from `dataset`."""

    arch: str = "binary_cnn"
    model: dict = field(default_factory=dict)
    epochs: int = 100
    batch_size: int = 64
    lr: float = 4e-3
    seed: int = 0
    dataset: SyntheticConfig = SyntheticConfig()
    out: Path = Path("detector.pt")

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        if self.arch not in ZOO:
            raise ValueError(f"unknown arch {self.arch!r}; known: {', '.join(sorted(ZOO))}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch size must be at least 1, got {self.epochs} and {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"learning rate must be positive, got {self.lr}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        for key, source in _GEOMETRY.items():
            if key in self.model and self.model[key] != getattr(self.dataset, source):
                raise ValueError(f"model {key}={self.model[key]} disagrees with dataset {source}={getattr(self.dataset, source)}")
        self.model_config()  # validates the arch options now rather than mid-run

    def model_config(self) -> dict:
        """The full arch config: defaults, then `model`, then the dataset's geometry."""
        geometry = {key: getattr(self.dataset, source) for key, source in _GEOMETRY.items()}
        config_cls, _ = ZOO[self.arch]
        return config_cls.from_dict({**self.model, **geometry}).to_dict()

    def command(self) -> str:
        """The `tinyctl train` command line that reproduces this run."""
        data = self.dataset
        return (
            f"tinyctl train --epochs {self.epochs} --batch-size {self.batch_size} --lr {self.lr} --seed {self.seed}"
            f" --size {data.size} --channels {data.channels} --n-train {data.n_train} --out {self.out}"
        )


def _augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flips and transposition per image (all 8 square symmetries): surfaces and
    defects have no preferred orientation, and this multiplies the small training set."""
    flips = torch.rand(3, len(images), 1, 1, 1, generator=generator).to(images.device) < 0.5
    images = torch.where(flips[0], images.flip(3), images)
    images = torch.where(flips[1], images.flip(2), images)
    return torch.where(flips[2], images.transpose(2, 3), images)


def _train_epoch(model, optimizer, scheduler, data: Samples, config: TrainConfig, generator, step) -> None:
    """One pass over the training split in shuffled mini-batches."""
    device = next(model.parameters()).device
    images, labels = torch.from_numpy(data.images), torch.from_numpy(data.labels).float()
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for batch in torch.randperm(len(data), generator=generator).split(config.batch_size):
        x = _augment(images[batch].to(device), generator)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(x).squeeze(1)
        loss = loss_fn(logits.float(), labels[batch].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        step()


@torch.inference_mode()
def predict(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """Float logits [N] for float images [N, C, H, W], in eval mode."""
    device = next(model.parameters()).device
    model.eval()
    batches = torch.from_numpy(images).split(_EVAL_BATCH)
    return torch.cat([model(batch.to(device)).squeeze(1).float().cpu() for batch in batches]).numpy()


def _preprocessing(dataset: SyntheticConfig) -> dict:
    """How raw uint8 pixels become model input: (pixel * scale - mean) / std, NCHW."""
    return {
        "input_shape": [dataset.channels, dataset.size, dataset.size],
        "layout": "NCHW",
        "scale": 1 / 255,
        "mean": 0.0,
        "std": 1.0,
        "dataset": asdict(dataset),
    }


def _progress_bar(enabled: bool) -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, disable=not enabled, transient=True)


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextmanager
def _deterministic():
    """Deterministic kernels for the run only, so callers in the same process keep their setting."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)  # some CUDA kernels have no deterministic twin
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def train(config: TrainConfig, progress: bool = True) -> dict:
    """Train, pick the epoch with the best val AP, set the Youden threshold on val, write the
    checkpoint; returns val/test metrics, threshold, checkpoint path and seconds taken."""
    with _deterministic():
        return _train(config, progress)


def _train(config: TrainConfig, progress: bool) -> dict:
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    splits = default_splits(config.dataset)
    model = build_model(config.arch, config.model_config()).to(_device())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps_per_epoch = -(-len(splits["train"]) // config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=config.epochs * steps_per_epoch)
    best_ap, best_epoch, best_state = -1.0, 0, None
    with _progress_bar(progress) as bar:
        task = bar.add_task("training", total=config.epochs * steps_per_epoch)
        for epoch in range(1, config.epochs + 1):
            _train_epoch(model, optimizer, scheduler, splits["train"], config, generator, lambda: bar.advance(task))
            val_ap = average_precision(predict(model, splits["val"].images), splits["val"].labels)
            bar.update(task, description=f"epoch {epoch}/{config.epochs} val AP {val_ap:.4f}")
            if val_ap >= best_ap:  # ties go to the later, lower-learning-rate epoch
                best_ap, best_epoch = val_ap, epoch
                best_state = {key: value.clone() for key, value in model.state_dict().items()}
    model.load_state_dict(best_state)
    return _finish(model, config, splits, best_epoch, started)


def _finish(model: nn.Module, config: TrainConfig, splits: dict[str, Samples], best_epoch: int, started: float) -> dict:
    """Threshold on val, score val and test, and write the checkpoint."""
    val_scores = predict(model, splits["val"].images)
    threshold = youden_threshold(val_scores, splits["val"].labels)
    metrics = {
        "val": detector_metrics(val_scores, splits["val"].labels, threshold),
        "test": detector_metrics(predict(model, splits["test"].images), splits["test"].labels, threshold),
    }
    train_config = {**asdict(config), "out": str(config.out)}
    meta = {"command": config.command(), "train_config": train_config, "seed": config.seed, "best_epoch": best_epoch, **metrics}
    path = save_checkpoint(config.out, model.cpu(), config.arch, config.model_config(), _preprocessing(config.dataset), threshold, meta)
    return {**metrics, "threshold": threshold, "checkpoint": str(path), "best_epoch": best_epoch, "seconds": time.perf_counter() - started}


def _parser() -> argparse.ArgumentParser:
    defaults, data = TrainConfig(), SyntheticConfig()
    parser = argparse.ArgumentParser(
        prog="tinyctl train",
        description="Train the binary defect detector on the built-in synthetic dataset and write a checkpoint.",
    )
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="passes over the training split")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr, help="peak learning rate (one-cycle schedule)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="weight init and batch order (the dataset keeps its own seed)")
    parser.add_argument("--out", type=Path, default=defaults.out, help="checkpoint file to write")
    parser.add_argument("--size", type=int, default=data.size, help="image side in pixels")
    parser.add_argument("--channels", type=int, default=data.channels, choices=(1, 3))
    parser.add_argument("--n-train", type=int, default=data.n_train, help="training images")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _summary(result: dict) -> str:
    lines = [
        f"{split:>4}: AUROC {m['auroc']:.4f}  AP {m['ap']:.4f}  F1-max {m['f1_max']:.4f}  accuracy {m['accuracy']:.4f}"
        for split, m in ((split, result[split]) for split in ("val", "test"))
    ]
    lines.append(f"threshold (logit, Youden J on val): {result['threshold']:.4f}  best epoch: {result['best_epoch']}")
    lines.append(f"checkpoint: {result['checkpoint']}  ({result['seconds']:.1f} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        dataset = SyntheticConfig(size=args.size, channels=args.channels, n_train=args.n_train)
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, dataset=dataset, out=args.out)
    except ValueError as error:
        parser.error(str(error))
    try:
        result = train(config, progress=not args.quiet)
    except OSError as error:
        print(f"tinyctl train: cannot write the checkpoint: {error}", file=sys.stderr)
        return 1
    print(_summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
