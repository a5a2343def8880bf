import pytest

from tinyctl.errors import TinyctlError
from tinyctl.targets import all_boards, load_board, resolve_board

BOARDS = {"nucleo-f446re", "disco-f746ng", "nucleo-h743zi", "nucleo-l4r5zi", "host"}


def test_every_board_file_loads_with_its_data():
    boards = {b.name: b for b in all_boards()}
    assert set(boards) == BOARDS
    f446 = boards["nucleo-f446re"]
    assert (f446.core, f446.fpu, f446.dsp, f446.clock_hz) == ("cortex-m4", "fpv4-sp-d16", True, 180_000_000)
    assert (f446.flash.base, f446.flash.size, f446.ram.base, f446.ram.size) == (0x08000000, 512 << 10, 0x20000000, 128 << 10)
    assert f446.qemu_machine == "netduinoplus2"
    assert boards["disco-f746ng"].qemu_machine == boards["nucleo-h743zi"].qemu_machine == "mps2-an500"
    assert boards["nucleo-l4r5zi"].qemu_machine == "mps2-an386"
    assert boards["host"].qemu_machine is None
    for board in boards.values():
        assert board.flash_tool["tool"]


def test_stm32_resolves_to_the_default_board():
    assert resolve_board("stm32").name == "nucleo-f446re"
    assert resolve_board("nucleo-h743zi").core == "cortex-m7"


def test_misspelt_board_lists_the_valid_names():
    with pytest.raises(TinyctlError) as err:
        resolve_board("nucleo-f446")
    assert "nucleo-f446re" in err.value.hint and "disco-f746ng" in err.value.hint
    assert "did you mean 'nucleo-f446re'" in err.value.hint


def test_board_file_by_path_and_malformed_files(tmp_path):
    good = tmp_path / "tiny.toml"
    good.write_text(resolve_board("stm32").source.read_text().replace("size = 131_072", "size = 4_096"))
    assert resolve_board(str(good)).ram.size == 4096
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    with pytest.raises(TinyctlError, match="lacks"):
        load_board(bad)
    bad.write_text("name = [")
    with pytest.raises(TinyctlError, match="cannot read board file"):
        load_board(bad)

