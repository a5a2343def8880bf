"""The host side of runner mode: a session with one board over a link (pyserial or a pipe).

Requests wait for the reply with the same sequence number; on a timeout the same frame is sent
again (the board answers a repeated sequence number from its reply cache, so nothing runs twice).
A BOOT frame or a "no session" error means the board restarted: the session handshakes again and
the inference starts over. Every result is checked end to end (CRC-32 of the input the board ran
on and of the output it produced) before it is returned."""

from __future__ import annotations

import os
import struct
import time
import zlib
from dataclasses import dataclass

from ..codegen.model_info import DIGEST_BYTES
from ..errors import TinyctlError
from .frames import (BOOT, BYE, ERR_NO_SESSION, ERROR, ERRORS, HELLO, INFER, LOAD, READ_CYCLES, READ_OUTPUT,
                     REPLY, Frame, FrameDecoder, encode_frame)

PROTOCOL_VERSION = 1
RESTARTS_PER_INFERENCE = 4
REFLASH_HINT = "the firmware and tinyctl disagree on the protocol; rebuild and reflash the firmware"


class BoardRestarted(Exception):
    """The board rebooted during a request (its session state is gone)."""


class ResultRejected(Exception):
    """The board's end-to-end CRCs disagree with the bytes the host sent or received."""


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    scale: float
    zero_point: int
    size: int


@dataclass(frozen=True)
class BoardInfo:
    protocol_version: int
    board: str
    model_digest: bytes
    input: TensorInfo
    output: TensorInfo
    has_cycle_counter: bool
    max_payload: int
    clock_hz: int | None = None   # the core clock the firmware runs at; 0: it sets none; None: not reported


@dataclass
class LinkStats:
    retries: int = 0          # requests sent again after a timeout
    restarts: int = 0         # board reboots detected and recovered from
    rejected_results: int = 0  # inferences redone because the end-to-end CRCs disagreed
    bad_frames: int = 0        # frames that failed their header or CRC check


def _tensor(payload: bytes, at: int) -> tuple[TensorInfo, int]:
    rank = payload[at]
    dims = struct.unpack_from(f"<{rank}H", payload, at + 1)
    scale, zero_point, size = struct.unpack_from("<fiI", payload, at + 1 + 2 * rank)
    return TensorInfo(tuple(dims), scale, zero_point, size), at + 1 + 2 * rank + 12


def parse_hello(payload: bytes) -> BoardInfo:
    version, counter, max_payload, _session = struct.unpack_from("<BBHI", payload)
    digest = payload[8:8 + DIGEST_BYTES]
    at = 8 + DIGEST_BYTES
    board = payload[at + 1:at + 1 + payload[at]].decode(errors="replace")
    inp, at = _tensor(payload, at + 1 + payload[at])
    out, at = _tensor(payload, at)
    # The clock came last, after protocol 1 was out: firmware built before it ends at the output tensor.
    clock_hz = struct.unpack_from("<I", payload, at)[0] if len(payload) >= at + 4 else None
    return BoardInfo(version, board, bytes(digest), inp, out, bool(counter), max_payload, clock_hz)


def _malformed(request: str, exc: Exception) -> TinyctlError:
    return TinyctlError(f"the board's {request} reply is malformed ({exc})", REFLASH_HINT)


