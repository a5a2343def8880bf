"""`tinyctl validate BUILD_DIR`: re-run the validation of an earlier build; the result goes beside the build
(BUILD_DIR/validate/ or --out), so the build stays as `tinyctl build` wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from .data_spec import parse_data_spec
from .errors import TinyctlError
from .model_source import ModelSource, load_source, with_data
from .report import render_html, write_json
from .targets import board_of_build
from .validate import evaluate

VALIDATE_DIR = "validate"   # where a re-validation writes its report.json and report.html
SOURCE_COPY = {"checkpoint": "model.pt", "onnx": "model.onnx", "tflite": "model_int8.tflite", "keras": "model.keras"}


def read_report(build_dir: Path) -> dict:
    """report.json of a build, or an error that says the directory is not a finished build."""
    return _read_json(Path(build_dir) / "report.json")


def read_build(build_dir: Path) -> tuple[dict, ModelSource]:
    """(report.json, the model source the build was made from)."""
    build_dir = Path(build_dir)
    report = read_report(build_dir)
    try:
        inputs = _read_json(build_dir / "manifest.json")["inputs"]
        kind, calibration = inputs["model"]["kind"], inputs["calibration"]
        dataset = calibration["dataset"]
    except KeyError as exc:
        raise _incomplete(build_dir, exc) from exc
    data = calibration.get("data") or ("synthetic" if dataset is not None and kind != "checkpoint" else None)
    test_data = calibration.get("test_data")
    return report, load_source(build_dir / SOURCE_COPY[kind], data=parse_data_spec(data) if data else None,
                               test_data=parse_data_spec(test_data, "--test-data") if test_data else None,
                               task=calibration.get("task"))


def _incomplete(build_dir: Path, exc: Exception) -> TinyctlError:
    return TinyctlError(f"{build_dir} is not a complete tinyctl build directory ({exc})",
                        "run `tinyctl build` first and pass the directory it printed")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise _incomplete(path.parent, exc) from exc


def validate_build(build_dir: Path, progress=None, out: Path | None = None, data: str | None = None,
                   test_data: str | None = None, task: str | None = None) -> tuple[dict, Path]:
    """(the build's report with the fresh validation, the directory its report.json and report.html went to:
    `out`, default BUILD_DIR/validate). `data`, `test_data` and `task` replace the build's own choices."""
    build_dir = Path(build_dir)
    report, source = read_build(build_dir)
    if data or test_data or task:
        source = with_data(source, parse_data_spec(data) if data else None,
                           parse_data_spec(test_data, "--test-data") if test_data else source.test_data,
                           task or source.task)
    board = board_of_build(build_dir, report["board"]["name"])
    report["validation"] = evaluate(build_dir, source, report["memory"]["tflm"]["arena_bytes"], board, progress)
    out = Path(out) if out is not None else build_dir / VALIDATE_DIR
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "report.json", report)
    (out / "report.html").write_text(render_html(report))
    return report, out
