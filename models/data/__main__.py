"""`python -m tinyctl.models.data`: check that a folder reads as a dataset layout, split by split."""

from pathlib import Path

import typer

from ..errors import ModelsError
from . import LAYOUTS, SPLITS, list_split


def summary(
    layout: str = typer.Option(..., help=f"one of {', '.join(LAYOUTS[1:])}"),
    root: Path = typer.Option(..., help="the dataset folder"),
    category: str = typer.Option(None, help="category folder (MVTec AD, VisA, folder)"),
    seed: int = typer.Option(0, help="seed of the validation carve-out"),
) -> None:
    """Count the images, defective images and masks of each split, without loading the images."""
    try:
        for split in SPLITS:
            items = list_split(layout, split, root=root, category=category, seed=seed)
            defects = sum(label for _, label, _ in items)
            masks = sum(mask is not None and label == 1 for _, label, mask in items)
            typer.echo(f"{split:5s} {len(items):6d} images, {defects:6d} defective, {masks:6d} with masks")
    except ModelsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    typer.run(summary)
