"""The terminal the CLI verbs write to: the consoles, the progress bars, and a build's summary."""

from __future__ import annotations

import contextlib
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


@contextlib.contextmanager
def progress_bars():
    """Transient progress bars on stderr, so stdout keeps only the results."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True) as progress:
        yield progress


def _print_engine(engine: dict) -> None:
    if not engine["supported"]:
        console.print(f"tinyctl engine: skipped ({engine['reason']})")
        return
    selftest = engine["selftest"]
    console.print(f"tinyctl engine: arena {engine['arena_bytes']:,} B; self-test on {selftest['ran_on']}: PASS")
    if "optimize" in engine:
        wide = [layer["name"] for layer in engine["layers"] if layer["weights"] == "int16"]
        console.print(f"--optimize {engine['optimize']}: int16 weights on {len(wide)} of {len(engine['layers'])} "
                      f"weighted layers" + (f" ({', '.join(wide)})" if wide else ""), highlight=False)
        staged = [layer["name"] for layer in engine["layers"] if layer.get("staged_in_arena")]
        if staged:
            console.print(f"weights copied into free arena bytes before their layer (read from RAM): "
                          f"{', '.join(staged)}", highlight=False)
    if "stack" in selftest:
        stack = selftest["stack"]
        console.print(f"stack peak (QEMU): {stack['peak_bytes']:,} of {stack['reserved_bytes']:,} B reserved")
    if "instructions" in selftest:
        console.print(f"instructions per inference (QEMU): {selftest['instructions']['per_inference']:,}")
    if "estimated_cycles" in selftest:
        estimate = selftest["estimated_cycles"]
        console.print(f"estimated cycles per inference: {estimate['per_inference']:,} = "
                      f"{estimate['ms_at_board_clock']:.2f} ms at the board clock (estimate: {estimate['model']['source']})")


def print_build_summary(directory: Path, report: dict) -> None:
    """A build's (or re-validation's) outcome: metrics per runtime, int8 agreement, engine, memory fit, report path."""
    m, v = report["memory"], report["validation"]
    console.print(f"[bold]{report['model']['name']}[/] for [bold]{report['board']['name']}[/] -> {directory}")
    data = v.get("data", {}).get("description")
    title = data or f"{v['split']} split, {v['samples']} images"
    scored = [runtime for runtime in v["runtimes"].values() if "ap" in runtime]
    classified = [runtime for runtime in v["runtimes"].values() if "top1" in runtime]
    if scored:   # a split head's tensor output has no detector metrics
        table = Table("runtime", "AUROC", "AP", "accuracy", title=title)
        for runtime in scored:
            table.add_row(runtime["label"], f"{runtime['auroc']:.4f}", f"{runtime['ap']:.4f}", f"{runtime['accuracy']:.4f}")
        console.print(table)
    if classified:
        table = Table("runtime", "top-1", title=title)
        for runtime in classified:
            table.add_row(runtime["label"], f"{runtime['top1']:.4f}")
        console.print(table)
    if not v.get("accuracy_measured", True):
        console.print(f"[yellow]{v['note']}[/] ({data or str(v['samples']) + ' inputs'})")
    for key, name in (("ap", "AP"), ("top1", "top-1")):
        if key in v.get("drop_pp", {}):
            console.print(f"float -> int8 {name} drop: {v['drop_pp'][key]:.2f} pp")
    for runtime in v["runtimes"].values():
        if "skipped" in runtime:
            console.print(f"[yellow]{runtime['label']}: skipped[/] ({runtime['skipped']})", highlight=False)
    for name, agreement in v["agreement"].items():
        label = v["runtimes"][name.removesuffix("_vs_tflm")]["label"]
        console.print(f"{label} vs TFLite-Micro: {agreement['mismatched']}/{agreement['elements']} elements differ"
                      + (f", RMSE {agreement['rmse']:.3g}, cosine {agreement['cosine']:.6f}" if "rmse" in agreement else ""))
    _print_engine(report["engine"])
    backend = "tinyctl engine firmware, linked" if m["backend"] == "engine" else "TFLite-Micro, runtime estimated"
    budget = m[m["backend"]]
    if budget is not None:   # a host build links no firmware: nothing to fit
        console.print(f"fit ({backend}): RAM {budget['ram_needed_bytes']:,} of {budget['ram_size_bytes']:,} B "
                      f"(arena {budget['arena_bytes']:,} B), flash {budget['flash_needed_bytes']:,} of "
                      f"{budget['flash_size_bytes']:,} B")
    if m["backend"] == "engine":
        t = m["tflm"]
        console.print(f"TFLite-Micro for comparison: arena {t['arena_bytes']:,} B, flash ~{t['flash_needed_bytes']:,} B "
                      f"(model {t['model_bytes']:,} B + runtime estimate)")
    console.print(f"report: {directory / 'report.html'}")
