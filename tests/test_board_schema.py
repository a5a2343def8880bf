"""Hostile board files: every bad field is refused at load, naming the file, the field and the valid
values; through the CLI that is one line and exit status 2, before any work."""

import json
import tomllib

import pytest

from tinyctl.cli import main
from tinyctl.errors import TinyctlError
from tinyctl.targets import BUILD_BOARD_FILE, board_of_build, load_board, resolve_board

STM32 = tomllib.loads(resolve_board("stm32").source.read_text())


def _toml(data: dict, table: str = "") -> str:
    """A TOML text of `data` (strings, integers, booleans, lists, tables: all a board file holds)."""
    lines = [f"[{table}]"] if table else []
    lines += [f"{key} = {json.dumps(value)}" for key, value in data.items() if not isinstance(value, dict)]
    tables = [_toml(value, f"{table}.{key}".lstrip(".")) for key, value in data.items() if isinstance(value, dict)]
    return "\n".join(lines + tables) + "\n"


def _board_file(directory, changes: dict, name: str = "my-board.toml"):
    """The stm32 board file with `changes` ({"memory.ram.size": 0, ...}; None deletes the key)."""
    data = json.loads(json.dumps(STM32))
    for dotted, value in changes.items():
        *tables, key = dotted.split(".")
        where = data
        for table in tables:
            where = where[table]
        if value is None:
            del where[key]
        else:
            where[key] = value
    path = directory / name
    path.write_text(_toml(data))
    return path


# (changes, the field the error must name, a valid value its hint must list)
HOSTILE = [
    ({"clock_hz": "fast"}, "clock_hz", "1_000-2_000_000_000"),
    ({"clock_hz": 0}, "clock_hz", "Hz"),
    ({"clock_hz": -180_000_000}, "clock_hz", "Hz"),
    ({"clock_hz": True}, "clock_hz", "Hz"),
    ({"clock_hz": 1.8e8}, "clock_hz", "Hz"),
    ({"flash_tool": "openocd"}, "flash_tool", "[flash_tool] table"),
    ({"qemu": "netduinoplus2"}, "qemu", "[qemu] table"),
    ({"name": 'my"board'}, "name", "letters, digits"),
    ({"name": "../../etc"}, "name", "letters, digits"),
    ({"name": ""}, "name", "letters, digits"),
    ({"alias": "a b"}, "alias", "letters, digits"),
    ({"part": 'x");'}, "part", "letters, digits"),
    ({"description": "two\nlines"}, "description", "printable"),
    ({"core": "cortex-m99"}, "core", "cortex-m4"),
    ({"core": 4}, "core", "cortex-m7"),
    ({"fpu": "fpv5-d16"}, "fpu", "fpv4-sp-d16"),
    ({"dsp": "yes"}, "dsp", "true or false"),
    ({"dsp": False}, "dsp", "true: cortex-m4 always has the DSP extension"),
    ({"core": "cortex-m0plus", "fpu": "none"}, "dsp", "false: cortex-m0plus lacks the DSP extension"),
    ({"core": "cortex-m33", "fpu": "fpv4-sp-d16"}, "fpu", "fpv5-sp-d16"),
    ({"platform": "stm32f9"}, "platform", "mps2"),
    ({"platform": "cortex-m"}, "platform", "stm32f4"),   # a folder of shared sources, not a platform
    ({"platform": "host"}, "platform", "stm32f4"),  # a Cortex-M core needs a Cortex-M platform
    ({"qemu.machine": "lm3s6965evb"}, "qemu.machine", "netduinoplus2"),
    ({"qemu.machine": "mps2-an386"}, "qemu.machine", "netduinoplus2"),   # boots the mps2 platform
    ({"core": "cortex-m7", "fpu": "fpv5-d16"}, "qemu.machine", "none for this core and platform"),
    ({"qemu.cpu": "m4"}, "qemu.cpu", "machine"),
    ({"memory.ram.size": 0}, "memory.ram.size", "positive"),
    ({"memory.ram.size": "128K"}, "memory.ram.size", "positive"),
    ({"memory.flash.base": "0x08000000"}, "memory.flash.base", "integer address"),
    ({"memory.flash.base": -1}, "memory.flash.base", "integer address"),
    ({"memory.ram.base": 0xFFFF_F000}, "memory.ram.size", "0x100000000"),
    ({"memory.ram": None}, "memory.ram.base", "integer address"),
    ({"memory": [1, 2]}, "memory", "[memory] table"),
    ({"flash_tool.tool": "jlink"}, "flash_tool.tool", "openocd"),
    ({"flash_tool.tool": None}, "flash_tool.tool", "st-flash"),
    ({"flash_tool.address": "0x08000000"}, "flash_tool.address", "integer address"),
    ({"flash_tool.usb_ids": "0483:374b"}, "flash_tool.usb_ids", "vendor:product"),
    ({"flash_tool.openocd_target": ""}, "flash_tool.openocd_target", "non-empty string"),
    ({"flash_tool.extra": 1}, "flash_tool.extra", "pyocd_target"),
    ({"console.uart": "2"}, "console.uart", "UART number"),
    ({"console.uart": 99}, "console.uart", "UART number"),
    ({"flash_wait_states": 16}, "flash_wait_states", "flash latency"),
    ({"flash_wait_states": "5"}, "flash_wait_states", "flash latency"),
    ({"flash_wait_states": True}, "flash_wait_states", "flash latency"),
    ({"clock_hx": 1}, "clock_hx", "clock_hz"),
]


