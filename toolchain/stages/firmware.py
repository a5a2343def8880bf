"""Stage `firmware`: the board's firmware project built with arm-none-eabi-gcc and its fit measured from
the linked image (its self-test runs through tinyctl.firmware_run)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..firmware import (RegionOverflow, compile_firmware, elf_sizes, emit_project, emulated_platform, fast_ram,
                        has_stand_in, layout, linker_script, publish, write_uf2)
from ..firmware_run import FIRMWARE_ELF
from ..staging import owned_temp_dir
from ..targets import Board
from .memory import check_fit, engine_budget

_UNBOUNDED_REGION_BYTES = 0x10000000   # 256 MiB: more than any firmware we link, within 32 bits from any base


def build_firmware(board: Board, build_dir: Path, arena_bytes: int) -> dict:
    """firmware/ project, firmware.elf/.bin/.hex, and the engine's memory budget from the linked sizes;
    a firmware that does not fit stops the build with the numbers. RAM goes in the platform's fast RAM
    (H7 DTCM) when the firmware fits there, else in the board's RAM."""
    fast = fast_ram(board, arena_bytes)
    project = emit_project(board, build_dir, fast)
    try:
        fast = _compile(board, project, fast)
    except RegionOverflow:
        sizes = _unbounded_sizes(board, project)
        check_fit(board, engine_budget(board, arena_bytes, sizes["flash_bytes"], sizes["ram_bytes"],
                                       sizes["stack_bytes"]))
        raise
    publish(project, build_dir)
    write_uf2(board, build_dir)
    ram = layout(board, fast=fast)
    sizes = {**elf_sizes(build_dir / FIRMWARE_ELF),
             "ram_region": {"base": ram.ram_base, "size": ram.ram_size, "fast": fast}}
    budget = engine_budget(board, arena_bytes, sizes["flash_bytes"], sizes["ram_bytes"], sizes["stack_bytes"])
    check_fit(board, budget)
    return {"sizes": sizes, "budget": budget}


def _compile(board: Board, project: Path, fast: bool) -> bool:
    """Link in the fast RAM when asked; when the whole firmware overflows it, link in the board's RAM.
    Whether the linked image's RAM is the fast RAM."""
    try:
        compile_firmware(board, project)
        return fast
    except RegionOverflow as overflow:
        if not fast or set(overflow.overflow) != {"RAM"}:
            raise
        (project / "linker.ld").write_text(linker_script(board))
        compile_firmware(board, project)
        return False


def _unbounded_sizes(board: Board, project: Path) -> dict:
    """What the firmware needs, measured by linking a scratch copy with regions larger than any image."""
    with owned_temp_dir("tinyctl-fit-") as tmp:
        scratch = Path(tmp) / "firmware"
        shutil.copytree(project, scratch, ignore=shutil.ignore_patterns("obj", "firmware.*", "firmware-emu.*"))
        (scratch / "linker.ld").write_text(linker_script(board, region_bytes=_UNBOUNDED_REGION_BYTES))
        if has_stand_in(board):
            (scratch / "linker-emu.ld").write_text(linker_script(board, region_bytes=_UNBOUNDED_REGION_BYTES,
                                                                 platform=emulated_platform(board)))
        return elf_sizes(compile_firmware(board, scratch))
