"""GPU training benchmark (issue 4 item 6): the binary detector and SuperSimpleNet (ResNet-18) on the synthetic set.

Prints, per detector: training images/s (at the default CUDA batch of `tinyctl train`), inference
images/s (forward only, eval mode) and the test metrics reached. Runs on CUDA when present
(bfloat16 autocast), else on the CPU with --small for a smoke check.

    python benchmarks/train_gpu.py                 # CUDA: full synthetic set
    python benchmarks/train_gpu.py --small         # a minute on the CPU
    python benchmarks/train_gpu.py --out benchmarks/training_gpu.md

The trainer against a bare loop on the same device: benchmarks/train_throughput.py.
"""

import argparse
import time
from pathlib import Path

import torch

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


def _table(rows: list[dict], device: str) -> str:
    lines = [f"Device: {device}", "", "| detector | train img/s | inference img/s | train s | test AUROC | test AP | AUPRO |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        test = row["test"]
        aupro = f"{test['aupro']:.4f}" if "aupro" in test else "-"
        lines.append(f"| {row['name']} | {row['train_images_per_s']:.0f} | {row['inference_images_per_s']:.0f} | "
                     f"{row['seconds']:.1f} | {test['auroc']:.4f} | {test['ap']:.4f} | {aupro} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny data and 1 epoch (CPU smoke check)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--only", choices=sorted(RUNS), action="append", help="run only these detectors")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = SyntheticConfig(n_train=64, n_val=32, n_test=32) if args.small else SyntheticConfig()
    epochs = 1 if args.small else args.epochs
    rows = [benchmark(name, data, epochs, device) for name in (args.only or RUNS)]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    table = _table(rows, f"{name}, torch {torch.__version__}, {epochs} epochs, synthetic {data.size}px")
    print(table)
    if args.out:
        args.out.write_text(f"# Training benchmark\n\n`python benchmarks/train_gpu.py`\n\n{table}\n")


if __name__ == "__main__":
    main()
