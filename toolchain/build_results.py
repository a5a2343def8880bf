"""What `validate` and `run` leave beside a build (never over its report), and `tinyctl report BUILD`, which
re-renders the build's report.html with links to those results."""

from __future__ import annotations

from pathlib import Path

from .report import render_html
from .validate_build import VALIDATE_DIR, read_report

BOARD_RUN_FILE = "board_run.json"    # `tinyctl run`'s on-device result


def results_beside(build_dir: Path) -> dict[str, str]:
    """{what: path relative to the build} for each result present."""
    candidates = {"re-validation (tinyctl validate)": f"{VALIDATE_DIR}/report.html",
                  "on-device run (tinyctl run)": BOARD_RUN_FILE}
    return {label: path for label, path in candidates.items() if (Path(build_dir) / path).is_file()}


def rerender_report(build_dir: Path) -> Path:
    """Render the build's report.html again from its report.json, linking the results found beside it."""
    page = Path(build_dir) / "report.html"
    page.write_text(render_html(read_report(build_dir), results_beside(build_dir)))
    return page
