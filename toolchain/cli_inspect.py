"""`tinyctl inspect MODEL` (registered in cli.py): a .tflite, .onnx or tinyctl checkpoint per layer, with totals
and a board's estimated fit; a table that wraps at any width, or --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Column, Table

from . import cli_checks
from .console import console
from .errors import TinyctlError

_OP_WIDTH = len("DEPTHWISE_CONV_2D")   # the longest common op name stays on one line
_FORMATS = {".tflite": "tflite", ".onnx": "onnx", ".pt": "checkpoint", ".pth": "checkpoint"}


def inspect(
    model: Path = typer.Argument(..., callback=cli_checks.existing_file, help="A .tflite (e.g. a build's model_int8.tflite), .onnx or tinyctl .pt file."),
    target: Optional[str] = typer.Option(None, "--target", "-t",
                                         help="Board name, family alias or board .toml file: add the estimated fit."),
    as_json: bool = typer.Option(False, "--json", help="Print the inspection as JSON instead of tables."),
):
    """Per layer: op, shapes, MACs, parameters, weights, activations, engine and TFLite-Micro support; fit with -t.

    Totals follow the table; --json prints the same figures as JSON."""
    result = inspect_file(model, target)
    if as_json:
        console.print_json(json.dumps(result))
        return
    console.print(_layer_table(result))
    _print_totals(result)


def inspect_file(model: Path, target: str | None = None) -> dict:
    from .targets import resolve_board

    kind = _FORMATS.get(model.suffix.lower())
    if not model.is_file() or kind is None:
        raise TinyctlError(f"{model} is not a .tflite, .onnx or .pt file" if model.is_file() else f"{model} does not exist",
                           "pass a TFLite, ONNX or tinyctl checkpoint (.pt) file")
    board = resolve_board(target) if target else None
    if kind == "tflite":
        from .inspect_tflite import inspect_tflite

        return inspect_tflite(model.read_bytes(), board)
    from .inspect_onnx import inspect_checkpoint, inspect_onnx

    return inspect_onnx(model, board) if kind == "onnx" else inspect_checkpoint(model, board)


def _support(ok: bool, reason: str | None = None) -> str:
    return "yes" if ok else f"[red]no[/]{f' ({escape(reason)})' if reason else ''}"


def _layer_table(result: dict) -> Table:
    """One row per layer: the long texts (op, layer name, shapes) share a column that folds; numbers never do."""
    numbers = [Column(name, justify="right", no_wrap=True) for name in ("MACs", "params", "weight\nbytes", "act.\nbytes")]
    table = Table(Column("#", justify="right", no_wrap=True), Column("op, layer, in -> out shape", overflow="fold", min_width=_OP_WIDTH),
                  *numbers, Column("engine/\nTFLM", overflow="fold"))
    for layer in result["layers"]:
        shapes = ", ".join("x".join(map(str, s)) for s in layer["inputs"]) + " -> " + "x".join(map(str, layer["output"]))
        table.add_row(str(layer["index"]), f"[bold]{escape(layer['op'])}[/] {escape(layer['layer'])}\n{shapes}",
                      *(f"{layer[key]:,}" for key in ("macs", "params", "weight_bytes", "activation_bytes")),
                      f"{_support(layer['engine'], layer['engine_reason'])}/{_support(layer['tflm'])}")
    return table


def _print_totals(result: dict) -> None:
    t = result["totals"]
    console.print(f"figures {result['method']}", highlight=False)
    console.print(f"total: {t['macs']:,} MACs, {t['params']:,} parameters, {t['weight_bytes']:,} weight bytes, "
                  f"model file {t['model_bytes']:,} B", highlight=False)
    if t.get("engine_arena_bytes") is not None:
        console.print(f"tinyctl engine arena (planned): {t['engine_arena_bytes']:,} B", highlight=False)
    console.print(f"runs on the tinyctl engine: {_support(result['engine_supported'])}; "
                  f"on TFLite-Micro: {_support(result['tflm_supported'])}", highlight=False)
    for name, fit in result.get("fit", {}).items():
        if name != "board":
            console.print(_fit_line(result["fit"]["board"], name, fit), highlight=False)


_FIT_LABELS = {"engine": "tinyctl engine (planned arena)", "tflm": "TFLite-Micro (measured arena)",
               "int8_estimate": "int8 build (arena: largest op's tensors, a lower bound)"}


def _fit_line(board: str, name: str, fit: dict) -> str:
    verdict = "[green]fits[/]" if fit["fits"] else "[red]does not fit[/]"
    return (f"{board}, {_FIT_LABELS[name]}: RAM {fit['ram_needed_bytes']:,} of {fit['ram_size_bytes']:,} B, "
            f"flash {fit['flash_needed_bytes']:,} of {fit['flash_size_bytes']:,} B "
            f"(runtime {fit['runtime_flash_estimate_bytes']:,} B estimated): {verdict}")
