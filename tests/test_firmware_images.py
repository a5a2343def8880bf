"""The two images of every board file, linked from one generated engine (the default build's): the
silicon image's vector table, entry point, initial stack pointer and sections read back from the ELF
lie in the part's flash and RAM as its reference manual maps them; the image QEMU runs (the silicon
image itself on netduinoplus2, a stand-in elsewhere) passes the self-test bit-exact."""

import shutil
import struct
import subprocess

import pytest

from tinyctl.clocks import clock_plan
from tinyctl.boot2 import boot2_crc
from tinyctl.firmware import (EMULATED_ELF, UF2_FILE, emulated_elf, emulated_platform, fast_ram, has_stand_in, layout,
                              linker_overflow, stand_in_only)
from tinyctl.qemu import run_firmware
from tinyctl.stages.firmware import build_firmware
from tinyctl.targets import all_boards, resolve_board
from tinyctl.tools import require_tool

KIB = 1024
STM32_FLASH = 0x0800_0000
# Each part's memory map from its reference manual (section 2, memory map), not from the board files:
# (flash or code base, its size, [(RAM base, RAM size), ...] the firmware may use).
PARTS = {
    "STM32F446RE": (STM32_FLASH, 512 * KIB, [(0x2000_0000, 128 * KIB)]),   # RM0390: SRAM1 112 + SRAM2 16 KiB
    "STM32F401RE": (STM32_FLASH, 512 * KIB, [(0x2000_0000, 96 * KIB)]),    # RM0368
    "STM32F411RE": (STM32_FLASH, 512 * KIB, [(0x2000_0000, 128 * KIB)]),   # RM0383
    "STM32F746NG": (STM32_FLASH, 1024 * KIB, [(0x2000_0000, 320 * KIB)]),  # RM0385: DTCM 64 + SRAM1 240 + SRAM2 16
    "STM32H743ZI": (STM32_FLASH, 2048 * KIB, [(0x2000_0000, 128 * KIB),    # RM0433: DTCM
                                              (0x2400_0000, 512 * KIB)]),  # AXI SRAM
    "STM32L4R5ZI": (STM32_FLASH, 2048 * KIB, [(0x2000_0000, 640 * KIB)]),  # RM0432: SRAM1 192 + SRAM2 64 + SRAM3 384
    # RM0456 (non-secure aliases, TrustZone off): SRAM1 192 + SRAM2 64 + SRAM3 512 KiB contiguous from
    # 0x2000_0000 (SRAM4, 16 KiB at 0x2800_0000, is not used)
    "STM32U575ZI": (STM32_FLASH, 2048 * KIB, [(0x2000_0000, 768 * KIB)]),
    # RM0444 memory map: 512 KiB flash (two banks of 256); SRAM 144 KiB with parity off (128 KiB with it on).
    "STM32G0B1RE": (STM32_FLASH, 512 * KIB, [(0x2000_0000, 144 * KIB)]),
    "AN547": (0x0000_0000, 512 * KIB, [(0x2000_0000, 512 * KIB)]),   # Arm AN547 (Corstone-300): ITCM, DTCM
    # RP2040 datasheet 2.2: XIP flash from 0x10000000 (the Pico's W25Q16JV: 2 MiB), SRAM0-5 264 KiB.
    "RP2040": (0x1000_0000, 2048 * KIB, [(0x2000_0000, 264 * KIB)]),
}
# Where the core's vector table is, from the flash base: the RP2040's boot ROM runs boot stage 2 from the
# first 256 bytes, which enters the vector table after them.
VECTORS_AT = {"RP2040": 0x100}
# Boards with a silicon image; those whose only image is a QEMU stand-in (no silicon platform written for
# the part yet: flash refuses them) are checked by tests/test_cores.py.
BOARDS = [b for b in all_boards() if b.platform != "host" and not stand_in_only(b)]


def _small_stand_in(board) -> bool:
    """Whether QEMU's stand-in has less memory than the board (the micro:bit): its image takes a small model."""
    where = layout(board, emulated_platform(board))
    return (where.flash_size, where.ram_size) != (board.flash.size, board.ram.size)


