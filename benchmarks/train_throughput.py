"""Trainer vs bare loop (issue 19): does `fit` keep the device busy?

Per detector, on the device `fit` picks (CUDA when present), measured interleaved in one run:
the trainer's training images/s (`fit`'s epochs: batches, augmentation, synthesis, steps and its
default validation, without one-off setup) beside a bare loop's: the same model, batch size,
optimizer and precision, forward + backward + step on data already on the device, no
augmentation, no synthesis, no validation. For SuperSimpleNet the bare loop feeds the heads the
doubled batch the method trains on (clean + perturbed copies of cached backbone features), so
the ratio prices the synthesis, not the method. One untimed epoch of each comes first. Then one
profiled trainer run says where the time goes (torch.profiler over the trainer's `train.*` labels;
synthesis runs inside forward).

    OMP_NUM_THREADS=1 python benchmarks/train_throughput.py   # CPU (one thread: the cores are shared)
    python benchmarks/train_throughput.py --out benchmarks/training_throughput_gpu.md   # on CUDA
"""

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from tinyctl.models.data.synthetic import SyntheticConfig, default_splits
from tinyctl.models.training.loop import fit
from tinyctl.models.training.losses import supersimplenet_loss
from tinyctl.models.training.tasks import FitOptions, task_for
from tinyctl.models.zoo import build_model

SSN_SMALL = {"backbone": "resnet18", "weights": "random", "supervised": True, "feature_strides": [8, 16],
             "seg_hidden": 64, "cls_hidden": 8, "mask_threshold": 0.1, "perlin_threshold": 0.6, "blur_sigma": 1.0}
# name: (arch, model options, learning rate, fit options)
DETECTORS = {
    "binary_cnn": ("binary_cnn", {}, 4e-3, FitOptions()),
    "supersimplenet": ("supersimplenet", SSN_SMALL, 2e-3, FitOptions(clip_grad=1.0)),
}
LABELS = ("data", "synthesis", "forward", "backward", "optimizer", "validation")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _model(name: str, data: SyntheticConfig) -> torch.nn.Module:
    arch, options, _, _ = DETECTORS[name]
    torch.manual_seed(0)
    return build_model(arch, {**options, "input_size": data.size, "in_channels": data.channels})


def trainer_rate(name: str, splits: dict, epochs: int, batch: int, device: torch.device) -> float:
    """Training images per second of `fit` (its epoch loop, validation included)."""
    _, _, lr, options = DETECTORS[name]
    model = _model(name, splits["config"])
    result = fit(model, splits["train"], splits["val"], epochs, lr, batch_size=batch, options=options,
                 progress=False, device=device.type)
    return epochs * len(splits["train"]) / result.loop_seconds


def _bare_batches(name: str, model, splits: dict, batch: int, device: torch.device) -> tuple[list[tuple], object]:
    """((inputs, labels, masks) batches on the device as the bare loss takes them, the model's task)."""
    train = splits["train"]
    task = task_for(model.to(device), DETECTORS[name][3], (len(train),))
    inputs = task.inputs(train.images).to(device)
    labels, masks = torch.from_numpy(train.labels).to(device), torch.from_numpy(train.masks).to(device)
    if name == "supersimplenet":  # the heads' doubled batch, masks at feature resolution
        inputs, labels = torch.cat([inputs, inputs]), torch.cat([labels, labels]).float()
        masks = model.feature_masks(torch.cat([masks, masks]), inputs.shape[-2:])
        batch *= 2
    return list(zip(inputs.split(batch), labels.split(batch), masks.split(batch))), task


def _bare_loss(name: str, model, inputs, labels, masks) -> torch.Tensor:
    if name == "supersimplenet":
        seg, score = model.heads(model.adaptor(inputs))
        return supersimplenet_loss(seg.float(), score.float(), masks, labels)
    return torch.nn.functional.binary_cross_entropy_with_logits(model(inputs)[:, 0].float(), labels.float())


