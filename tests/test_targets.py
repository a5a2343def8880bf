import subprocess

import pytest

from tinyctl.cflags import board_cflags
from tinyctl.errors import TinyctlError
from tinyctl.firmware import PLATFORMS_DIR, layout, linker_script, qemu_serial_index
from tinyctl.paths import TARGETS_DIR
from tinyctl.targets import all_boards, load_board, resolve_board
from tinyctl.tools import require_tool

BOARD_FILES = sorted(TARGETS_DIR.glob("*.toml"))


def _qemu_machines() -> set[str]:
    listing = subprocess.run([require_tool("qemu-system-arm"), "-machine", "help"], capture_output=True, text=True,
                             check=True).stdout
    return {line.split()[0] for line in listing.splitlines()[1:] if line.strip()}


def _compiler_macros(board) -> str:
    """What arm-none-eabi-gcc predefines for the board's CPU flags (it fails on an unknown core or FPU)."""
    result = subprocess.run([require_tool("arm-none-eabi-gcc"), *board_cflags(board), "-dM", "-E", "-x", "c",
                             "/dev/null"], capture_output=True, text=True)
    assert result.returncode == 0, f"{board.source.name}: {result.stderr}"
    return result.stdout


@pytest.mark.parametrize("path", BOARD_FILES, ids=lambda p: p.name)
def test_board_file_is_valid(path):
    """Every file in targets/ (a new board is checked without editing this test)."""
    board = load_board(path)
    assert board.flash.size > 0 and board.ram.size > 0
    assert (PLATFORMS_DIR / board.platform).is_dir()
    assert board.flash_tool["tool"]
    if board.platform == "host":
        return
    assert board.clock_hz > 0
    macros = _compiler_macros(board)   # the core and FPU are ones arm-none-eabi-gcc knows
    assert ("__ARM_FEATURE_DSP" in macros) == board.dsp, "dsp = true/false must match the core"
    assert ("__ARM_FP " in macros) == (board.fpu not in ("none", "")), "fpu must match the core"
    where = layout(board)   # reads the platform's platform.toml
    for base, size in ((where.flash_base, where.flash_size), (where.ram_base, where.ram_size)):
        assert base + size <= 1 << 32
    assert where.flash_base + where.flash_size <= where.ram_base or where.ram_base + where.ram_size <= where.flash_base
    if board.qemu_machine is not None:
        assert board.qemu_machine in _qemu_machines()
        assert qemu_serial_index(board) >= 0


def test_the_linker_script_resizes_both_regions_only_when_asked():
    """The unbounded variant measures a firmware too large for the board: only the regions' sizes differ."""
    board = resolve_board("nucleo-f446re")
    normal, unbounded = linker_script(board), linker_script(board, region_bytes=1 << 28)
    assert "ORIGIN = 0x08000000, LENGTH = 524288" in normal and "ORIGIN = 0x20000000, LENGTH = 131072" in normal
    for origin in ("0x08000000", "0x20000000"):
        assert f"ORIGIN = {origin}, LENGTH = 268435456" in unbounded
    differing = [(a, b) for a, b in zip(normal.splitlines(), unbounded.splitlines()) if a != b]
    assert len(normal.splitlines()) == len(unbounded.splitlines()) and len(differing) == 3   # the comment, FLASH, RAM


def test_board_names_and_aliases_are_unique():
    boards = all_boards()
    names = [b.name for b in boards] + [b.alias for b in boards if b.alias]
    assert len(boards) == len(BOARD_FILES) and len(set(names)) == len(names)


def test_board_file_loads_with_its_data():
    boards = {b.name: b for b in all_boards()}
    f446 = boards["nucleo-f446re"]
    assert (f446.core, f446.fpu, f446.dsp, f446.clock_hz) == ("cortex-m4", "fpv4-sp-d16", True, 180_000_000)
    assert (f446.flash.base, f446.flash.size, f446.ram.base, f446.ram.size) == (0x08000000, 512 << 10, 0x20000000, 128 << 10)
    assert f446.qemu_machine == "netduinoplus2"
    assert boards["disco-f746ng"].qemu_machine == boards["nucleo-h743zi"].qemu_machine == "mps2-an500"
    assert boards["nucleo-l4r5zi"].qemu_machine == "mps2-an386"
    assert boards["host"].qemu_machine is None


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

