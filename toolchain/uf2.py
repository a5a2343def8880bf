"""UF2 (Microsoft's USB Flashing Format, github.com/microsoft/uf2): a flat image cut into 512-byte blocks
that a board's boot ROM takes as a file copied onto its USB drive (the Pico's RPI-RP2 in BOOTSEL mode).
Each block: a 32-byte header (two start magics, flags, target address, payload size, block number, block
count, family id), the payload padded to 476 bytes, an end magic."""

from __future__ import annotations

import struct

MAGIC_START0 = 0x0A324655   # "UF2\n"
MAGIC_START1 = 0x9E5D5157
MAGIC_END = 0x0AB16F30
FLAG_FAMILY_ID = 0x0000_2000   # the last header word is a family id, not a file size
RP2040_FAMILY_ID = 0xE48BFF56
BLOCK_BYTES = 512
PAYLOAD_BYTES = 256            # what the RP2040 boot ROM takes: one flash page per block
_DATA_FIELD = 476
_HEADER = struct.Struct("<8I")


def uf2_blocks(image: bytes, base: int, family_id: int, payload: int = PAYLOAD_BYTES) -> bytes:
    """`image` (a flat binary that starts at address `base`) as UF2 blocks of `payload` bytes each."""
    chunks = [image[offset:offset + payload] for offset in range(0, len(image), payload)]
    blocks = []
    for number, chunk in enumerate(chunks):
        header = _HEADER.pack(MAGIC_START0, MAGIC_START1, FLAG_FAMILY_ID, base + number * payload, payload,
                              number, len(chunks), family_id)
        blocks.append(header + chunk.ljust(_DATA_FIELD, b"\0") + struct.pack("<I", MAGIC_END))
    return b"".join(blocks)
