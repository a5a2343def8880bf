"""The board verbs: `tinyctl flash` and `tinyctl run` (registered in cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import cli_checks, cli_data
from .console import console, err_console, progress_bars


def flash(
    build_dir: Path = typer.Argument(..., help="A directory written by `tinyctl build`."),
    tool: Optional[str] = typer.Option(None, help="openocd, st-flash, pyocd, picotool or mass-storage (default: the board file's)."),
    drive: Optional[Path] = typer.Option(None, help="The ST-LINK's USB drive, for --tool mass-storage."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the exact command and do nothing."),
):
    """Write a build's firmware to its board with the flash tool named in the board file."""
    from .flash import flash as flash_firmware
    from .runner.emulate import build_board

    plan = flash_firmware(build_board(build_dir), build_dir, tool, drive, dry_run)
    console.print(" ".join(_quoted(arg) for arg in plan.command), highlight=False, soft_wrap=True)
    if not dry_run:
        console.print(f"flashed with {plan.tool}")


def _quoted(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


def run(
    build_dir: Path = typer.Argument(..., help="A directory written by `tinyctl build`."),
    port: Optional[str] = typer.Option(None, help="The board's serial port: any pyserial URL "
                                                  "(/dev/ttyACM0, socket://HOST:PORT, rfc2217://...)."),
    emulate: bool = typer.Option(False, "--emulate", help="Run the firmware under QEMU on the board's stand-in, "
                                                         "its UART on a loopback socket."),
    limit: Optional[int] = typer.Option(None, min=1, help="Only the first N test images."),
    timeout: float = typer.Option(2.0, callback=cli_checks.positive,
                                  help="Seconds to wait for a reply before sending a request again."),
    infer_timeout: float = typer.Option(30.0, callback=cli_checks.positive, help="Seconds to wait for one inference."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="JSON file for the result (default BUILD_DIR/board_run.json)."),
    data: Optional[str] = cli_data.DATA,
    test_data: Optional[str] = cli_data.TEST_DATA,
):
    """Stream the build's test split (or --test-data) through the board: on-device metrics, latency, agreement with TFLite-Micro.

    The runner protocol carries each input and its int8 output; --emulate runs the firmware under QEMU."""
    from .runner.board_run import RunOptions, run_on_board

    options = RunOptions(port=port, emulate=emulate, limit=limit, timeout_s=timeout, infer_timeout_s=infer_timeout,
                         out=out, data=data, test_data=test_data)
    with progress_bars() as progress:
        result = run_on_board(build_dir, options, progress)
    _print_run(result)
    if not result["agreement_vs_tflm"]["bit_exact"]:
        raise typer.Exit(1)


def _print_clock(clock: dict) -> None:
    """The clock the milliseconds use and where it comes from; a warning when it is not the build's plan."""
    at = f"{clock['clock_hz'] / 1e6:g} MHz, " if clock["clock_hz"] else ""
    console.print(f"clock: {at}{clock['source']}", highlight=False, soft_wrap=True)
    if clock["warning"]:
        console.print(f"[yellow]warning:[/] {clock['warning']}", highlight=False, soft_wrap=True)


def _print_run(result: dict) -> None:
    a, lat, stats = result["agreement_vs_tflm"], result["latency"], result["link_stats"]
    console.print(f"[bold]{result['board']}[/] over {result['link']}: {result['samples']} test images")
    verdict = "[green]bit-exact[/]" if a["bit_exact"] else f"[red]{a['mismatched']} differ[/] (max {a['max_abs_diff_lsb']} LSB)"
    console.print(f"vs TFLite-Micro on the host: {a['elements']} elements, {verdict}")
    if result["metrics"] and "top1" in result["metrics"]:
        console.print(f"on-device top-1: {result['metrics']['top1']:.4f}")
    elif result["metrics"]:
        m = result["metrics"]
        console.print(f"on-device metrics: AUROC {m['auroc']:.4f}, AP {m['ap']:.4f}, F1-max {m['f1_max']:.4f}, "
                      f"accuracy {m['accuracy']:.4f} (threshold {m['threshold']:.3f})")
    if lat.get("cycles_per_inference"):
        ms = lat["ms_at_board_clock"]
        console.print(f"latency: {lat['cycles_per_inference']:,.0f} cycles per inference"
                      + (f" = {ms:.2f} ms at {lat['clock_hz'] / 1e6:g} MHz" if ms else ""))
    elif "instructions_per_inference" in lat:
        console.print(f"latency: no cycle counter under QEMU; {lat['instructions_per_inference']:,.0f} instructions "
                      "per inference (instructions, not cycles)")
    if "estimated_cycles_per_inference" in lat:
        console.print(f"estimated: {lat['estimated_cycles_per_inference']:,} cycles per inference"
                      + (f" = {lat['estimated_ms_at_board_clock']:.2f} ms at {lat['clock']['clock_hz'] / 1e6:g} MHz"
                         if lat["estimated_ms_at_board_clock"] else "")
                      + f" (estimate: {lat['cycle_model']['source']}; {lat['cycle_model']['flash_wait_states']} flash wait states)",
                      highlight=False, soft_wrap=True)
    _print_clock(lat["clock"])
    console.print(f"link: {stats['retries']} retries, {stats['bad_frames']} bad frames, {stats['restarts']} board "
                  f"restarts, {stats['rejected_results']} results rejected and redone")
    console.print(f"written: {result['written']}")

