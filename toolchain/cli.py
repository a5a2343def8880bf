"""The `tinyctl` command line: thin verbs over the public functions, one clear line on failure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from typer.exceptions import TyperException
from rich.markup import escape
from rich.table import Column, Table

from tinyctl.models.errors import ModelsError

from . import cli_checks, cli_compress, cli_data, cli_help, cli_inspect, cli_train  # noqa: F401 (cli_help: flags' help without <bool>)
from .cli_board import flash, run
from .cli_split import app as split_app
from .console import console, err_console, print_build_summary, progress_bars

app = typer.Typer(help="tinyctl: take a trained defect detector to a microcontroller, int8 and validated.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(split_app, name="split")


@app.command()
def targets():
    """List the boards tinyctl can build for (one TOML file each in targets/)."""
    from .board_views import board_row, console_note
    from .targets import all_boards

    rows = [("board", "alias", "part", "core", "MHz", "flash", "RAM", "QEMU runs", "flash tools")]
    rows += [board_row(b) for b in all_boards()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        console.print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), highlight=False,
                      soft_wrap=True)
    for note in filter(None, map(console_note, all_boards())):
        console.print(note, highlight=False, soft_wrap=True)


@app.command()
def build(
    target: str = typer.Option("stm32", "--target", "-t", callback=cli_checks.board,
                               help="Board name, family alias or board .toml file (see `tinyctl targets`)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", callback=cli_checks.not_a_directory,
                                        help="A tinyctl checkpoint (.pt), float ONNX or Keras (.keras), or fully-int8 TFLite file; "
                                             "default: the shipped surface-defect detector."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Build directory (default build/<model>-<board>)."),
    calibration_samples: int = typer.Option(200, min=1, help="Training images used to calibrate int8 ranges."),
    seed: int = typer.Option(0, min=0, help="Seed for drawing the calibration images."),
    prune: Optional[float] = typer.Option(None, callback=cli_checks.finite, help=cli_compress.PRUNE_HELP),
    prune_target: Optional[str] = typer.Option(None, help=cli_compress.TARGET_HELP),
    max_drop: Optional[float] = typer.Option(None, callback=cli_checks.finite, help=cli_compress.MAX_DROP_HELP),
    fine_tune_epochs: int = typer.Option(cli_compress.FINE_TUNE_EPOCHS, min=0, help=cli_compress.FINE_TUNE_HELP),
    prune_steps: int = typer.Option(cli_compress.PRUNE_STEPS, min=1, help=cli_compress.STEPS_HELP),
    qat_epochs: int = typer.Option(0, min=0, help=cli_compress.QAT_HELP),
    calibration: str = typer.Option("minmax", help="Activation ranges: minmax or percentile."),
    percentile: float = typer.Option(99.99, callback=cli_checks.percentile,
                                     help="Central percentile of each activation kept by --calibration percentile."),
    bias_correction: bool = typer.Option(False, help="Fold each layer's mean int8 weight-rounding error into its bias."),
    data: Optional[str] = cli_data.DATA,
    test_data: Optional[str] = cli_data.TEST_DATA,
    task: Optional[str] = cli_data.TASK,
    synthetic_data: bool = typer.Option(False, "--synthetic-data", help="The same as --data synthetic."),
    optimize: str = typer.Option("balanced", help="Engine weights: speed (int16 pre-widened weights wherever a "
                                 "DSP kernel reads them: fewer instructions, more flash), size (int8 everywhere) or "
                                 "balanced (int16 on the layers that save the most instructions per flash byte, "
                                 "while the firmware fits the board's flash)."),
):
    """Build a model for a board: int8 ONNX and TFLite, TFLite-Micro sources, memory fit, validation.

    Writes build/<model>-<board>/ (or --out) only when every stage passed."""
    from .pipeline import BuildOptions, build as run_build

    compression = cli_compress.compression_options(
        prune=prune, prune_target=prune_target, max_drop=max_drop, fine_tune_epochs=fine_tune_epochs,
        prune_steps=prune_steps, qat_epochs=qat_epochs, calibration=calibration, percentile=percentile,
        bias_correction=bias_correction)
    options = BuildOptions(target=target, model=model, out=out, calibration_samples=calibration_samples, seed=seed,
                           compression=compression, synthetic_data=synthetic_data, data=data,
                           test_data=test_data, task=task, optimize=optimize)
    with progress_bars() as progress:
        directory, report = run_build(options, progress)
    print_build_summary(directory, report)
    cli_compress.print_record(console, report["compression"])


@app.command()
def validate(
    build_dir: Path = typer.Argument(..., help="A directory written by `tinyctl build`."),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Directory for the new report.json and report.html (default BUILD_DIR/validate)."),
    data: Optional[str] = cli_data.DATA,
    test_data: Optional[str] = cli_data.TEST_DATA,
    task: Optional[str] = cli_data.TASK,
):
    """Re-run the validation of a build: metrics in every runtime, int8 agreement, drop and threshold drift.

    The build's own report stays as `tinyctl build` wrote it. Without data options it uses the build's data."""
    from .validate_build import validate_build

    with progress_bars() as progress:
        report, written = validate_build(build_dir, progress, out, data, test_data, task)
    print_build_summary(written, report)


@app.command("report")
def report_verb(build_dir: Path = typer.Argument(..., help="A directory written by `tinyctl build`.")):
    """Render a build's report.html again, linking the validate and run results found beside it."""
    from .build_results import rerender_report

    console.print(f"report: {rerender_report(build_dir)}")


app.command()(cli_inspect.inspect)
app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
            add_help_option=False)(cli_train.train)
app.command()(cli_compress.prune)


@app.command()
def doctor():
    """Check the external tools and Python packages tinyctl uses, with the command that installs each.

    Exits 1 when a tool every build needs is missing (a missing flash tool only matters to `tinyctl flash`)."""
    from .tools import TOOLS, find_tool, tool_versions

    table = Table(*(Column(name, overflow="fold") for name in ("tool", "status", "used for")))
    missing = {}
    for name, tool in TOOLS.items():
        path = find_tool(name)
        if path is None:
            missing[name] = tool
        status = path or ("[red]missing[/]" if tool.required else "[yellow]missing (optional)[/]")
        table.add_row(name, status, tool.used_for)
    for package, version in tool_versions().items():
        table.add_row(package, version if version != "missing" else "[red]missing[/]", "Python package")
    console.print(table)
    for name, tool in missing.items():   # whole lines, so each command can be copied as it stands
        console.print(f"install {name}: {tool.install}", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if any(tool.required for tool in missing.values()) else 0)


app.command()(flash)
app.command()(run)


def main(argv: list[str] | None = None) -> int:
    """Entry point: every TinyctlError (or the training stack's ModelsError) becomes one line on stderr and exit
    status 2."""
    try:
        code = app(args=argv, prog_name="tinyctl", standalone_mode=False)
    except ModelsError as exc:  # TinyctlError included: it extends ModelsError
        err_console.print(f"[red]error:[/] {escape(exc.message)}" + (f"\n  hint: {escape(exc.hint)}" if exc.hint else ""),
                          highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        return 130
    except TyperException as exc:  # usage errors come through here in non-standalone mode
        if hasattr(exc, "show"):
            exc.show()
        else:
            err_console.print(f"[red]error:[/] {exc.message}", highlight=False)
        return exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
