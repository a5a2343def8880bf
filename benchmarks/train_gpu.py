"""GPU training benchmark (issues 4 and 19): the trainer against a bare loop per speed variant, then
the metrics training reaches, on the synthetic set, within a time budget.

1. Per detector of benchmarks/train_throughput.py (binary_cnn, a small SuperSimpleNet) and per speed
   variant (fp32, bf16, channels_last, both, the device default with torch.compile): the trainer's
   training images/s beside a bare loop's with the same options, their ratio, the warm-up (first
   epoch, compilation included), and for the default variant where the trainer's time goes.
2. Per run in RUNS: training images/s at `tinyctl train`'s default batch for the device, inference
   images/s and the test metrics reached after --epochs.
Rows that would start after --budget-s are listed as skipped; the markdown file is rewritten after
every row, so a killed run keeps what it measured. Runs on CUDA when present, else on the CPU
(--small: a smoke run of a minute or two that proves the script end to end).

    python -m benchmarks.train_gpu --out benchmarks/training_gpu.md    # CUDA: about 3 minutes
    OMP_NUM_THREADS=1 python -m benchmarks.train_gpu --small --out /tmp/training_cpu_smoke.md   # 40 s here
"""

import argparse
import time
from pathlib import Path

import torch

from benchmarks.train_throughput import DETECTORS, VARIANTS, device_name, measure
from benchmarks.train_throughput import table as throughput_table
from tinyctl.models.data.synthetic import SyntheticConfig, default_splits
from tinyctl.models.training.cli import CUDA_BATCH_FACTOR
from tinyctl.models.training.loop import evaluate, fit
from tinyctl.models.training.tasks import FitOptions, task_for
from tinyctl.models.zoo import build_model

RUNS = {
    "binary_cnn": ("binary_cnn", {}, 4e-3),
    "classifier-resnet18": ("classifier", {"backbone": "resnet18"}, 1e-3),
    "supersimplenet-resnet18": ("supersimplenet", {"backbone": "resnet18", "weights": "random", "supervised": True,
                                                   "feature_strides": [8, 16], "mask_threshold": 0.1,
                                                   "perlin_threshold": 0.6, "blur_sigma": 1.0}, 2e-3),
}


def _inference_rate(model, images: torch.Tensor, device: torch.device, batch: int = 256, repeats: int = 5) -> float:
    model.eval().to(device)
    x = images[:batch].to(device)
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        model(x)  # warm-up (cuDNN autotuning, allocations)
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(repeats):
            model(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
    return repeats * len(x) / (time.perf_counter() - started)


def benchmark(name: str, data: SyntheticConfig, epochs: int, device: torch.device) -> dict:
    arch, options, lr = RUNS[name]
    splits = default_splits(data)
    torch.manual_seed(0)
    model = build_model(arch, {**options, "input_size": data.size, "in_channels": data.channels})
    factor = CUDA_BATCH_FACTOR if device.type == "cuda" else 1  # as `tinyctl train` does by default
    result = fit(model, splits["train"], splits["val"], epochs, lr * factor ** 0.5, batch_size=64 * factor,
                 progress=False, val_every=max(1, epochs // 4), device=device.type)
    task = task_for(model.to(device), FitOptions(), (len(splits["test"]),))
    test, _ = evaluate(task, task.inputs(splits["test"].images), splits["test"], result.threshold)
    # the epochs with their validations, without one-off setup (SuperSimpleNet's feature caching)
    return {"name": name, "train_images_per_s": epochs * len(splits["train"]) / result.loop_seconds,
            "inference_images_per_s": _inference_rate(model, torch.from_numpy(splits["test"].images), device),
            "seconds": result.seconds, "test": test}


def _table(rows: list[dict], heading: str) -> str:
    lines = [heading, "", "| detector | train img/s | inference img/s | train s | test AUROC | test AP | AUPRO |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        test = row["test"]
        aupro = f"{test['aupro']:.4f}" if "aupro" in test else "-"
        lines.append(f"| {row['name']} | {row['train_images_per_s']:.0f} | {row['inference_images_per_s']:.0f} | "
                     f"{row['seconds']:.1f} | {test['auroc']:.4f} | {test['ap']:.4f} | {aupro} |")
    return "\n".join(lines)


class Budget:
    """Seconds left of --budget-s; rows that would start later are skipped and named."""

    def __init__(self, seconds: float) -> None:
        self.ends, self.skipped = time.perf_counter() + seconds, []

    def allows(self, row: str) -> bool:
        if time.perf_counter() < self.ends:
            print(f"[{time.strftime('%H:%M:%S')}] {row}", flush=True)
            return True
        self.skipped.append(row)
        return False


def _page(parts: list[str], skipped: list[str]) -> str:
    note = f"\n\nSkipped (over the time budget): {', '.join(skipped)}." if skipped else ""
    return "# Training benchmark\n\n`python -m benchmarks.train_gpu`\n\n" + "\n\n".join(parts) + note + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny data, 1 epoch, no compile (CPU smoke check)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of each metrics run (part 2)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS),
                        help="speed variants of part 1 (default: all; --small: all but compile)")
    parser.add_argument("--only", choices=sorted(RUNS), action="append", help="metrics runs (part 2) to make")
    parser.add_argument("--budget-s", type=float, default=170, help="start no row after this many seconds")
    parser.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    budget = Budget(args.budget_s)
    variants = args.variants or [name for name in VARIANTS if not (args.small and "compile" in name)]
    n_train = 64 if args.small else 2000 if device.type == "cuda" else 512
    data = SyntheticConfig(n_train=n_train, n_val=n_train // 5, n_test=n_train // 5)
    batch, epochs = 256 if device.type == "cuda" else 64, 1 if args.small else 2
    heading = (f"{device_name(device)}, torch {torch.__version__}; {n_train} training + {n_train // 5} val images at "
               f"{data.size} px, batch {batch}; {epochs} epochs after a warm-up epoch, one round; time shares from one "
               "profiled trainer epoch of the default variant")
    speed_rows, metric_rows, parts = [], [], []

    def write(parts: list[str]) -> None:
        print(parts[-1], flush=True)
        if args.out:
            args.out.write_text(_page(parts, budget.skipped))

    for variant in variants:  # variant by variant, so that slow compilation comes last for every detector
        for name in DETECTORS:
            if budget.allows(f"{name} {variant}"):
                speed_rows.append(measure(name, data, epochs, batch, 1, device, variant, profiled=variant == "default"))
                write([throughput_table(speed_rows, heading)])
    parts.append(throughput_table(speed_rows, heading))
    metric_data = SyntheticConfig(n_train=64, n_val=32, n_test=32) if args.small else SyntheticConfig()
    metric_epochs = 1 if args.small else args.epochs
    metric_heading = (f"{device_name(device)}, {metric_epochs} epochs of `tinyctl train`'s defaults for the device, "
                      f"synthetic {metric_data.size} px ({metric_data.n_train} training images)")
    for name in args.only or RUNS:
        if budget.allows(f"metrics {name}"):
            metric_rows.append(benchmark(name, metric_data, metric_epochs, device))
            write(parts + [_table(metric_rows, metric_heading)])
    parts.append(_table(metric_rows, metric_heading) if metric_rows else "(no metrics run fitted in the budget)")
    if args.out:
        args.out.write_text(_page(parts, budget.skipped))
    print(_page(parts, budget.skipped))


if __name__ == "__main__":
    main()