@pytest.fixture(scope="session")
def projects(default_build, request, tmp_path_factory):
    """{board name: its firmware project}, built by the firmware stage from the default build's engine, or
    where the stand-in is smaller than the board, from the small model's (tests/conftest.py, m0plus_build)."""
    built = {}
    for board in BOARDS:
        source, report = request.getfixturevalue("m0plus_build") if _small_stand_in(board) else default_build
        build_dir = tmp_path_factory.mktemp(board.name)
        shutil.copytree(source / "engine", build_dir / "engine")
        build_firmware(board, build_dir, report["engine"]["arena_bytes"])
        built[board.name] = build_dir / "firmware"
    return built


def _readelf(elf, *flags) -> str:
    return subprocess.run([require_tool("arm-none-eabi-readelf"), *flags, str(elf)], capture_output=True, text=True,
                          check=True).stdout


def _sections(elf) -> dict:
    """{name: (address, size)} of the sections that take memory (flag A)."""
    found = {}
    for line in _readelf(elf, "-S", "-W").splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 7 and fields[0].startswith("[") and "A" in fields[7]:
            found[fields[1]] = (int(fields[3], 16), int(fields[5], 16))
    return found


def _vectors(elf, project) -> tuple[int, int]:
    """(initial stack pointer, reset handler) from the first two words of .isr_vector."""
    raw = project / "vectors.bin"
    subprocess.run([require_tool("arm-none-eabi-objcopy"), "-O", "binary", "--only-section=.isr_vector", str(elf),
                    str(raw)], check=True)
    return struct.unpack("<2I", raw.read_bytes()[:8])


def _entry(elf) -> int:
    line = next(line for line in _readelf(elf, "-h").splitlines() if "Entry point address" in line)
    return int(line.split()[-1], 16)


def _load_addresses(elf) -> list[tuple[int, int]]:
    """(physical address, file size) of each LOAD segment: where the flash tool writes bytes."""
    rows = [line.split() for line in _readelf(elf, "-l", "-W").splitlines() if line.strip().startswith("LOAD")]
    return [(int(row[3], 16), int(row[4], 16)) for row in rows]


def _inside(address: int, size: int, regions) -> bool:
    return any(base <= address and address + size <= base + length for base, length in regions)


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.name)
def test_silicon_image_lies_in_the_parts_memory(board, projects):
    project = projects[board.name]
    sections, stack_pointer, rams = _check_in_parts_memory(board, project)
    assert (project / EMULATED_ELF).is_file() == has_stand_in(board)
    if board.part == "STM32H743ZI":   # the default model's arena fits DTCM, the fastest RAM: all data is there
        assert _inside(*sections[".bss"], rams[:1]) and _inside(stack_pointer - 8, 8, rams[:1])


def _check_in_parts_memory(board, project) -> tuple[dict, int, list]:
    """The silicon ELF read back against the part's map; (its sections, initial SP, the part's RAMs)."""
    elf = project / "firmware.elf"
    flash_base, flash_size, rams = PARTS[board.part]
    flash = [(flash_base, flash_size)]
    sections = _sections(elf)
    # the boot address (STM32 flash aliased at 0 with BOOT0 low; the RP2040's after boot stage 2)
    assert sections[".isr_vector"][0] == flash_base + VECTORS_AT.get(board.part, 0)
    stack_pointer, reset = _vectors(elf, project)
    assert reset & 1 and _entry(elf) | 1 == reset and _inside(reset & ~1, 2, flash)   # Thumb code in flash
    assert stack_pointer % 8 == 0 and _inside(stack_pointer - 8, 8, rams)   # full-descending: top of a RAM
    for name, (address, size) in sections.items():
        where = flash if name in (".boot2", ".isr_vector", ".text", ".ARM.exidx") else rams
        assert _inside(address, size, where), f"{name} at {address:#x} (+{size}) is outside {board.part}'s map"
    for address, size in _load_addresses(elf):
        if size:
            assert _inside(address, size, flash), f"bytes to write at {address:#x} lie outside the flash"
    return sections, stack_pointer, rams


