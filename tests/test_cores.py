"""More cores (issue 17, point 3): a Cortex-M0+ board (ARMv6-M: no DSP extension, no hardware divide, no
unaligned access), a Cortex-M33 board and a Cortex-M55 board build and pass the self-test under QEMU, and
their firmware agrees bit for bit with TFLite-Micro. The M0+ runs on QEMU's only ARMv6-M machine, the
micro:bit, whose 16 KiB of RAM takes a small model; the M33 and M55 run the default detector. That the
M0+ firmware builds at all shows no ARMv6-M-foreign instruction in it: gcc emits none for
-mcpu=cortex-m0plus and the assembler refuses any in inline asm."""

import subprocess

import pytest

from tinyctl.cflags import board_cflags
from tinyctl.cli import main
from tinyctl.errors import TinyctlError
from tinyctl.firmware import layout
from tinyctl.flash import flash, flash_plan
from tinyctl.pipeline import BuildOptions, build
from tinyctl.targets import resolve_board
from tinyctl.tools import require_tool


def _passes_bit_exact(report: dict, machine: str) -> None:
    selftest = report["engine"]["selftest"]
    assert selftest["passed"] and selftest["ran_on"] == f"QEMU {machine}"
    assert selftest["instructions"]["per_inference"] > 0
    agreement = report["validation"]["agreement"]["engine_qemu_vs_tflm"]   # the firmware, input by input
    assert agreement["bit_exact"] and agreement["elements"] > 0


def test_a_cortex_m0plus_board_passes_its_self_test_on_the_microbit(m0plus_build):
    directory, report = m0plus_build
    _passes_bit_exact(report, "microbit")
    executed = {layer["opcode"] for layer in report["engine"]["selftest"]["instructions"]["per_layer"]}
    assert executed == {"CONV_2D", "MAX_POOL_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"}
    firmware = directory / "firmware"
    assert "-mcpu=cortex-m0plus" in (firmware / "Makefile").read_text()
    linker = (firmware / "linker-emu.ld").read_text()   # the nRF51's addresses and no more RAM than it has
    assert "ORIGIN = 0x00000000, LENGTH = 262144" in linker and "ORIGIN = 0x20000000, LENGTH = 16384" in linker
    for image in ("firmware.elf", "firmware-emu.elf"):   # the silicon image and the stand-in's
        attributes = subprocess.run([require_tool("arm-none-eabi-gcc").replace("gcc", "readelf"), "-A",
                                     str(directory / image)], capture_output=True, text=True, check=True).stdout
        assert "Tag_CPU_arch: v6S-M" in attributes and "Tag_THUMB_ISA_use: Thumb-1" in attributes


@pytest.mark.parametrize("board, machine, cpu", [("nucleo-u575zi", "mps2-an505", "-mcpu=cortex-m33"),
                                                 ("mps3-an547", "mps3-an547", "-mcpu=cortex-m55")])
def test_the_default_detector_passes_on_cortex_m33_and_m55(default_build, tmp_path, board, machine, cpu):
    tflite = default_build[0] / "model_int8.tflite"
    directory, report = build(BuildOptions(target=board, model=str(tflite), out=str(tmp_path / "b")))
    _passes_bit_exact(report, machine)
    assert cpu in (directory / "firmware" / "Makefile").read_text()


def test_a_firmware_larger_than_the_stand_in_names_the_stand_in(default_build, tmp_path, capsys):
    """The default detector fits the G0B1RE's 144 KiB but not the micro:bit's 16 KiB: the build says which."""
    tflite = default_build[0] / "model_int8.tflite"
    assert main(["build", "--target", "nucleo-g0b1re", "--model", str(tflite), "--out", str(tmp_path / "b"),
                 "--synthetic-data"]) == 2
    err = capsys.readouterr().err
    assert "does not fit nucleo-g0b1re's QEMU stand-in microbit (262,144 B flash, 16,384 B RAM)" in err
    assert "Traceback" not in err


def test_a_pico_firmware_that_fits_the_pico_but_not_the_micro_bit_says_which(default_build, tmp_path, capsys):
    """The default detector links for the RP2040 (264 KiB) but not for the micro:bit stand-in: the error names
    the stand-in, not the Pico."""
    tflite = default_build[0] / "model_int8.tflite"
    assert main(["build", "--target", "pico", "--model", str(tflite), "--out", str(tmp_path / "b"),
                 "--synthetic-data"]) == 2
    err = capsys.readouterr().err
    assert "does not fit rpi-pico's QEMU stand-in microbit (262,144 B flash, 16,384 B RAM)" in err
    assert "rpi-pico's own image links" in err and "Traceback" not in err


def test_stand_in_layouts_and_core_flags(tmp_path):
    g0, pico, u5, an547 = (resolve_board(n) for n in ("nucleo-g0b1re", "pico", "nucleo-u575zi", "mps3-an547"))
    stand_in = layout(g0, "nrf51")   # the micro:bit image; firmware.elf is the G0B1RE's own (test_firmware_images)
    assert (stand_in.flash_size, stand_in.ram_size) == (262_144, 16_384) and "cut to" in stand_in.note
    stand_in = layout(u5, "mps2-an505")   # the silicon image: the part's own map (tests/test_firmware_images.py)
    assert (stand_in.flash_base, stand_in.ram_base, stand_in.ram_size) == (0x1000_0000, 0x3800_0000, 786_432)
    assert (layout(an547).flash_base, layout(an547).ram_base) == (an547.flash.base, an547.ram.base)   # QEMU's own
    assert board_cflags(g0) == board_cflags(pico) == ["-mthumb", "-mcpu=cortex-m0plus"]
    assert board_cflags(u5) == ["-mthumb", "-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]
    source = u5.source.read_text().replace("dsp = true", "dsp = false").replace('fpu = "fpv5-sp-d16"', 'fpu = "none"')
    assert "dsp = false" in source
    (tmp_path / "m33-no-dsp.toml").write_text(source)
    assert board_cflags(resolve_board(str(tmp_path / "m33-no-dsp.toml"))) == ["-mthumb", "-mcpu=cortex-m33+nodsp"]


def test_a_stand_in_image_for_the_m0plus_is_not_flashed(tmp_path):
    """The Pico's board file on the nrf51 platform alone (its image only the micro:bit runs): flash refuses."""
    source = resolve_board("pico").source.read_text().replace('platform = "rp2040"', 'platform = "nrf51"')
    assert 'platform = "nrf51"' in source
    (tmp_path / "pico-stand-in.toml").write_text(source)
    pico = resolve_board(str(tmp_path / "pico-stand-in.toml"))
    plan = flash_plan(pico, tmp_path)   # the command itself: tests/test_flash.py
    assert plan.tool == "picotool" and "QEMU stand-in" in plan.warning and "RP2040" in plan.warning
    for name in ("firmware.elf", "firmware.bin"):
        (tmp_path / name).write_bytes(b"\0")
    with pytest.raises(TinyctlError, match="refusing to flash"):
        flash(pico, tmp_path)


def test_the_mps3_names_no_flash_tool_and_says_how_it_loads(tmp_path):
    with pytest.raises(TinyctlError) as err:
        flash_plan(resolve_board("mps3-an547"), tmp_path)
    assert "nothing to flash" in err.value.message and "microSD" in err.value.hint