def bare_rate(name: str, splits: dict, epochs: int, batch: int, device: torch.device) -> float:
    """Training images per second of a bare loop over the same number of images."""
    model = _model(name, splits["config"]).to(device)
    batches, task = _bare_batches(name, model, splits, batch, device)
    optimizer, scheduler = task.optimizers(DETECTORS[name][2], epochs * len(batches))[0]
    clip = DETECTORS[name][3].clip_grad
    model.train()
    _sync(device)
    started = time.perf_counter()
    for _ in range(epochs):
        for inputs, labels, masks in batches:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                loss = _bare_loss(name, model, inputs, labels, masks)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            scheduler.step()
    _sync(device)
    return epochs * len(splits["train"]) / (time.perf_counter() - started)


def breakdown(name: str, splits: dict, batch: int, device: torch.device) -> dict[str, float]:
    """Share of one profiled trainer epoch spent under each `train.*` label (device time on CUDA)."""
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    started = time.perf_counter()
    with profile(activities=activities) as profiler:
        trainer_rate(name, splits, 1, batch, device)
    total_us = (time.perf_counter() - started) * 1e6
    events = {event.key: event for event in profiler.key_averages()}
    shares = {}
    for label in LABELS:
        event = events.get(f"train.{label}")
        spent = 0.0 if event is None else event.device_time_total if device.type == "cuda" else event.cpu_time_total
        shares[label] = spent / total_us
    return shares


def measure(name: str, data: SyntheticConfig, epochs: int, batch: int, rounds: int, device: torch.device) -> dict:
    splits = {**default_splits(data), "config": data}
    trainer_rate(name, splits, 1, batch, device), bare_rate(name, splits, 1, batch, device)  # warm-up, not counted:
    # first-call costs (allocations, kernel selection for each batch shape) that a real run pays once
    trainer, bare = [], []
    for _ in range(rounds):  # interleaved, so that load from other processes hits both alike
        trainer.append(trainer_rate(name, splits, epochs, batch, device))
        bare.append(bare_rate(name, splits, epochs, batch, device))
    ratios = [t / b for t, b in zip(trainer, bare)]
    return {"name": name, "batch": batch, "trainer": statistics.median(trainer), "bare": statistics.median(bare),
            "ratio": statistics.median(ratios), "shares": breakdown(name, splits, batch, device)}


def table(rows: list[dict], heading: str) -> str:
    lines = [heading, "", "| detector | batch | trainer img/s | bare img/s | trainer / bare | "
             + " | ".join(LABELS) + " |", "|---" * (5 + len(LABELS)) + "|"]
    for row in rows:
        shares = " | ".join(f"{100 * row['shares'][label]:.0f} %" for label in LABELS)
        lines.append(f"| {row['name']} | {row['batch']} | {row['trainer']:.0f} | {row['bare']:.0f} | "
                     f"{row['ratio']:.2f} | {shares} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(DETECTORS), action="append", help="run only these detectors")
    parser.add_argument("--n-train", type=int, help="training images (default 512 on the CPU, 2000 on CUDA)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved trainer / bare measurements (median kept)")
    parser.add_argument("--batch-size", type=int, help="default 64 on the CPU, 256 on CUDA")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n_train = args.n_train or (2000 if device.type == "cuda" else 512)
    batch = args.batch_size or (256 if device.type == "cuda" else 64)
    data = SyntheticConfig(n_train=n_train, n_val=n_train // 5, n_test=n_train // 5)
    rows = [measure(name, data, args.epochs, batch, args.rounds, device) for name in (args.only or DETECTORS)]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    heading = (f"{name}, torch {torch.__version__}; {n_train} training + {n_train // 5} val images at {data.size} px, "
               f"{args.epochs} epochs x {args.rounds} interleaved rounds (medians); time shares from one profiled epoch")
    print(table(rows, heading))
    if args.out:
        args.out.write_text(f"# Training throughput: trainer vs bare loop\n\n`python benchmarks/train_throughput.py`\n\n"
                            f"{table(rows, heading)}\n")


if __name__ == "__main__":
    main()
