"""The data options every verb that touches data shares (`--data`, `--test-data`, `--task`), defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .data_spec import DATA_HELP, TEST_DATA_HELP, parse_data_spec
from .task_metrics import TASKS

TASK_HELP = (f"The metrics to report: {', '.join(TASKS)} (default: guessed from the output: one score = anomaly, "
             "output shaped as the input = reconstruction, N outputs = classification).")


def _spec(flag: str):
    """A callback that parses the spec at once, so a wrong path fails before any work starts."""
    def check(value: Optional[str]) -> Optional[str]:
        if value is not None:
            parse_data_spec(value, flag)
        return value
    return check


def _task(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in TASKS:
        raise typer.BadParameter(f"use one of {', '.join(TASKS)}")
    return value


DATA = typer.Option(None, "--data", metavar="SPEC", callback=_spec("--data"), help=DATA_HELP)
TEST_DATA = typer.Option(None, "--test-data", metavar="SPEC", callback=_spec("--test-data"), help=TEST_DATA_HELP)
TASK = typer.Option(None, "--task", callback=_task, help=TASK_HELP)


def load_with_data(model: Optional[str | Path], data: Optional[str], test_data: Optional[str] = None,
                   task: Optional[str] = None):
    """The model source of a verb's --model and data options."""
    from .model_source import load_source

    return load_source(Path(model) if model else None, data=parse_data_spec(data) if data else None,
                       test_data=parse_data_spec(test_data, "--test-data") if test_data else None, task=task)
