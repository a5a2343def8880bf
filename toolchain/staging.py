"""Build into a hidden sibling directory and rename it into place only when every stage passed."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path


def failed_logs_dir(final: Path) -> Path:
    """Where a failed build's logs survive (the half-built directory itself is removed)."""
    return final.with_name(final.name + ".failed-logs")


@contextlib.contextmanager
def staged_directory(final: Path):
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    shutil.rmtree(failed_logs_dir(final), ignore_errors=True)
    try:
        yield work
    except BaseException:
        if (work / "logs").is_dir() and any((work / "logs").iterdir()):
            shutil.move(str(work / "logs"), failed_logs_dir(final))
        shutil.rmtree(work, ignore_errors=True)
        raise
    previous = final.with_name(f".{final.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if final.exists():
        final.rename(previous)
    work.rename(final)
    shutil.rmtree(previous, ignore_errors=True)