@pytest.mark.parametrize("changes, field, valid", HOSTILE, ids=lambda v: json.dumps(v) if isinstance(v, dict) else None)
def test_a_hostile_board_file_is_refused_at_load(tmp_path, changes, field, valid):
    path = _board_file(tmp_path, changes)
    with pytest.raises(TinyctlError) as err:
        load_board(path)
    assert f"board file {path.name}: {field} = " in err.value.message
    assert valid in err.value.hint


def test_the_host_board_alone_may_have_no_clock(tmp_path):
    host = tomllib.loads(resolve_board("host").source.read_text())
    assert host["clock_hz"] == 0 and load_board(resolve_board("host").source).clock_hz == 0
    assert load_board(_board_file(tmp_path, {"clock_hz": 1_000})).clock_hz == 1_000


def test_the_cli_refuses_every_hostile_board_file_in_one_line_before_any_work(tmp_path, capsys):
    for changes, field, _ in HOSTILE:
        out = tmp_path / "b"
        assert main(["build", "--target", str(_board_file(tmp_path, changes)), "--out", str(out)]) == 2, changes
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err + captured.out
        message, hint = captured.err.strip().splitlines()
        assert message.startswith(f"error: board file my-board.toml: {field} = ") and hint.strip().startswith("hint: valid:")
        assert not out.exists() and not list(tmp_path.glob(".b*"))


def test_every_stm32_board_gives_its_flash_wait_states():
    """The latency each part's reference manual gives at the board's clock (the cycle estimate's flash cost)."""
    expected = {"nucleo-f446re": 5, "nucleo-f401re": 2, "nucleo-f411re": 3, "disco-f746ng": 7, "nucleo-h743zi": 2,
                "nucleo-l4r5zi": 5}   # the H743 at 400 MHz (VOS1)
    assert {name: resolve_board(name).flash_wait_states for name in expected} == expected
    assert resolve_board("host").flash_wait_states == 0


def test_a_directory_is_not_a_board_file(tmp_path):
    (tmp_path / "boards.toml").mkdir()
    with pytest.raises(TinyctlError, match="is a directory"):
        resolve_board(str(tmp_path / "boards.toml"))


def test_a_build_reads_its_own_copy_of_the_board_file(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    assert board_of_build(build, "stm32").name == "nucleo-f446re"   # builds made before the copy
    _board_file(build, {"name": "my-board", "alias": None}, name=BUILD_BOARD_FILE)
    assert board_of_build(build, "my-board").name == "my-board"
