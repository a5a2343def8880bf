"""Build into a hidden sibling directory and rename it into place only when every stage passed."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from .errors import TinyctlError


def failed_logs_dir(final: Path) -> Path:
    """Where a failed build's logs survive (the half-built directory itself is removed)."""
    return final.with_name(final.name + ".failed-logs")


@contextlib.contextmanager
def staged_directory(final: Path):
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(final)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".partial", dir=final.parent))
    shutil.rmtree(failed_logs_dir(final), ignore_errors=True)
    try:
        yield work
    except BaseException as exc:
        if (work / "logs").is_dir() and any((work / "logs").iterdir()):
            shutil.move(str(work / "logs"), failed_logs_dir(final))
        if isinstance(exc, TinyctlError):
            _keep_what_the_hint_names(exc, work, failed_logs_dir(final))
        shutil.rmtree(work, ignore_errors=True)
        raise
    previous = final.with_name(f".{final.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if final.exists():
        final.rename(previous)
    work.rename(final)
    shutil.rmtree(previous, ignore_errors=True)


# Every owned temporary folder, whatever its purpose: tinyctl-PURPOSE-PID-RANDOM.
OWNED_PREFIX = re.compile(r"tinyctl-[a-z0-9]+-")
_OWNED_FOLDER = re.compile(rf"{OWNED_PREFIX.pattern}(\d+)-[a-z0-9_]+")


def owned_temp_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A temporary directory `prefix`PID-RANDOM named after this process, so that a later build can tell
    one left by a killed build (whose process is gone) and remove it, which it does first for every
    purpose: a folder is not left waiting for the next use of its own prefix."""
    if not OWNED_PREFIX.fullmatch(prefix):
        raise ValueError(f"{prefix!r} is not tinyctl-PURPOSE-: orphans with it would never be removed")
    _remove_orphans(Path(tempfile.gettempdir()), _OWNED_FOLDER)
    return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-")


def _remove_stale_partials(final: Path) -> None:
    """Half-built directories of `final` left by killed builds (older ones have no process id: stale too)."""
    _remove_orphans(final.parent, re.compile(rf"\.{re.escape(final.name)}\.(?:(\d+)\.)?[a-z0-9_]+\.partial"))


def _remove_orphans(directory: Path, pattern: re.Pattern) -> None:
    """Remove the folders in `directory` that `pattern` matches, unless the process id it captures lives."""
    for path in directory.iterdir():
        match = pattern.fullmatch(path.name)
        if match and path.is_dir() and not (match[1] and _alive(int(match[1]))):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process
        return True
    return True


def _keep_what_the_hint_names(exc: TinyctlError, work: Path, kept: Path) -> None:
    """A hint may name a folder of the half-built directory (`make -C .../firmware`): keep that folder
    beside the logs and point the hint there, so it never names a deleted folder."""
    named = {Path(p) for p in re.findall(re.escape(str(work)) + r"/[^\s'\"`)]+", exc.hint)}
    for path in named:
        relative = path.relative_to(work)
        if relative.parts[0] != "logs" and path.exists() and not (kept / relative).exists():
            (kept / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), kept / relative)
    exc.hint = exc.hint.replace(str(work / "logs"), str(kept)).replace(str(work), str(kept))