class BoardSession:
    """One board in runner mode. A request is sent again after timeout_s without a reply, `tries`
    times before the board counts as silent; an inference may take infer_timeout_s longer."""

    def __init__(self, link, timeout_s: float = 2.0, infer_timeout_s: float = 30.0, tries: int = 8):
        self.link = link
        self.timeout_s, self.infer_timeout_s, self.tries = timeout_s, infer_timeout_s, tries
        self.decoder = FrameDecoder()
        self.stats = LinkStats()
        self.info: BoardInfo | None = None
        self._seq = int.from_bytes(os.urandom(2), "little") or 1
        self._session_id = 0

    def _next_seq(self) -> int:
        self._seq = self._seq % 0xFFFF + 1   # 1..65535: 0 is the board's own BOOT frame
        return self._seq

    def _read_frames(self, deadline: float) -> list[Frame]:
        """Frames that arrive before the deadline (possibly none)."""
        try:
            self.link.timeout = max(0.0, min(0.05, deadline - time.monotonic()))
            data = self.link.read(self.decoder.missing())
        except OSError as exc:   # pyserial's SerialException is one: the peer is gone
            raise TinyctlError(f"the serial link failed: {exc}",
                               "check that the board (or QEMU) is still running and the port is right") from exc
        frames = self.decoder.feed(data) if data else []
        self.stats.bad_frames = self.decoder.bad_frames
        return frames

    def _await_reply(self, frame_type: int, seq: int, timeout_s: float) -> Frame | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for frame in self._read_frames(deadline):
                if frame.type == BOOT and frame_type != HELLO:
                    raise BoardRestarted()
                if frame.seq == seq and frame.type in (frame_type | REPLY, ERROR):
                    return frame
        for frame in self.decoder.abandon_partial():
            if frame.seq == seq and frame.type in (frame_type | REPLY, ERROR):
                return frame
        return None

    def request(self, frame_type: int, payload: bytes = b"", patience_s: float = 0.0) -> bytes:
        """Send one request and return its reply's payload. Each try waits timeout_s plus the frame's
        transfer time, then sends the same frame again; patience_s adds tries for a request that takes
        long on the board (an inference: a repeat while it runs just gets the cached reply)."""
        seq = self._next_seq()
        frame = encode_frame(frame_type, seq, payload)
        wait = self.timeout_s + len(frame) / 2000   # a slow UART: about 20 kB/s at worst
        tries = self.tries + int(patience_s / wait)
        for attempt in range(tries):
            if attempt:
                self.stats.retries += 1
            self.link.write(frame)
            reply = self._await_reply(frame_type, seq, wait)
            if reply is None:
                continue
            if reply.type == ERROR:
                return self._error(frame_type, reply.payload)
            return reply.payload
        raise TinyctlError(f"the board did not answer request type 0x{frame_type:02x} after {tries} tries "
                           f"({wait:.1f} s each)",
                           "check the port and that the board runs tinyctl firmware (reset it, or reflash with "
                           "`tinyctl flash`)")

    def _error(self, frame_type: int, payload: bytes) -> bytes:
        code = payload[0] if payload else 0
        if code == ERR_NO_SESSION:
            raise BoardRestarted()
        message = ERRORS.get(code, f"error code {code}")
        raise TinyctlError(f"the board refused request type 0x{frame_type:02x}: {message}", REFLASH_HINT)

    def handshake(self) -> BoardInfo:
        """HELLO: opens a session; returns what the board runs."""
        self._session_id = int.from_bytes(os.urandom(4), "little")
        payload = self.request(HELLO, struct.pack("<I", self._session_id))
        try:
            info = parse_hello(payload)
        except (struct.error, IndexError) as exc:
            raise _malformed("HELLO", exc) from exc
        if info.protocol_version != PROTOCOL_VERSION:
            raise TinyctlError(f"the board speaks runner protocol {info.protocol_version}, tinyctl speaks "
                               f"{PROTOCOL_VERSION}", "rebuild and reflash the firmware with this tinyctl")
        if self.info is not None and info != self.info:
            raise TinyctlError("the board came back from a restart with different firmware",
                               "do not reflash during a run; start `tinyctl run` again")
        self.info = info
        return info

    def _infer_once(self, data: bytes) -> tuple[bytes, int]:
        chunk = self.info.max_payload - 4
        for offset in range(0, len(data), chunk):
            self.request(LOAD, struct.pack("<I", offset) + data[offset:offset + chunk])
        reply = self.request(INFER, patience_s=self.infer_timeout_s)
        try:
            cycles, input_crc, output_crc, size = struct.unpack("<4I", reply)
        except struct.error as exc:
            raise _malformed("INFER", exc) from exc
        if input_crc != zlib.crc32(data):
            raise ResultRejected()   # the board ran on other bytes than ours
        output = bytearray()
        while len(output) < size:
            want = min(chunk, size - len(output))
            reply = self.request(READ_OUTPUT, struct.pack("<IH", len(output), want))
            output += reply[4:4 + want]
        if zlib.crc32(output) != output_crc:
            raise ResultRejected()
        return bytes(output), cycles

    def infer(self, input_bytes: bytes) -> tuple[bytes, int]:
        """One inference: (output bytes, cycles; 0 cycles where the board has no cycle counter)."""
        if self.info is None:
            self.handshake()
        if len(input_bytes) != self.info.input.size:
            raise TinyctlError(f"the input has {len(input_bytes)} bytes, the board's model takes "
                               f"{self.info.input.size}", "quantize the input as the model's input tensor")
        for _ in range(RESTARTS_PER_INFERENCE):
            try:
                return self._infer_once(bytes(input_bytes))
            except BoardRestarted:
                self.stats.restarts += 1
                self.handshake()
            except ResultRejected:
                self.stats.rejected_results += 1
        raise TinyctlError(f"one inference failed {RESTARTS_PER_INFERENCE} times (the board restarted or its "
                           "result did not check)", "check the board's power supply, reset line and cable")

    def read_cycles(self) -> tuple[int, bool]:
        """(cycles of the last inference, whether the board has a cycle counter)."""
        reply = self.request(READ_CYCLES)
        try:
            cycles, counter = struct.unpack("<IB", reply)
        except struct.error as exc:
            raise _malformed("READ_CYCLES", exc) from exc
        return cycles, bool(counter)

    def close(self, goodbye: bool = True) -> None:
        """Close the link; with goodbye the firmware first leaves runner mode (under QEMU it exits)."""
        try:
            if goodbye:
                self.request(BYE)
        finally:
            self.link.close()
