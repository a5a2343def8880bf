"""`tinyctl validate BUILD_DIR`: re-run the validation of an earlier build and refresh its report."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import TinyctlError
from .report import render_html, write_json
from .stages.source import load_source
from .targets import resolve_board
from .validate import evaluate

SOURCE_COPY = {"checkpoint": "model.pt", "onnx": "model.onnx", "tflite": "model_int8.tflite"}


def validate_build(build_dir: Path, progress=None) -> dict:
    build_dir = Path(build_dir)
    try:
        report = json.loads((build_dir / "report.json").read_text())
        kind = json.loads((build_dir / "manifest.json").read_text())["inputs"]["model"]["kind"]
    except (OSError, ValueError, KeyError) as exc:
        raise TinyctlError(f"{build_dir} is not a complete tinyctl build directory ({exc})",
                           "run `tinyctl build` first and pass the directory it printed") from exc
    source = load_source(build_dir / SOURCE_COPY[kind])
    board = resolve_board(report["board"]["name"])
    report["validation"] = evaluate(build_dir, source, report["memory"]["tflm"]["arena_bytes"], board, progress)
    write_json(build_dir / "report.json", report)
    (build_dir / "report.html").write_text(render_html(report))
    return report
