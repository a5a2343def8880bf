"""The RP2040 image's pure parts: the boot ROM's CRC32 over boot stage 2 (against the published check value
of its parameters), the sealing of stage 2, and the UF2 writer's blocks field by field."""

import struct

import pytest

from tinyctl.boot2 import BOOT2_BYTES, CODE_BYTES, assemble, boot2_crc, seal
from tinyctl.errors import TinyctlError
from tinyctl.paths import PLATFORMS_DIR
from tinyctl.uf2 import RP2040_FAMILY_ID, uf2_blocks


def test_boot2_crc_is_crc32_mpeg2():
    """Polynomial 0x04c11db7, no reflection, initial 0xffffffff, no final XOR: the CRC-32/MPEG-2 parameters,
    whose catalogued check value (the CRC of "123456789") is 0x0376e6e7."""
    assert boot2_crc(b"123456789") == 0x0376E6E7
    assert boot2_crc(b"") == 0xFFFF_FFFF
    assert boot2_crc(b"\0" * 4) == 0xC704DD7B   # 0xffffffff x^32 mod the polynomial


def test_seal_pads_to_252_bytes_and_appends_the_crc_little_endian():
    image = seal(b"\x01\x02\x03")
    assert len(image) == BOOT2_BYTES and image[:3] == b"\x01\x02\x03" and image[3:252] == b"\0" * 249
    assert struct.unpack("<I", image[252:])[0] == boot2_crc(image[:252])
    with pytest.raises(TinyctlError, match="loads 252 B of code"):
        seal(b"\0" * 253)


def test_boot2_links_alone_at_its_sram_address(tmp_path):
    """Ours fits the 252 bytes; a stage 2 that calls out of its bytes (into flash not yet readable) is refused."""
    flags = ["-mthumb", "-mcpu=cortex-m0plus"]
    assert 0 < len(assemble(PLATFORMS_DIR / "rp2040" / "boot2.S", flags)) <= CODE_BYTES
    outside = tmp_path / "outside.S"
    outside.write_text('.syntax unified\n.thumb\n.section .boot2, "ax"\n.thumb_func\nentry:\n    bl elsewhere\n')
    with pytest.raises(TinyctlError, match="does not assemble alone"):
        assemble(outside, flags)


def test_uf2_blocks_carry_each_256_byte_page_at_its_address():
    image = bytes(range(256)) * 2 + b"\xaa" * 10   # two full pages and a partial one
    blocks = uf2_blocks(image, 0x1000_0000, RP2040_FAMILY_ID)
    assert len(blocks) == 3 * 512
    for number in range(3):
        block = blocks[number * 512:(number + 1) * 512]
        magic0, magic1, flags, address, size, index, count, family = struct.unpack("<8I", block[:32])
        assert (magic0, magic1, struct.unpack("<I", block[508:])[0]) == (0x0A324655, 0x9E5D5157, 0x0AB16F30)
        assert flags == 0x2000 and family == 0xE48BFF56   # family id present: the RP2040's
        assert (address, size, index, count) == (0x1000_0000 + 256 * number, 256, number, 3)
        page = image[256 * number:256 * (number + 1)]
        assert block[32:32 + len(page)] == page and block[32 + len(page):508] == b"\0" * (476 - len(page))
