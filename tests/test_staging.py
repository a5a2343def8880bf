"""Staged builds: a rerun removes the half-built folders of killed builds (a live build's stays), and a
failure's hint names a folder that still exists."""

import ast
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

import tinyctl
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


def test_a_new_temporary_folder_removes_orphans_of_every_purpose(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    orphans = [tmp_path / f"tinyctl-{purpose}-{_dead_pid()}-k2x9_q7z" for purpose in ("arena", "qemu", "fit")]
    unowned = tmp_path / f"tinyctl-split-{_dead_pid()}"                  # not named by owned_temp_dir
    for folder in (*orphans, unowned):
        folder.mkdir()
    with owned_temp_dir("tinyctl-host-") as mine:
        assert sorted(tmp_path.iterdir()) == sorted([Path(mine), unowned])
    with pytest.raises(ValueError, match="never be removed"):
        owned_temp_dir("tinyctl_host")


def _temporary_folder_calls(source: Path) -> list[str]:
    """The `tempfile` calls that make a folder in `source`, as `file:line`."""
    calls = []
    for node in ast.walk(ast.parse(source.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("TemporaryDirectory", "mkdtemp")
                and getattr(node.func.value, "id", None) == "tempfile"):
            calls.append(f"{source.name}:{node.lineno}")
    return calls


def test_the_toolchain_makes_its_temporary_folders_with_owned_temp_dir_only():
    """A folder made otherwise would outlive a kill -9 of the build forever. (The staged build's own
    partial folder lives beside --out, not in the temporary directory.)"""
    toolchain = Path(tinyctl.__file__).parent
    calls = [call for source in sorted(toolchain.rglob("*.py")) for call in _temporary_folder_calls(source)]
    assert [call for call in calls if not call.startswith("staging.py:")] == []
    assert len(calls) == 2   # owned_temp_dir itself and staged_directory's partial folder
