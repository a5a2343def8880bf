"""The firmware app's runner mode, built for the host and spoken to over a pipe: the C side of the
protocol (framing, resync, idempotent retries, error frames) and BoardSession against it, fast."""

import struct
import time
import zlib

import numpy as np
import pytest

from tinyctl.graph import read_graph
from tinyctl.runner import BoardSession, spawn_host_runner
from tinyctl.runner.board_run import run_clock
from tinyctl.runner.frames import (BOOT, ERROR, HELLO, INFER, LOAD, READ_OUTPUT, REPLY, FrameDecoder,
                                   encode_frame)
from tinyctl.runner.session import parse_hello
from tinyctl.targets import resolve_board
from tinyctl.codegen.model_info import model_digest
from tinyctl.firmware_run import HOST_EXECUTABLE
from tinyctl.runtimes import tflm_int8_outputs


class Raw:
    """Frames by hand over the host runner's pipe."""

    def __init__(self, link):
        self.link, self.decoder = link, FrameDecoder()

    def frames(self, wait_s=1.0):
        out, deadline = [], time.monotonic() + wait_s
        while time.monotonic() < deadline and not out:
            self.link.timeout = 0.05
            out = self.decoder.feed(self.link.read(self.decoder.missing()))
        return out

    def ask(self, frame_type, seq, payload=b"", prefix=b""):
        self.link.write(prefix + encode_frame(frame_type, seq, payload))
        return self.frames()


@pytest.fixture
def raw(default_build):
    link = spawn_host_runner(default_build[0] / HOST_EXECUTABLE)
    raw = Raw(link)
    assert [f.type for f in raw.frames()] == [BOOT]
    yield raw
    link.close()


def test_handshake_describes_the_builds_model(default_build):
    directory, report = default_build
    tflite = (directory / "model_int8.tflite").read_bytes()
    graph = read_graph(tflite)
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    session = BoardSession(spawn_host_runner(directory / HOST_EXECUTABLE))
    info = session.handshake()
    assert info.board == report["board"]["name"] and info.model_digest == model_digest(tflite)
    assert info.input.shape == inp.shape and info.output.shape == out.shape
    assert info.input.scale == np.float32(inp.scale[0]) and info.input.zero_point == inp.zero_point[0]
    assert info.output.scale == np.float32(out.scale[0]) and info.output.zero_point == out.zero_point[0]
    assert not info.has_cycle_counter and info.input.size == int(np.prod(inp.shape))
    assert info.clock_hz == 0   # the host sets no clock: its handshake says so
    rng = np.random.default_rng(1)
    inputs = rng.integers(-128, 128, (8, *inp.shape[1:]), dtype=np.int8)
    expected = tflm_int8_outputs(tflite, inputs)
    for x, want in zip(inputs, expected):
        output, cycles = session.infer(x.tobytes())
        assert np.frombuffer(output, np.int8).tolist() == want.tolist() and cycles == 0
    assert session.read_cycles() == (0, False)   # the host has no cycle counter
    session.close()
    assert session.stats.retries == 0 and session.stats.bad_frames == 0


def test_garbage_and_a_bad_crc_are_skipped(raw):
    [reply] = raw.ask(HELLO, 1, b"\0\0\0\0", prefix=b"\x00\xff noise \xa5\x5a\x01\x02")
    assert reply.type == HELLO | REPLY and reply.seq == 1
    bad = bytearray(encode_frame(LOAD, 2, bytes(8)))
    bad[-1] ^= 1
    raw.link.write(bytes(bad))
    assert raw.frames(wait_s=0.3) == []              # no answer to a frame that fails its CRC
    [reply] = raw.ask(LOAD, 2, bytes(8))             # the retry is answered
    assert reply.type == LOAD | REPLY and struct.unpack("<I", reply.payload) == (4,)


def test_a_repeated_sequence_number_gets_the_cached_reply(raw, default_build):
    size = 64 * 64
    raw.ask(HELLO, 1, b"\0\0\0\0")
    for seq, offset in enumerate(range(0, size, 1020), start=2):
        raw.ask(LOAD, seq, struct.pack("<I", offset) + bytes(min(1020, size - offset)))
    [first] = raw.ask(INFER, 50)
    [again] = raw.ask(INFER, 50)      # a retry: answered from the cache, not run on a consumed input
    assert first == again and first.type == INFER | REPLY
    assert struct.unpack("<4I", first.payload)[1] == zlib.crc32(bytes(size))
    [fresh] = raw.ask(INFER, 51)      # a new request: the input was consumed by the first inference
    assert fresh.type == ERROR and fresh.payload[0] == 5


def test_errors_come_back_as_error_frames(raw):
    [no_session] = raw.ask(LOAD, 1, bytes(8))
    assert no_session.type == ERROR and list(no_session.payload) == [3, LOAD]
    raw.ask(HELLO, 2, b"\0\0\0\0")
    for frame_type, payload, code in [(0x42, b"", 1), (READ_OUTPUT, struct.pack("<IH", 0, 1), 6),
                                      (LOAD, struct.pack("<I", 99999) + b"x", 4), (HELLO, b"", 2)]:
        [reply] = raw.ask(frame_type, 10 + code, payload)
        assert reply.type == ERROR and reply.seq == 10 + code and reply.payload[0] == code


def _hello(clock_hz=None) -> bytes:
    """A HELLO reply by hand: version, counter, max payload, session, digest, board, input and output tensors,
    then the clock when given (firmware from before the clock ends at the output tensor)."""
    tensor = struct.pack("<B2HfiI", 2, 1, 8, 0.5, -3, 8)
    payload = struct.pack("<BBHI", 1, 0, 1024, 7) + bytes(range(16)) + bytes([3]) + b"g0b" + tensor + tensor
    return payload + (struct.pack("<I", clock_hz) if clock_hz is not None else b"")


def test_the_handshake_carries_the_clock_and_older_firmware_still_parses():
    assert parse_hello(_hello(64_000_000)).clock_hz == 64_000_000
    old = parse_hello(_hello())
    assert old.clock_hz is None and old.board == "g0b" and old.output.shape == (1, 8) and old.output.size == 8


def test_milliseconds_use_the_clock_the_firmware_reports():
    f446, h743 = resolve_board("nucleo-f446re"), resolve_board("nucleo-h743zi")
    reached = run_clock(f446, 180_000_000, stand_in=False)
    assert reached["clock_hz"] == 180_000_000 and reached["warning"] is None
    assert reached["source"] == "reported by the firmware"
    failed = run_clock(f446, 16_000_000, stand_in=False)   # the PLL did not lock (QEMU netduinoplus2)
    assert failed["clock_hz"] == 16_000_000 and failed["planned_hz"] == 180_000_000
    assert "runs at 16 MHz, not the build's planned 180 MHz" in failed["warning"]
    unknown = run_clock(f446, None, stand_in=False)   # firmware built before the handshake carried the clock
    assert unknown["clock_hz"] is None and "does not report its clock" in unknown["warning"]
    stand_in = run_clock(h743, 0, stand_in=True)   # mps2-an500 sets none: the estimate is the silicon image's
    assert stand_in["clock_hz"] == 400_000_000 and stand_in["warning"] is None and "stand-in" in stand_in["source"]
    host = run_clock(resolve_board("host"), 0, stand_in=False)
    assert host["clock_hz"] is None and host["warning"] is None
