"""`tinyctl flash`: the exact command for every board file and every tool it configures, and the
clear errors for a missing tool, a missing probe or drive, and stand-in firmware."""

import stat

import pytest

from tinyctl.cli import main
from tinyctl.errors import TinyctlError
from tinyctl.firmware import stand_in_only
from tinyctl.flash import flash, flash_plan, usb_ids_present
from tinyctl.targets import all_boards, load_board, resolve_board

TOOL_KEYS = {"openocd": "openocd_target", "st-flash": "address", "pyocd": "pyocd_target", "mass-storage": "drive_label",
             "picotool": None}   # picotool needs no setting: the RP2040's boot ROM is one USB device


def _expected(board, tool, directory):
    ft = board.flash_tool
    elf, binary = str(directory / "firmware.elf"), str(directory / "firmware.bin")
    return {
        "openocd": ["openocd", "-f", ft.get("openocd_interface"), "-f", ft.get("openocd_target"), "-c",
                    f"program {elf} verify reset exit"],
        "st-flash": ["st-flash", "--reset", "write", binary, f"{ft.get('address', 0):#010x}"],
        "pyocd": ["pyocd", "flash", "--target", ft.get("pyocd_target"), elf],
        "picotool": ["picotool", "load", "-v", "-x", elf, "-t", "elf"],
    }[tool]


@pytest.mark.parametrize("board", [b for b in all_boards() if b.flash_tool["tool"] != "none"], ids=lambda b: b.name)
def test_dry_run_command_for_every_board_file_and_tool(board, default_build):
    directory = default_build[0].resolve()
    if stand_in_only(board):   # no silicon platform yet: the dry run refuses too, the plan says why
        with pytest.raises(TinyctlError, match="refusing to flash: this firmware is linked for the"):
            flash(board, directory, dry_run=True)
    default = flash_plan(board, directory)
    assert default.tool == board.flash_tool["tool"]
    tools = [tool for tool, key in TOOL_KEYS.items()
             if key in board.flash_tool or (key is None and tool == board.flash_tool["tool"])]
    assert board.flash_tool["tool"] in tools
    for tool in tools:
        plan = flash_plan(board, directory, tool=tool)
        if tool == "mass-storage":
            image = "firmware.uf2" if board.part == "RP2040" else "firmware.bin"   # the RP2040 boot ROM reads UF2
            assert plan.command[:2] == ["cp", str(directory / image)]
            assert plan.command[2].rstrip("/").endswith("/" + board.flash_tool["drive_label"])
        else:
            assert plan.command == _expected(board, tool, directory)
    assert (default.warning is None) == (not stand_in_only(board))


def test_the_host_board_has_nothing_to_flash(default_build):
    with pytest.raises(TinyctlError, match="nothing to flash"):
        flash_plan(resolve_board("host"), default_build[0])


def test_cli_dry_run_prints_the_command(default_build, capsys):
    directory = default_build[0]
    assert main(["flash", str(directory), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("openocd -f interface/stlink.cfg -f target/stm32f4x.cfg -c")
    assert f"program {directory.resolve() / 'firmware.elf'} verify reset exit" in out.replace("\n", "")


def test_a_missing_tool_names_the_install_command(default_build, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["flash", str(default_build[0]), "--tool", "st-flash"]) == 2
    assert "apt-get install -y --no-install-recommends stlink-tools" in capsys.readouterr().err


def test_a_missing_probe_is_a_clear_error(default_build, monkeypatch, tmp_path):
    tool = tmp_path / "openocd"   # installed, but nothing runs it: the probe check comes first
    tool.write_text("#!/bin/sh\nexit 1\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("tinyctl.flash.USB_DEVICES", tmp_path / "no-usb")
    with pytest.raises(TinyctlError, match=r"no debug probe for nucleo-f446re is connected \(USB id 0483:374b\)"):
        flash(resolve_board("stm32"), default_build[0])


def test_usb_ids_are_read_from_sysfs(tmp_path):
    device = tmp_path / "1-2"
    device.mkdir()
    (device / "idVendor").write_text("0483\n")
    (device / "idProduct").write_text("374b\n")
    assert usb_ids_present(["0483:374b", "0483:374e"], tmp_path) == ["0483:374b"]


def test_mass_storage_copies_the_binary_to_the_drive(default_build, tmp_path, capsys):
    directory = default_build[0]
    assert main(["flash", str(directory), "--tool", "mass-storage", "--drive", str(tmp_path)]) == 0
    assert (tmp_path / "firmware.bin").read_bytes() == (directory / "firmware.bin").read_bytes()
    with pytest.raises(TinyctlError, match="is not mounted"):
        flash(resolve_board("stm32"), directory, tool="mass-storage", drive=tmp_path / "absent")


def test_stand_in_firmware_is_not_flashed_onto_silicon(default_build, tmp_path, capsys):
    """A board whose platform is only the QEMU stand-in: flash refuses, a dry run too (exit 2, one line)."""
    stand_in = tmp_path / "stand-in.toml"
    stand_in.write_text(resolve_board("nucleo-h743zi").source.read_text().replace('platform = "stm32h7"',
                                                                                  'platform = "mps2"')
                        .replace("[console]\nuart = 3", "[console]\nuart = 0"))
    board = load_board(stand_in)
    with pytest.raises(TinyctlError, match="linked for the mps2 QEMU stand-in"):
        flash(board, default_build[0], tool="mass-storage", drive=default_build[0])
    with pytest.raises(TinyctlError, match="linked for the mps2 QEMU stand-in") as err:
        flash(board, default_build[0], dry_run=True)
    assert "docs/adding-a-board.md" in err.value.hint


def test_board_verbs_have_help(capsys):
    for verb in ("flash", "run"):
        assert main([verb, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--dry-run" in out and "--emulate" in out and "--port" in out


def test_the_pico_takes_its_uf2_on_the_rpi_rp2_drive(tmp_path):
    """The RP2040's boot ROM drive reads UF2: mass-storage copies firmware.uf2 there, and says when it is missing."""
    build_dir, drive = tmp_path / "build", tmp_path / "RPI-RP2"
    build_dir.mkdir()
    drive.mkdir()
    for name in ("firmware.elf", "firmware.bin"):
        (build_dir / name).write_bytes(b"\0")
    pico = resolve_board("pico")
    with pytest.raises(TinyctlError, match="firmware.uf2 is missing"):
        flash(pico, build_dir, tool="mass-storage", drive=drive)
    (build_dir / "firmware.uf2").write_bytes(b"UF2 blocks")
    flash(pico, build_dir, tool="mass-storage", drive=drive)
    assert (drive / "firmware.uf2").read_bytes() == b"UF2 blocks"
    plan = flash(pico, build_dir, dry_run=True)   # the silicon image: no refusal
    assert plan.command[:2] == ["picotool", "load"] and plan.warning is None
