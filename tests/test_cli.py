import shutil
import subprocess
import sys
from pathlib import Path

import typer

import tinyctl.models.train
from tinyctl import tools
from tinyctl.cli import main
from tinyctl.models.errors import ModelsError
from tinyctl.targets import all_boards

REPO = Path(__file__).resolve().parents[1]


def test_targets_command_lists_every_board(capsys):
    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    for name in (b.name for b in all_boards()):
        assert name in out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "silicon image (netduinoplus2)" in rows["nucleo-f446re"] and " 180 " in rows["nucleo-f446re"]
    assert "stand-in (mps2-an500)" in rows["nucleo-h743zi"] and " 400 " in rows["nucleo-h743zi"]
    assert rows["nucleo-h743zi"].rstrip().endswith("openocd, st-flash, pyocd, mass-storage")   # its default first
    assert "cortex-m7" in rows["disco-f746ng"] and "1M" in rows["disco-f746ng"] and "320K" in rows["disco-f746ng"]
    assert " 133 " in rows["rpi-pico"] and "stand-in (microbit)" in rows["rpi-pico"]
    assert rows["rpi-pico"].rstrip().endswith("picotool, mass-storage")
    assert "console of rpi-pico: UART0 on GP0 (TX) / GP1 (RX) at 115200" in out   # no USB serial: where to listen


def test_train_verb_forwards_to_the_trainer(capsys):
    assert main(["train", "--help"]) == 0
    assert "--epochs" in capsys.readouterr().out
    assert main(["train", "--epochs", "zero"]) == 2
    assert "invalid int value" in capsys.readouterr().err


def test_help_lists_every_verb(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for verb in ("build", "validate", "targets", "inspect", "train", "doctor"):
        assert verb in out


def test_a_training_stack_error_is_one_line_and_exit_status_2(capsys, monkeypatch):
    def fail(argv):
        raise ModelsError("the mvtec train split of /data has no images", "check the folder holds image files")

    monkeypatch.setattr(tinyctl.models.train, "main", fail)
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert err == "error: the mvtec train split of /data has no images\n  hint: check the folder holds image files\n"


def _verb_paths(command, path=()):
    """Every verb's argv prefix, `split ...` sub-verbs included."""
    subcommands = getattr(command, "commands", {})
    if not subcommands:
        return [list(path)]
    return [found for name, sub in subcommands.items() for found in _verb_paths(sub, (*path, name))]


def test_every_verb_help_is_one_style_with_no_bool_on_flags(capsys, monkeypatch):
    from tinyctl.cli import app

    monkeypatch.setenv("COLUMNS", "120")   # typer cuts long option names at narrower widths (CI has no terminal)

    verbs = _verb_paths(typer.main.get_command(app))
    assert ["train"] in verbs and ["split", "rank"] in verbs
    for verb in verbs:
        assert main([*verb, "--help"]) == 0, verb
        out = capsys.readouterr().out
        assert f"Usage: tinyctl {' '.join(verb)} [OPTIONS]" in out and "─ Options ─" in out, verb
        assert "<bool>" not in out and "--help " in out, verb
    main(["build", "--help"])
    out = capsys.readouterr().out
    assert "--bias-correction" in out and "--no-bias-correct" in out   # a boolean option: both spellings, no type


def test_build_help_and_an_unknown_optimize_mode(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    main(["build", "--help"])
    assert "--optimize" in capsys.readouterr().out
    assert main(["build", "--optimize", "fast"]) == 2
    err = capsys.readouterr().err
    assert "unknown --optimize mode 'fast'" in err and "balanced, speed, size" in err and "Traceback" not in err


def test_train_help_shows_the_trainers_own_options(capsys):
    from tinyctl.models.training.cli import build_parser

    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    for action in build_parser()._actions:
        assert action.option_strings[-1] in out
    assert "<cpu|cuda>" not in out and "<auto|cpu|cuda>" in out and "<int>" in out


def test_doctor_checks_every_tool_with_its_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tools, "search_path", lambda: str(tmp_path))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    for name in ("gcc", "make", "arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "arm-none-eabi-objcopy",
                 "qemu-system-arm", "openocd", "st-flash", "pyocd", "picotool", "chromium"):
        assert f"install {name}: {tools.TOOLS[name].install}\n" in out, name
    assert "stlink-tools" in out and "missing (optional)" in out
    assert "github.com/raspberrypi/picotool" in out and "libusb-1.0-0-dev" in out   # Debian 12 has no package


def test_doctor_passes_without_the_optional_flash_tools(tmp_path, capsys, monkeypatch):
    for name, tool in tools.TOOLS.items():
        if tool.required:
            (tmp_path / name).write_text("#!/bin/sh\n")
            (tmp_path / name).chmod(0o755)
    monkeypatch.setattr(tools, "search_path", lambda: str(tmp_path))
    assert main(["doctor"]) == 0
    assert "missing (optional)" in capsys.readouterr().out


def test_make_stops_at_once_on_another_python(tmp_path):
    shutil.copy(REPO / "Makefile", tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    fake = tmp_path / "python3.12"
    fake.write_text("#!/bin/sh\necho 'Python 3.12.1'\n")
    fake.chmod(0o755)
    for goal in ("run", "test"):
        result = subprocess.run(["make", "-C", str(tmp_path), goal, f"PYTHON={fake}"], capture_output=True, text=True,
                                timeout=30)
        assert result.returncode != 0 and "apt-get" not in result.stdout + result.stderr and "pip" not in result.stdout
        assert "Python 3.12.1" in result.stderr and "converter" in result.stderr
        assert f"PYTHON=python3.11 make {goal}" in result.stderr
    ok = subprocess.run(["make", "-C", str(tmp_path), "python-check", f"PYTHON={sys.executable}"], capture_output=True,
                        text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