def test_the_u5_silicon_image_without_the_dsp_extension(default_build, projects, tmp_path):
    """An M33 without the optional DSP extension (dsp = false: -mcpu=cortex-m33+nodsp) links the portable
    engine into the same map; the ELF's attributes say which code each image may hold."""
    source = resolve_board("nucleo-u575zi").source.read_text()
    (tmp_path / "u5-nodsp.toml").write_text(source.replace("dsp = true", "dsp = false"))
    board = resolve_board(str(tmp_path / "u5-nodsp.toml"))
    build_dir = tmp_path / "build"
    shutil.copytree(default_build[0] / "engine", build_dir / "engine")
    build_firmware(board, build_dir, default_build[1]["engine"]["arena_bytes"])
    _check_in_parts_memory(board, build_dir / "firmware")
    assert "-mcpu=cortex-m33+nodsp" in (build_dir / "firmware" / "Makefile").read_text()
    assert "Tag_DSP_extension" not in _readelf(build_dir / "firmware.elf", "-A")
    assert "Tag_DSP_extension: Allowed" in _readelf(projects["nucleo-u575zi"] / "firmware.elf", "-A")


def test_the_rp2040_image_starts_with_a_sealed_boot_stage_2(projects):
    """What the boot ROM checks (datasheet 2.8.1.3): the first 256 bytes of flash carry their CRC in the last
    4; the UF2 holds the same bytes from 0x10000000; boot stage 2 enters the vector table it sets in VTOR."""
    project = projects["rpi-pico"]
    assert _sections(project / "firmware.elf")[".boot2"] == (0x1000_0000, 256)
    image = (project / "firmware.bin").read_bytes()
    assert struct.unpack("<I", image[252:256])[0] == boot2_crc(image[:252])
    assert struct.unpack("<I", image[252:256])[0] != boot2_crc(bytes([image[0] ^ 1]) + image[1:252])
    uf2 = (project.parent / UF2_FILE).read_bytes()
    assert len(uf2) == 512 * -(-len(image) // 256)
    assert uf2[32:32 + 256] == image[:256] and struct.unpack("<I", uf2[12:16])[0] == 0x1000_0000
    literals = image[:252]
    assert struct.pack("<I", 0x1000_0100) in literals and struct.pack("<I", 0xE000_ED08) in literals   # VTOR


def test_the_h7_arena_goes_in_dtcm_only_when_it_fits():
    board = next(b for b in BOARDS if b.platform == "stm32h7")
    assert fast_ram(board, 100 * KIB) and not fast_ram(board, 125 * KIB)   # 128 KiB DTCM less the 4 KiB stack
    assert not any(fast_ram(b, 0) for b in BOARDS if b.platform != "stm32h7")


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.name)
def test_the_image_qemu_runs_passes_the_selftest(board, projects):
    """The stand-in image (or, on netduinoplus2, the silicon image through its clock set-up) bit-exact."""
    elf = emulated_elf(projects[board.name], board)
    run = run_firmware(board, elf, ["selftest"], timeout_s=300)
    console = run.console.replace("\r", "")
    assert run.exit_code == 0 and "\nPASS" in console, console[-800:]
    if not has_stand_in(board) and clock_plan(board) is not None:
        # QEMU 7.2's STM32F405 leaves RCC unmodelled (reads 0): the PLL never reports lock, and the
        # firmware says so and stays on HSI instead of hanging; on silicon the line is absent.
        assert console.startswith("clock: the PLL did not lock (RCC_CR.PLLRDY); running on the reset clock\n")
    else:
        assert "clock:" not in console   # the stand-in (or the MPS3) sets no clock


def test_linker_overflow_reads_every_region_and_a_single_byte():
    """GNU ld says "overflowed by 1 byte" in the singular: balanced's fallback must see that overflow too."""
    stderr = ("ld: firmware.elf section `.text' will not fit in region `FLASH'\n"
              "ld: region `FLASH' overflowed by 1 byte\nld: region `RAM' overflowed by 2048 bytes\n")
    assert linker_overflow(stderr) == {"FLASH": 1, "RAM": 2048}
