"""`tinyctl train` (registered in cli.py): forwards its arguments to the training stack's argparse entry
(models/training/cli.py, which must not import tinyctl and also serves torchrun), and shows that parser's options
as a typer help page, so `train --help` looks like every other verb's."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import List, Optional

import typer

_HELP_FLAGS = {"-h", "--help"}


def train(ctx: typer.Context):
    """Train a zoo detector on the synthetic set or a dataset folder (`tinyctl train --help` lists its options)."""
    if _HELP_FLAGS & set(ctx.args):
        _print_help()
        return
    from tinyctl.models.train import main as train_main

    try:
        code = train_main(list(ctx.args))
    except SystemExit as exc:  # argparse ends usage errors this way (status 2, its own message on stderr)
        code = exc.code if isinstance(exc.code, int) else 0
    raise typer.Exit(code)


def _print_help() -> None:
    """Typer's help page for a stand-in command whose options are the trainer parser's."""
    from tinyctl.models.training.cli import build_parser   # imports torch: only when help is asked for

    parser = build_parser()
    actions = [action for action in parser._actions if not isinstance(action, argparse._HelpAction)]

    def stand_in():
        pass

    stand_in.__doc__ = parser.description
    stand_in.__signature__ = inspect.Signature([_parameter(action) for action in actions])
    page = typer.Typer(add_completion=False)
    page.command()(stand_in)
    typer.main.get_command(page).main(["--help"], prog_name="tinyctl train", standalone_mode=False)


def _parameter(action: argparse.Action) -> inspect.Parameter:
    text = action.help or ""
    help_text = text[:1].upper() + text[1:].rstrip(".") + "."   # typer's style: a sentence
    if isinstance(action, argparse._StoreTrueAction):   # argparse names its action kinds only privately
        annotation, default = bool, typer.Option(False, *action.option_strings, help=help_text)
    else:
        annotation = Optional[List[str]] if isinstance(action, argparse._AppendAction) else Optional[str]
        default = typer.Option(None, *action.option_strings, metavar=_type_label(action), help=help_text)
    return inspect.Parameter(action.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _type_label(action: argparse.Action) -> str:
    """What typer prints for an option's type, e.g. <int> or <cpu|cuda>."""
    if action.choices:
        return "<" + "|".join(str(choice) for choice in action.choices) + ">"
    if action.metavar:
        return f"<{action.metavar}>"
    kind = action.type or str
    return "<path>" if kind is Path else f"<{kind.__name__}>"
