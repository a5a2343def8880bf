"""`tinyctl split ...`: rank split points, partition a model, simulate the link, serve the tail."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .errors import TinyctlError

app = typer.Typer(help="Split computing: a head on the MCU, a tail on a server.", no_args_is_help=True)

MODEL_HELP = "A tinyctl checkpoint (.pt); default: the shipped detector."


def _ui():
    from .cli import _progress, console   # cli.py imports this module, so import it late

    return _progress, console


def _torch_source(model: Optional[str]):
    from .stages.source import load_source

    source = load_source(Path(model) if model else None)
    if source.torch_model is None:
        raise TinyctlError(f"{source.path.name} is not a torch checkpoint",
                           "split analysis needs gradients and layers: pass a tinyctl .pt checkpoint")
    return source


def _split_data(source, split: str, samples: int):
    from .stages.data import labelled_split

    if samples < 1:
        raise TinyctlError("--samples must be at least 1", "use 400 for the whole validation split")
    try:
        images, labels = labelled_split(source, split)
    except ValueError as exc:
        raise TinyctlError(str(exc), "use --split train, val or test") from exc
    return images[:samples], labels[:samples]


@app.command()
def rank(
    model: Optional[str] = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    out: Path = typer.Option(Path("build/split-rank"), "--out", "-o", help="Report directory."),
    split: str = typer.Option("val", help="Dataset split to analyse."),
    samples: int = typer.Option(400, help="Images of the split to use."),
    target: str = typer.Option("predicted", help="Grad-CAM target: 'predicted' class or ground 'truth'."),
    batch_size: int = typer.Option(64, help="Images per backward pass."),
):
    """I-SPLIT: Grad-CAM at every cut point, the CUI curve and its local maxima as ranked split candidates."""
    from .split.gradcam import TARGETS
    from .split.isplit import rank_splits
    from .split.rank_report import write_rank_report

    if target not in TARGETS:
        raise TinyctlError(f"unknown --target {target!r}", f"use one of {', '.join(TARGETS)}")
    progress_bar, console = _ui()
    source = _torch_source(model)
    with progress_bar() as progress:
        task = progress.add_task("dataset", total=None)
        images, labels = _split_data(source, split, samples)
        progress.update(task, description="Grad-CAM", total=len(images), completed=0)
        result = rank_splits(source.torch_model, images, labels, target, batch_size,
                             lambda n: progress.advance(task, n))
    html = write_rank_report({**result, "model": str(source.path), "split": split}, out)
    console.print(f"best split after layer {result['best']}; candidates (best first) {result['candidates']}; "
                  f"CDE candidates {result['cde']['candidates']}")
    console.print(f"report: {html}")
