"""Board files made for a test: a real board with less memory."""

from pathlib import Path

from tinyctl.targets import resolve_board


def small_stm32(directory: Path, ram_bytes: int) -> Path:
    """The stm32 board (nucleo-f446re) with only `ram_bytes` of RAM, as a board file without an alias."""
    board = directory / "small-board.toml"
    board.write_text(resolve_board("stm32").source.read_text().replace("size = 131_072", f"size = {ram_bytes:_}")
                     .replace('alias = "stm32"', ""))
    return board


def stm32_with_flash(directory: Path, flash_bytes: int) -> Path:
    """The stm32 board (nucleo-f446re) with `flash_bytes` of flash, as a board file without an alias."""
    board = directory / f"flash-{flash_bytes}.toml"
    text = resolve_board("stm32").source.read_text()
    assert "size = 524_288" in text, "the F446's flash size moved in its board file"
    board.write_text(text.replace("size = 524_288", f"size = {flash_bytes:_}").replace('alias = "stm32"', ""))
    return board
