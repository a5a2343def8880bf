"""`tinyctl prune`, and the compression options `tinyctl build` shares with it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import typer

from . import cli_checks, cli_data
from .compress import FINE_TUNE_EPOCHS, PRUNE_STEPS
from .console import console, progress_bars
from .errors import TinyctlError
from .staging import owned_temp_dir

PRUNE_HELP = "Share of channels to remove from every prunable layer (0.5 keeps half), then fine-tune."
TARGET_HELP = "Prune just enough to meet KIND=LIMIT: macs (per inference), arena (engine bytes) or flash (int8 weight bytes)."
MAX_DROP_HELP = "Accepted AP loss in percentage points: the strongest pruning and the calibration that stay within it."
FINE_TUNE_HELP = "Fine-tuning epochs after pruning (distilled from the unpruned model), shared by the steps."
STEPS_HELP = "Prune in this many equal slices, each followed by its share of the fine-tune (1: one cut)."
QAT_HELP = "Quantization-aware training epochs (per-channel fake quantization) before int8 conversion."


def compression_options(**options):
    """The CompressionOptions of a command line (it checks them and raises a TinyctlError that says why)."""
    from .stages.compress import CompressionOptions

    return CompressionOptions(**options)


def prune(
    model: Optional[str] = typer.Option(None, "--model", "-m", callback=cli_checks.not_a_directory,
                                        help="A tinyctl checkpoint (.pt); default: the shipped detector."),
    out: Path = typer.Option(..., "--out", "-o", callback=cli_checks.not_a_directory,
                             help="Checkpoint to write (loadable by `tinyctl build -m`)."),
    ratio: Optional[float] = typer.Option(None, "--ratio", callback=cli_checks.finite, help=PRUNE_HELP),
    target: Optional[str] = typer.Option(None, "--target", help=TARGET_HELP),
    max_drop: Optional[float] = typer.Option(None, "--max-drop", callback=cli_checks.finite, help=MAX_DROP_HELP),
    fine_tune_epochs: int = typer.Option(FINE_TUNE_EPOCHS, min=0, help=FINE_TUNE_HELP),
    prune_steps: int = typer.Option(PRUNE_STEPS, min=1, help=STEPS_HELP),
    qat_epochs: int = typer.Option(0, min=0, help=QAT_HELP),
    calibration_samples: int = typer.Option(200, min=1, help="Training images for int8 ranges (QAT, budget search, targets)."),
    seed: int = typer.Option(0, min=0, help="Seed for drawing the calibration images."),
    data: Optional[str] = cli_data.DATA,
):
    """Prune a detector's channels (ratio, target or AP budget), fine-tune, optionally QAT; write the checkpoint."""
    from .datasets import calibration_set
    from .pipeline import StageLog, compress_model
    from .stages.compress import COMPRESSED_CHECKPOINT

    options = compression_options(prune=ratio, prune_target=target, max_drop=max_drop, fine_tune_epochs=fine_tune_epochs,
                                  prune_steps=prune_steps, qat_epochs=qat_epochs)
    if not options.changes_model:
        raise TinyctlError("nothing to do", "give --ratio, --target, --max-drop or --qat-epochs")
    source = cli_data.load_with_data(model, data)
    with progress_bars() as progress, owned_temp_dir("tinyctl-prune-") as tmp:
        log = StageLog(progress)
        calibration = log.run("calibration set", calibration_set, source, calibration_samples, seed)
        _, record = compress_model(log, source, options, calibration, Path(tmp), progress)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(Path(tmp) / COMPRESSED_CHECKPOINT, out)
    print_record(console, record)
    console.print(f"checkpoint: {out}")


def print_record(console, record: dict) -> None:
    """What compression did, for the terminal (report.json holds all of it)."""
    if "prune" in record:
        p = record["prune"]
        console.print(f"pruned {p['ratio']:.0%} of the channels in {max(1, len(p.get('steps', [])))} slice(s): MACs {p['macs_before']:,} -> {p['macs_after']:,}, "
                      f"parameters {p['params_before']:,} -> {p['params_after']:,}")
        console.print(f"val AP: unpruned {p['val_ap_unpruned']:.4f}, pruned {p['val_ap_pruned']:.4f}"
                      + (f", fine-tuned {p['val_ap_fine_tuned']:.4f}" if "val_ap_fine_tuned" in p else ""))
    if "budget" in record:
        b = record["budget"]
        console.print(f"budget {b['max_drop_pp']} pp: ratio {b['chosen_ratio']} with {b['calibration']} calibration"
                      + ("" if b["met"] else " [red](no ratio met the budget)[/]"))
    if "savings" in record:
        before, after = record["savings"]["before"], record["savings"]["after"]
        measured = [f"{label} {_figure(before[key])} -> {_figure(after[key])}"
                    for label, key in (("flash", "flash_bytes"), ("RAM", "ram_bytes"), ("arena", "arena_bytes"),
                                       ("instructions/inference", "instructions_per_inference"))]
        console.print("uncompressed -> this build: " + ", ".join(measured)
                      + f", int8 test AP {before['int8_tflite_test_ap']:.4f} -> {after['int8_tflite_test_ap']:.4f}")
    if "qat" in record:
        q = record["qat"]
        console.print(f"QAT {q['epochs']} epochs: simulated int8 val AP {q['simulated_int8_val_ap_before']:.4f} -> "
                      f"{q['simulated_int8_val_ap_after']:.4f}")


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:,}"
