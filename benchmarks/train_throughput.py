"""Trainer vs bare loop (issue 19): does `fit` keep the device busy?

Per detector, on the device `fit` picks (CUDA when present), measured interleaved in one run:
the trainer's training images/s (`fit`'s epochs: batches, augmentation, synthesis, steps and its
default validation, without one-off setup) beside a bare loop's: the same model, batch size,
optimizer and precision, forward + backward + step on data already on the device, no
augmentation, no synthesis, no validation. For SuperSimpleNet the bare loop does the work of the
trainer's step without the synthesis: the adaptor on each batch of cached backbone features, the
heads on the doubled batch the method trains on (clean + perturbed copies), so the ratio prices the
synthesis, not the method. One untimed epoch of each comes first. `validation (timed)` is the share
of the trainer's epoch loop spent validating, from `fit`'s own timer (median of the rounds). Then one
profiled trainer run says where the time goes (torch.profiler over the trainer's `train.*` labels;
synthesis runs inside forward). Each speed variant (precision, channels_last, torch.compile) runs
both loops with the same options, so ratios compare like with like.

    OMP_NUM_THREADS=1 python benchmarks/train_throughput.py   # CPU (one thread: the cores are shared)
    python benchmarks/train_throughput.py --variants fp32 bf16 --out benchmarks/training_throughput_gpu.md
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
from tinyctl.models.training.speed import SpeedOptions
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
# name: how both loops run; "default" is what `tinyctl train` picks on the device (bf16 + channels_last on CUDA)
VARIANTS = {
    "default": SpeedOptions(),
    "fp32": SpeedOptions(precision="fp32", channels_last=False),
    "bf16": SpeedOptions(precision="bf16", channels_last=False),
    "channels_last": SpeedOptions(precision="fp32", channels_last=True),
    "bf16+channels_last": SpeedOptions(precision="bf16", channels_last=True),
    "default+compile": SpeedOptions(compile=True),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _model(name: str, data: SyntheticConfig) -> torch.nn.Module:
    arch, options, _, _ = DETECTORS[name]
    torch.manual_seed(0)
    return build_model(arch, {**options, "input_size": data.size, "in_channels": data.channels})


def trainer_run(name: str, splits: dict, epochs: int, batch: int, device: torch.device,
                speed: SpeedOptions = SpeedOptions()) -> tuple[float, float]:
    """(training images per second of `fit`'s epoch loop, validation included; the share of that loop's
    time spent validating)."""
    _, _, lr, options = DETECTORS[name]
    model = _model(name, splits["config"])
    result = fit(model, splits["train"], splits["val"], epochs, lr, batch_size=batch, options=options,
                 progress=False, device=device.type, speed=speed)
    return epochs * len(splits["train"]) / result.loop_seconds, result.validation_seconds / result.loop_seconds


def trainer_rate(name: str, splits: dict, epochs: int, batch: int, device: torch.device,
                 speed: SpeedOptions = SpeedOptions()) -> float:
    """Training images per second of `fit` (its epoch loop, validation included)."""
    return trainer_run(name, splits, epochs, batch, device, speed)[0]


def _bare_batches(name: str, model, splits: dict, batch: int, device: torch.device,
                  speed: SpeedOptions) -> tuple[list[tuple], object]:
    """((inputs, labels, masks) batches on the device as the bare loss takes them, laid out as `speed`
    asks; the model's task). SuperSimpleNet's labels and masks are those of the doubled batch, masks at
    feature resolution."""
    train = splits["train"]
    task = task_for(model.to(device), DETECTORS[name][3], (len(train),), speed)
    inputs = [task.speed.laid_out(chunk) for chunk in task.inputs(train.images).to(device).split(batch)]
    labels = torch.from_numpy(train.labels).to(device).split(batch)
    masks = torch.from_numpy(train.masks).to(device).split(batch)
    if name == "supersimplenet":
        size = inputs[0].shape[-2:]
        labels = [torch.cat([chunk, chunk]).float() for chunk in labels]
        masks = [model.feature_masks(torch.cat([chunk, chunk]), size) for chunk in masks]
    return list(zip(inputs, labels, masks)), task


def _bare_loss(name: str, model, inputs, labels, masks) -> torch.Tensor:
    if name == "supersimplenet":  # the adaptor runs once per image, as in the trainer; the heads on both copies
        features = model.adaptor(inputs)
        seg, score = model.heads(torch.cat([features, features]))
        return supersimplenet_loss(seg.float(), score.float(), masks, labels)
    return torch.nn.functional.binary_cross_entropy_with_logits(model(inputs)[:, 0].float(), labels.float())


def bare_rate(name: str, splits: dict, epochs: int, batch: int, device: torch.device,
              speed: SpeedOptions = SpeedOptions()) -> float:
    """Training images per second of a bare loop over the same number of images."""
    speed = speed.resolved(device)
    model = _model(name, splits["config"]).to(device)
    if speed.channels_last:
        model.to(memory_format=torch.channels_last)
    batches, task = _bare_batches(name, model, splits, batch, device, speed)
    optimizer, scheduler = task.optimizers(DETECTORS[name][2], epochs * len(batches))[0]
    clip = DETECTORS[name][3].clip_grad
    loss_of = torch.compile(_bare_loss) if speed.compile else _bare_loss
    model.train()
    _sync(device)
    started = time.perf_counter()
    for _ in range(epochs):
        for inputs, labels, masks in batches:
            with speed.autocast(device):
                loss = loss_of(name, model, inputs, labels, masks)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            scheduler.step()
    _sync(device)
    return epochs * len(splits["train"]) / (time.perf_counter() - started)


def breakdown(name: str, splits: dict, batch: int, device: torch.device, speed: SpeedOptions) -> dict[str, float]:
    """Share of one profiled trainer epoch spent under each `train.*` label (device time on CUDA)."""
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    started = time.perf_counter()
    with profile(activities=activities) as profiler:
        trainer_rate(name, splits, 1, batch, device, speed)
    total_us = (time.perf_counter() - started) * 1e6
    events = {event.key: event for event in profiler.key_averages()}
    shares = {}
    for label in LABELS:
        event = events.get(f"train.{label}")
        spent = 0.0 if event is None else event.device_time_total if device.type == "cuda" else event.cpu_time_total
        shares[label] = spent / total_us
    return shares


def measure(name: str, data: SyntheticConfig, epochs: int, batch: int, rounds: int, device: torch.device,
            variant: str = "default", profiled: bool = True) -> dict:
    """Medians of `rounds` interleaved trainer / bare measurements of one detector and speed variant,
    and (profiled) the trainer's time shares."""
    speed, splits = VARIANTS[variant], {**default_splits(data), "config": data}
    started = time.perf_counter()
    trainer_rate(name, splits, 1, batch, device, speed), bare_rate(name, splits, 1, batch, device, speed)  # warm-up,
    # not counted: first-call costs (allocations, kernel selection, compilation) that a real run pays once
    warm_up_s = time.perf_counter() - started
    trainer, validation, bare = [], [], []
    for _ in range(rounds):  # interleaved, so that load from other processes hits both alike
        rate, share = trainer_run(name, splits, epochs, batch, device, speed)
        trainer.append(rate), validation.append(share)
        bare.append(bare_rate(name, splits, epochs, batch, device, speed))
    ratios = [t / b for t, b in zip(trainer, bare)]
    return {"name": name, "variant": _label(variant, device), "batch": batch, "trainer": statistics.median(trainer),
            "bare": statistics.median(bare), "ratio": statistics.median(ratios), "warm_up_s": warm_up_s,
            "validation": statistics.median(validation),
            "shares": breakdown(name, splits, batch, device, speed) if profiled else None}


def _label(variant: str, device: torch.device) -> str:
    """The variant with what it resolved to on `device`, e.g. default (fp32)."""
    speed = VARIANTS[variant].resolved(device)
    words = [speed.precision] + ["channels_last"] * speed.channels_last + ["compile"] * speed.compile
    return variant if variant.startswith(speed.precision) or variant == "channels_last" else f"{variant} ({', '.join(words)})"


def table(rows: list[dict], heading: str) -> str:
    lines = [heading, "", "| detector | variant | batch | trainer img/s | bare img/s | trainer / bare | validation "
             "(timed) | warm-up s | " + " | ".join(LABELS) + " |", "|---" * (8 + len(LABELS)) + "|"]
    for row in rows:
        shares = " | ".join(f"{100 * row['shares'][label]:.0f} %" if row["shares"] else "-" for label in LABELS)
        lines.append(f"| {row['name']} | {row['variant']} | {row['batch']} | {row['trainer']:.0f} | {row['bare']:.0f} | "
                     f"{row['ratio']:.2f} | {100 * row['validation']:.1f} % | {row['warm_up_s']:.0f} | {shares} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(DETECTORS), action="append", help="run only these detectors")
    parser.add_argument("--n-train", type=int, help="training images (default 512 on the CPU, 2000 on CUDA)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved trainer / bare measurements (median kept)")
    parser.add_argument("--batch-size", type=int, help="default 64 on the CPU, 256 on CUDA")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["default"],
                        help="speed variants, each run by both loops (default: default)")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file (after every row)")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n_train = args.n_train or (2000 if device.type == "cuda" else 512)
    batch = args.batch_size or (256 if device.type == "cuda" else 64)
    data = SyntheticConfig(n_train=n_train, n_val=n_train // 5, n_test=n_train // 5)
    heading = (f"{device_name(device)}, torch {torch.__version__}; {n_train} training + {n_train // 5} val images at "
               f"{data.size} px, {args.epochs} epochs x {args.rounds} interleaved rounds (medians); the label "
               "shares from one profiled run (its setup, e.g. feature caching, in the total)")
    rows = []
    for name in args.only or DETECTORS:
        for variant in args.variants:
            rows.append(measure(name, data, args.epochs, batch, args.rounds, device, variant))
            print(table(rows[-1:], f"{name} {variant}:"), flush=True)
            if args.out:
                args.out.write_text(f"# Training throughput: trainer vs bare loop\n\n`python benchmarks/train_throughput.py`\n\n"
                                    f"{table(rows, heading)}\n")
    print(table(rows, heading))


def device_name(device: torch.device) -> str:
    """What the tables say the numbers were measured on."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"


if __name__ == "__main__":
    main()
