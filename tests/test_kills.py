"""kill -9 at three moments of a real build (calibration/export, the onnx2tf conversion, the firmware
build and self-test): the converter dies with the build, and each rerun to the same --out removes the
half-built folder and temporary folders the kills left, with no process of theirs still running. The
builds (of a tiny detector, for speed) are for a custom board file, which flash, validate and run then
read from the build."""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from board_files import small_stm32
from split_support import tiny_checkpoint
from tinyctl.cli import main

TINYCTL = str(Path(sys.executable).with_name("tinyctl"))
CONVERTER = "tinyctl.stages.onnx2tf_worker"
TEMP = Path(tempfile.gettempdir())


def _partials(out: Path) -> list[Path]:
    return list(out.parent.glob(f".{out.name}.*.partial"))


def _converting(build: psutil.Process) -> bool:
    return CONVERTER in " ".join(_processes(build).values())


def _processes(build: psutil.Process) -> dict[psutil.Process, str]:
    """The build and everything it started, with their command lines."""
    found = {}
    for process in [build, *build.children(recursive=True)]:
        try:
            found[process] = " ".join(process.cmdline())
        except psutil.NoSuchProcess:
            pass
    return found


# The moments, each told from the partial folder's contents or the build's processes.
MOMENTS = {
    "calibration/export": lambda out, build: bool(_partials(out)) and not _converting(build),
    "onnx2tf conversion": lambda out, build: _converting(build),
    "firmware build/self-test": lambda out, build: any((p / "firmware").is_dir() for p in _partials(out)),
}


def _kill_at(moment, command: list[str], out: Path) -> dict[psutil.Process, str]:
    """Start the build and kill -9 it at `moment`: the processes it had then."""
    build = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not moment(out, build):
            assert build.poll() is None and time.monotonic() < deadline, "the build ended before the moment"
            time.sleep(0.2)
        return _processes(build)
    finally:
        if build.poll() is None:
            build.kill()
        build.wait()


def _running(processes) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_kill_9_at_three_moments_then_one_rerun_leaves_nothing_behind(tmp_path, capsys):
    board = small_stm32(tmp_path, 131_072)
    board.write_text(board.read_text().replace('name = "nucleo-f446re"', 'name = "my-board"'))
    out = tmp_path / "b"
    command = ["build", "--model", str(tiny_checkpoint()), "--target", str(board), "--out", str(out)]
    killed, builds = {}, []
    for name, moment in MOMENTS.items():
        processes = _kill_at(moment, [TINYCTL, *command], out)
        build = next(iter(processes))
        if name == "onnx2tf conversion":
            assert list(TEMP.glob(f"tinyctl-onnx2tf-{build.pid}-*")), "the converter's folder is not there"
            converter = [p for p, cmd in processes.items() if CONVERTER in cmd]
            psutil.wait_procs(converter, timeout=10)
            assert _running(converter) == [], "the converter outlived the killed build"
        # This build, a rerun after the previous kill, removed the previous kill's partial folder.
        assert [p.name.split(".")[2] for p in _partials(out)] == [str(build.pid)] and not out.exists()
        killed.update(processes)
        builds.append(build)

    assert main(command) == 0
    assert _partials(out) == [] and (out / "report.json").is_file()
    left = [path for build in builds for path in TEMP.glob(f"tinyctl-*-{build.pid}-*")]
    assert left == [], f"temporary folders of killed builds remain: {left}"
    assert _running(killed) == [], f"processes of killed builds still run: {list(killed.values())}"

    capsys.readouterr()   # the custom board travels with the build: no "unknown board"
    assert main(["flash", str(out), "--dry-run"]) == 0
    assert main(["validate", str(out)]) == 0
    assert main(["run", str(out), "--emulate", "--limit", "2"]) == 0
    assert "my-board over QEMU netduinoplus2" in capsys.readouterr().out
