"""`tinyctl split ...`: rank split points, partition a model, simulate the link, serve the tail."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import cli_checks, cli_data
from .console import console, print_build_summary, progress_bars
from .errors import TinyctlError
from .split.channels import PRESETS
from .split.wire import HEADER

app = typer.Typer(help="Split computing: a head on the MCU, a tail on a server.", no_args_is_help=True)

MODEL_HELP = "A tinyctl checkpoint (.pt); default: the shipped detector."
# Options that partition and mtl share.
CUT = typer.Option(..., "--cut", "-c", min=0, help="Layer index to cut after (see `tinyctl split rank`).")
MODEL = typer.Option(None, "--model", "-m", callback=cli_checks.not_a_directory, help=MODEL_HELP)
RATIO = typer.Option(8, min=1, help="Bottleneck compression ratio r (f = C / r channels).")
STAGES = typer.Option(2, min=0, help="Stride-2 bottleneck stages (0: no bottleneck).")
LR = typer.Option(2e-3, callback=cli_checks.positive, help="Learning rate.")
BUILD_TARGET = typer.Option(None, "--build-target", "-t", callback=cli_checks.board,
                            help="Also `tinyctl build` the head for this board into OUT/head-build.")


def _torch_source(model: Optional[str], data: Optional[str] = None):
    source = cli_data.load_with_data(model, data)
    if source.torch_model is None:
        raise TinyctlError(f"{source.path.name} is not a torch checkpoint",
                           "split analysis needs gradients and layers: pass a tinyctl .pt checkpoint")
    return source


def _split_data(source, split: str, samples: int):
    from .datasets import labelled_split

    if samples < 1:
        raise TinyctlError("--samples must be at least 1", "use 400 for the whole validation split")
    try:
        images, labels = labelled_split(source, split)
    except ValueError as exc:
        raise TinyctlError(str(exc), "use --split train, val or test") from exc
    return images[:samples], labels[:samples]


@app.command()
def rank(
    model: Optional[str] = MODEL,
    out: Path = typer.Option(Path("build/split-rank"), "--out", "-o", help="Report directory."),
    split: str = typer.Option("val", help="Dataset split to analyse."),
    samples: int = typer.Option(400, min=1, help="Images of the split to use."),
    target: str = typer.Option("predicted", help="Grad-CAM target: 'predicted' class or ground 'truth'."),
    batch_size: int = typer.Option(64, min=1, help="Images per backward pass."),
    data: Optional[str] = cli_data.DATA,
):
    """I-SPLIT: Grad-CAM at every cut point, the CUI curve and its local maxima as ranked split candidates."""
    from .split.gradcam import TARGETS
    from .split.isplit import rank_splits
    from .split.rank_report import write_rank_report

    if target not in TARGETS:
        raise TinyctlError(f"unknown --target {target!r}", f"use one of {', '.join(TARGETS)}")
    source = _torch_source(model, data)
    with progress_bars() as progress:
        task = progress.add_task("dataset", total=None)
        images, labels = _split_data(source, split, samples)
        progress.update(task, description="Grad-CAM", total=len(images), completed=0)
        result = rank_splits(source.torch_model, images, labels, target, batch_size,
                             lambda n: progress.advance(task, n))
    html = write_rank_report({**result, "model": str(source.path), "split": split}, out)
    console.print(f"best split after layer {result['best']}; candidates (best first) {result['candidates']}; "
                  f"CDE candidates {result['cde']['candidates']}")
    console.print(f"report: {html}")


@app.command()
def partition(
    cut: int = CUT,
    model: Optional[str] = MODEL,
    out: Path = typer.Option(Path("build/split"), "--out", "-o", help="Output directory (head.pt, tail.onnx, split.json)."),
    ratio: int = RATIO,
    stages: int = STAGES,
    epochs: int = typer.Option(4, min=0, help="Fine-tuning epochs of the bottleneck (the rest frozen)."),
    last_layer_epochs: int = typer.Option(0, min=0, help="Then fine-tune only the last layer for this many epochs."),
    lr: float = LR,
    seed: int = typer.Option(0, min=0, help="Seed of the bottleneck's init and the batch order."),
    target: Optional[str] = BUILD_TARGET,
    data: Optional[str] = cli_data.DATA,
):
    """Cut a detector, insert the bottleneck, fine-tune it, export head.pt (for `tinyctl build`) and tail.onnx."""
    from .split.partition import PartitionOptions, partition as run_partition

    options = PartitionOptions(cut=cut, model=model, out=str(out), ratio=ratio, stages=stages, epochs=epochs,
                               last_layer_epochs=last_layer_epochs, lr=lr, seed=seed)
    source = _torch_source(model, data)
    with progress_bars() as progress:
        task = progress.add_task("dataset", total=None)
        data = {split: _split_data(source, split, 1 << 30) for split in ("train", "val", "test")}
        progress.update(task, description="fine-tuning", total=epochs + last_layer_epochs, completed=0)
        directory, summary = run_partition(options, data, lambda: progress.advance(task))
    _print_partition(console, directory, summary)
    if target:
        _build_head(directory, target)


def _print_partition(console, directory: Path, summary: dict) -> None:
    console.print(f"cut after {summary['cut_label']} {summary['cut_shape']} -> sends {summary['code_shape']} "
                  f"int8 = {summary['payload_int8_bytes']:,} B")
    for stage, m in summary["metrics"].items():
        console.print(f"  {stage:>16}: AP {m['ap']:.4f}  AUROC {m['auroc']:.4f}  accuracy {m['accuracy']:.4f}")
    console.print(f"head: {directory / 'head.pt'}  tail: {directory / 'tail.onnx'}")


def _build_head(directory: Path, target: str) -> None:
    from .pipeline import BuildOptions, build

    with progress_bars() as progress:
        build_dir, report = build(BuildOptions(target=target, model=str(directory / "head.pt"),
                                               out=str(directory / "head-build")), progress)
    print_build_summary(build_dir, report)


@app.command()
def serve(
    tail: Path = typer.Argument(..., callback=cli_checks.existing_file,
                                help="tail.onnx written by `tinyctl split partition` (or an MTL tails.onnx)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8765, min=0, max=65535, help="TCP port (0: any free port)."),
    max_frame: int = typer.Option(1 << 20, min=HEADER.size, help="Largest frame accepted, in bytes."),
    max_clients: int = typer.Option(64, min=1, help="Concurrent connections accepted."),
    idle_timeout: float = typer.Option(30.0, min=0.1, max=86_400, help="Seconds a connection may take to send a "
                                       "frame or read an answer before it is closed."),
):
    """Serve the tail over TCP: int8 tensor frames in, logits out (docs/split-wire-format.md). Ctrl-C stops it."""
    import asyncio

    from .split.server import TailServer, serve_until_signal
    from .split.tail import TailModel

    server = TailServer(TailModel(tail), host=host, port=port, max_frame=max_frame, max_clients=max_clients,
                        idle_timeout_s=idle_timeout)

    def ready(address):
        console.print(f"listening on {address[0]}:{address[1]} (tail {tail.name}, input {server.tail.input_shape})",
                      highlight=False)

    try:
        asyncio.run(serve_until_signal(server, ready))
    except OSError as exc:
        raise TinyctlError(f"cannot listen on {host}:{port}: {exc.strerror}", "pick another --port") from exc
    console.print(f"stopped: {server.stats.answered} answered, errors {server.stats.errors}", highlight=False)


@app.command()
def simulate(
    model: Optional[str] = MODEL,
    out: Path = typer.Option(Path("build/split-simulate"), "--out", "-o", help="Report directory."),
    target: str = typer.Option("stm32", "--target", "-t", callback=cli_checks.board,
                               help="Board whose clock times the head."),
    build_dir: Optional[Path] = typer.Option(None, "--build", help="The model's `tinyctl build` directory: "
                                             "per-layer QEMU instruction counts and memory (else MACs x rate)."),
    partitions: list[Path] = typer.Option([], "--partition", "-p", help="A `tinyctl split partition` directory "
                                          "(repeatable); its head-build/ gives the measured head cost."),
    cuts: Optional[str] = typer.Option(None, help="Comma-separated cut layers (default: every cut point)."),
    rank_json: Optional[Path] = typer.Option(None, "--rank", help="rank.json of `split rank`: use its candidates."),
    channels: str = typer.Option(",".join(PRESETS), help="Channel presets, comma-separated."),
    losses: str = typer.Option("0,1,2,3,4,5", help="Packet loss rates in percent."),
    samples: int = typer.Option(400, min=1, help="Test images for the accuracy."),
    trials: int = typer.Option(500, min=1, help="Monte Carlo frames per TCP configuration."),
    min_accuracy: Optional[float] = typer.Option(None, callback=cli_checks.fraction, help="QoS: accuracy at least this."),
    max_latency_ms: Optional[float] = typer.Option(None, callback=cli_checks.positive,
                                                   help="QoS: latency at most this (ms)."),
    instructions_per_mac: float = typer.Option(5.3, callback=cli_checks.positive, help="Head cost rate without --build."),
):
    """Latency, payload, memory and accuracy of local, remote and split deployments over TCP/UDP links; QoS pick."""
    from .split.run_simulation import SimulationInputs, run_simulation
    from .split.sim_report import write_sim_report

    inputs = SimulationInputs(target=target, build_dir=build_dir, partitions=list(partitions), cuts=cuts,
                              rank_json=rank_json, channels=channels, losses=losses, trials=trials,
                              min_accuracy=min_accuracy, max_latency_ms=max_latency_ms,
                              instructions_per_mac=instructions_per_mac)
    source = _torch_source(model)
    with progress_bars() as progress:
        task = progress.add_task("dataset", total=None)
        data = {split: _split_data(source, split, samples) for split in ("val", "test")}
        result = run_simulation(inputs, source, data, progress, task)
    html = write_sim_report(result, out)
    pick = result["qos"]["recommended"]
    console.print("no configuration meets the QoS" if pick is None else
                  f"recommended: {pick['case']} over {pick['channel']}/{pick['protocol']} at "
                  f"{100 * pick['loss']:.0f} % loss ({pick['latency_ms']:.2f} ms, accuracy {pick['accuracy']:.4f})")
    console.print(f"report: {html}")


@app.command()
def bridge(
    head_build: Path = typer.Argument(..., help="The head's `tinyctl build` directory."),
    tail_host: str = typer.Option("127.0.0.1", help="Tail server address (`tinyctl split serve`)."),
    tail_port: int = typer.Option(8765, min=1, max=65535, help="Tail server port."),
    port: Optional[str] = typer.Option(None, help="The board's serial port or pyserial URL; default: --emulate."),
    samples: int = typer.Option(32, min=1, help="Test images to run."),
):
    """Run test images through the head on the board (or QEMU) and the tail server: prediction and accuracy."""
    import contextlib

    from tinyctl.models.metrics import accuracy_at

    from .runner import emulated_board
    from .split.bridge import Bridge
    from .validate_build import read_build

    _, source = read_build(head_build)   # the head checkpoint: its data set and the split's threshold
    images, labels = _split_data(source, "test", samples)
    with progress_bars() as progress, (contextlib.nullcontext(port) if port else emulated_board(head_build)) as url:
        task = progress.add_task("head on the board, tail on the server", total=len(images))
        link = Bridge(url, tail_host, tail_port)
        try:
            result = link.run(images, lambda: progress.advance(task))
        finally:
            link.close()
    accuracy = accuracy_at(result.scores, labels, source.threshold)
    console.print(f"{len(images)} images: accuracy {accuracy:.4f} at threshold {source.threshold:.4f}; "
                  f"head cycles per inference {sum(result.cycles) // len(result.cycles) if any(result.cycles) else 'n/a'}")


@app.command()
def mtl(
    cut: int = CUT,
    model: Optional[str] = MODEL,
    out: Path = typer.Option(Path("build/split-mtl"), "--out", "-o", help="Output directory (a partition's files)."),
    epochs: int = typer.Option(6, min=0, help="Joint training epochs."),
    hidden: int = typer.Option(64, min=1, help="Hidden units of each task tail."),
    baselines: bool = typer.Option(False, help="Also train one single-task model per task, for comparison."),
    ratio: int = RATIO,
    stages: int = STAGES,
    lr: float = LR,
    target: Optional[str] = BUILD_TARGET,
    data: Optional[str] = cli_data.DATA,
):
    """MTL-Split: a shared head and tails for "defect" (present?) and "size" (none/small/large), trained jointly."""
    from .split.mtl import TASKS, MTLOptions, load_task_data, train_mtl

    options = MTLOptions(cut=cut, model=model, out=str(out), ratio=ratio, stages=stages, epochs=epochs, lr=lr,
                         hidden=hidden, single_task_baselines=baselines)
    source = _torch_source(model, data)
    with progress_bars() as progress:
        task = progress.add_task("dataset", total=None)
        data, median = load_task_data(source)
        progress.update(task, description="training", total=epochs * (1 + baselines * len(TASKS)), completed=0)
        directory, summary = train_mtl(options, data, median, lambda: progress.advance(task))
    console.print(f"shared head sends {summary['code_shape']} int8 = {summary['payload_int8_bytes']:,} B; "
                  f"size classes split at {median:.0f} defect pixels")
    for run, metrics in summary["metrics"].items():
        console.print(f"  {run}: " + "  ".join(f"{t} accuracy {m['accuracy']:.4f}" for t, m in metrics.items()))
    console.print(f"head: {directory / 'head.pt'}  tails: {directory / 'tail.onnx'} (outputs {list(TASKS)})")
    if target:
        _build_head(directory, target)
