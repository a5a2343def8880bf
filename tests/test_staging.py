"""Staged builds: a rerun removes the half-built folders of killed builds (a live build's stays), and a
failure's hint names a folder that still exists."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tinyctl.errors import TinyctlError
from tinyctl.staging import failed_logs_dir, owned_temp_dir, staged_directory


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_rerun_removes_partial_folders_of_killed_builds_only(tmp_path):
    final = tmp_path / "b"
    dead = tmp_path / f".b.{_dead_pid()}.abcd1234.partial"
    older = tmp_path / ".b.k2x9_q7z.partial"                   # named before folders carried a process id
    live = tmp_path / f".b.{os.getppid()}.abcd1234.partial"    # another build of the same target, running
    other = tmp_path / f".b.c.{_dead_pid()}.abcd1234.partial"  # a killed build of another target, b.c
    for folder in (dead, older, live, other):
        (folder / "logs").mkdir(parents=True)
    with staged_directory(final) as work:
        assert sorted(p.name for p in tmp_path.glob(".b.*.partial")) == sorted([work.name, live.name, other.name])
        (work / "report.json").write_text("{}")
    assert (final / "report.json").is_file()


def test_a_failed_builds_hint_names_the_kept_project_not_the_deleted_one(tmp_path):
    final = tmp_path / "b"
    with pytest.raises(TinyctlError) as err:
        with staged_directory(final) as work:
            (work / "logs").mkdir()
            (work / "logs" / "make.log").write_text("error")
            (work / "firmware").mkdir()
            (work / "firmware" / "Makefile").write_text("all:\n")
            raise TinyctlError("the firmware build failed", f"reproduce it with: make -C {work / 'firmware'}")
    kept = failed_logs_dir(final)
    assert err.value.hint == f"reproduce it with: make -C {kept / 'firmware'}"
    assert (kept / "firmware" / "Makefile").is_file() and (kept / "make.log").is_file()
    assert not list(tmp_path.glob(".b.*.partial"))


def test_temporary_folders_of_dead_processes_are_removed_before_a_new_one(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    orphan = tmp_path / f"tinyctl-test-{_dead_pid()}-abcd1234"
    live = tmp_path / f"tinyctl-test-{os.getppid()}-abcd1234"
    orphan.mkdir(), live.mkdir()
    with owned_temp_dir("tinyctl-test-") as mine:
        assert Path(mine).name.startswith(f"tinyctl-test-{os.getpid()}-")
        assert sorted(tmp_path.iterdir()) == sorted([Path(mine), live])
