"""Frames of the runner protocol: sync, type, sequence number, length, payload, CRC-32.

    A5 5A | type u8 | seq u16 LE | length u16 LE | check u8 | payload (length bytes) | CRC-32 u32 LE

check = 0xFF - (sum of the five bytes type..length) mod 256 rejects most false starts at once (a
sync pair inside the data); the CRC (zlib.crc32) covers everything after the sync. The decoder
resynchronises after garbage: a bad header or CRC costs only the bytes up to the next sync marker."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SYNC = b"\xa5\x5a"
HEADER = struct.Struct("<2sBHHB")
CRC = struct.Struct("<I")
OVERHEAD = HEADER.size + CRC.size
MAX_PAYLOAD = 4096   # the host accepts up to this; the board announces its own limit in the handshake

# Types: requests, replies (request | REPLY), and the two frames a board sends on its own.
HELLO, LOAD, INFER, READ_OUTPUT, READ_CYCLES, BYE = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
REPLY = 0x80
ERROR = 0x7F
BOOT = 0x70

ERRORS = {1: "unknown frame type", 2: "bad payload length", 3: "no session (the board restarted)",
          4: "offset or length out of range", 5: "no complete input loaded", 6: "no output yet"}
ERR_NO_SESSION = 3


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes


def encode_frame(frame_type: int, seq: int, payload: bytes = b"") -> bytes:
    if len(payload) > 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
    fields = HEADER.pack(SYNC, frame_type, seq & 0xFFFF, len(payload), 0)[2:-1]
    body = fields + bytes([header_check(fields)]) + payload
    return SYNC + body + CRC.pack(zlib.crc32(body))


def header_check(fields: bytes) -> int:
    return 0xFF - sum(fields) % 256


class FrameDecoder:
    """Bytes in, whole CRC-checked frames out; counts what it had to throw away."""

    def __init__(self, max_payload: int = MAX_PAYLOAD):
        self.max_payload = max_payload
        self.buffer = bytearray()
        self.bad_frames = 0      # headers or CRCs that did not check
        self.skipped_bytes = 0   # bytes dropped while looking for a frame

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def missing(self) -> int:
        """At least how many more bytes the frame being received needs (1 when unknown)."""
        if len(self.buffer) < HEADER.size:
            return HEADER.size - len(self.buffer)
        length = HEADER.unpack_from(self.buffer)[3]
        return max(1, HEADER.size + length + CRC.size - len(self.buffer))

    def abandon_partial(self) -> list[Frame]:
        """After a timeout: the frame being received will not complete (its length was corrupted or
        bytes were lost), so drop it and return any whole frame found in the bytes after it."""
        if not self.buffer:
            return []
        self._resync()
        return self.feed(b"")

    def _skip(self, count: int) -> None:
        del self.buffer[:count]
        self.skipped_bytes += count

    def _resync(self) -> None:
        """Drop bytes up to the next sync marker after the buffer's first byte."""
        self.bad_frames += 1
        at = self.buffer.find(SYNC, 1)
        if at < 0:   # keep a trailing first sync byte: its partner may be in the next read
            at = len(self.buffer) - (1 if self.buffer.endswith(SYNC[:1]) else 0)
        self._skip(at)

    def _next(self) -> Frame | None:
        while True:
            at = self.buffer.find(SYNC)
            if at != 0:
                keep = 1 if at < 0 and self.buffer.endswith(SYNC[:1]) else 0
                self._skip(at if at > 0 else len(self.buffer) - keep)
                if at < 0:
                    return None
            if len(self.buffer) < HEADER.size:
                return None
            _, frame_type, seq, length, check = HEADER.unpack_from(self.buffer)
            if length > self.max_payload or check != header_check(self.buffer[2:HEADER.size - 1]):
                self._resync()
                continue
            end = HEADER.size + length
            if len(self.buffer) < end + CRC.size:
                return None
            (crc,) = CRC.unpack_from(self.buffer, end)
            if zlib.crc32(self.buffer[2:end]) != crc:
                self._resync()
                continue
            frame = Frame(frame_type, seq, bytes(self.buffer[HEADER.size:end]))
            del self.buffer[:end + CRC.size]
            return frame
