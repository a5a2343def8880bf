"""The tail server: 1,000 requests from concurrent clients, malformed frames answered, a clean shutdown."""

import asyncio
import os
import signal
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch

from tinyctl.models.split.modules import SplitHeadConfig, SplitTail
from tinyctl.models.zoo.binary_cnn import BinaryDetector, BinaryDetectorConfig
from tinyctl.split import wire
from tinyctl.split.client import TailClient
from tinyctl.split.partition import export_onnx
from tinyctl.split.server import TailServer
from tinyctl.split.tail import TailModel

CODE = (4, 2, 2)   # what the head sends, NCHW


@pytest.fixture(scope="module")
def tail_path(tmp_path_factory):
    torch.manual_seed(0)
    base = BinaryDetector(BinaryDetectorConfig(input_size=16, widths=(4, 8))).eval()
    config = SplitHeadConfig("binary_cnn", base.config.to_dict(), cut=9, cut_shape=(4, 4, 4), ratio=1, stages=1)
    path = tmp_path_factory.mktemp("tail") / "tail.onnx"
    export_onnx(SplitTail(config, base).eval(), torch.zeros((1, *CODE)), path, "code", ["logit"])
    return path


def _codes(count, seed):
    return np.random.default_rng(seed).integers(-128, 128, (count, 1, 2, 2, 4), dtype=np.int8)   # NHWC


async def _client(port, codes, tail):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for sequence, code in enumerate(codes):
        writer.write(wire.encode(wire.tensor_frame(sequence, code, 0.05, -3, "NHWC")))
        await writer.drain()
        answer = await wire.read_frame(reader)
        assert answer.kind == wire.KIND_RESULT and answer.sequence == sequence
        expected = tail.infer(wire.tensor_frame(sequence, code, 0.05, -3, "NHWC"))[0]
        np.testing.assert_allclose(answer.array, expected, rtol=1e-6)
    writer.close()


async def _exchange(port, data: bytes, read=True):
    """Send raw bytes, then read every frame until the server closes or stays silent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    frames = []
    while read:
        try:
            frame = await asyncio.wait_for(wire.read_frame(reader), timeout=2)
        except (asyncio.TimeoutError, wire.WireError, ConnectionError):
            break
        if frame is None:
            break
        frames.append(frame)
    writer.close()
    return frames


def _recrc(body: bytes) -> bytes:
    return body + zlib.crc32(body).to_bytes(4, "little")


def _malformed(good: bytes) -> dict:
    bad_crc = bytearray(good)
    bad_crc[30] ^= 1
    oversize = bytearray(good[:-4])
    oversize[24:28] = (1 << 30).to_bytes(4, "little")
    wrong_shape = wire.encode(wire.tensor_frame(5, np.zeros((1, 3, 3, 4), np.int8), 0.05, -3, "NHWC"))
    result_kind = wire.encode(wire.result_frame(6, np.zeros(3)))
    return {"crc": bytes(bad_crc), "magic": b"GET / HTTP/1.1\r\n\r\n" + b"x" * 20, "oversize": _recrc(bytes(oversize)),
            "shape": wrong_shape, "kind": result_kind, "truncated": good[:40], "garbage": os.urandom(64)}


def test_thousand_requests_from_concurrent_clients_and_malformed_frames(tail_path):
    tail = TailModel(tail_path)

    async def scenario():
        server = TailServer(tail, max_frame=4096)
        _, port = await server.start()
        await asyncio.gather(*(_client(port, _codes(125, seed), tail) for seed in range(8)))
        assert server.stats.answered == 1000
        good = wire.encode(wire.tensor_frame(77, _codes(1, 99)[0], 0.05, -3, "NHWC"))
        bad = _malformed(good)
        # Recoverable errors keep the connection: each is answered, then the good frame after them is served.
        frames = await _exchange(port, bad["crc"] + bad["shape"] + bad["kind"] + good)
        assert [f.zero_point for f in frames[:3]] == [wire.BAD_CRC, wire.BAD_SHAPE, wire.BAD_FIELD]
        assert frames[3].kind == wire.KIND_RESULT and frames[3].sequence == 77
        for name, code in (("magic", wire.BAD_MAGIC), ("oversize", wire.TOO_LARGE)):
            frames = await _exchange(port, bad[name] + good)       # framing lost: one error, then closed
            assert [f.zero_point for f in frames] == [code] and frames[0].kind == wire.KIND_ERROR, name
        await asyncio.gather(*(_exchange(port, bad["truncated"], read=False) for _ in range(20)),
                             *(_exchange(port, os.urandom(int(n))) for n in np.random.default_rng(1).integers(1, 300, 50)))
        await _client(port, _codes(5, 123), tail)                  # still serving
        await server.close()
        return server.stats

    stats = asyncio.run(scenario())
    assert stats.answered == 1000 + 1 + 5 and stats.errors[wire.BAD_CRC] == 1
    assert sum(stats.errors.values()) >= 5 + 50


def test_serve_cli_answers_then_stops_on_sigint(tail_path):
    process = subprocess.Popen([sys.executable, "-m", "tinyctl.cli", "split", "serve", str(tail_path), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        with TailClient("127.0.0.1", port) as client:
            (logit,) = client.infer(_codes(1, 5)[0], 0.05, -3, "NHWC")
        assert logit.shape == (1, 1)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "1 answered" in process.stdout.read()
    finally:
        process.kill()


def _tensor_frame(sequence: int, scale: float, dims: tuple, payload: bytes = b"") -> bytes:
    """A tensor frame with any scale and dimensions (encode refuses what does not hold together)."""
    head = wire.HEADER.pack(wire.MAGIC, wire.VERSION, wire.KIND_TENSOR, 1, wire.LAYOUT_CODES["NHWC"], sequence,
                            scale, -3, len(dims), 0, 1, len(payload))
    return _recrc(head + b"".join(wire.DIM.pack(d) for d in dims) + payload)


def test_overflowing_dimensions_and_non_finite_scales_get_error_frames_and_the_stream_stays(tail_path):
    good = wire.encode(wire.tensor_frame(9, _codes(1, 4)[0], 0.05, -3, "NHWC"))
    payload = _codes(1, 4)[0].tobytes()
    hostile = [_tensor_frame(1, 0.05, (1 << 16,) * 4),             # 2**64 elements: an int64 product wraps to 0
               _tensor_frame(2, 0.05, (0xFFFFFFFF,) * 8),
               *(_tensor_frame(3 + i, scale, (1, 2, 2, 4), payload) for i, scale in
                 enumerate([float("nan"), float("inf"), float("-inf")]))]

    async def scenario():
        server = TailServer(TailModel(tail_path), max_frame=4096)
        _, port = await server.start()
        frames = await _exchange(port, b"".join(hostile) + good)
        await server.close()
        return frames

    frames = asyncio.run(scenario())
    assert [(f.kind, f.sequence, f.zero_point) for f in frames[:5]] == (
        [(wire.KIND_ERROR, 1, wire.BAD_LENGTH), (wire.KIND_ERROR, 2, wire.BAD_LENGTH)]
        + [(wire.KIND_ERROR, sequence, wire.BAD_FIELD) for sequence in (3, 4, 5)])
    assert "not a finite number" in frames[2].message
    assert frames[5].kind == wire.KIND_RESULT and frames[5].sequence == 9 and np.isfinite(frames[5].array).all()


def test_idle_and_slow_connections_time_out_so_a_real_client_gets_in(tail_path):
    tail, timeout = TailModel(tail_path), 1.0

    async def scenario():
        server = TailServer(tail, max_clients=64, idle_timeout_s=timeout)
        _, port = await server.start()
        started = asyncio.get_running_loop().time()
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(63)]
        slow = await asyncio.open_connection("127.0.0.1", port)
        slow[1].write(_tensor_frame(1, 0.05, (1, 2, 2, 4), b"\0" * 16)[:20])   # half a header, then nothing
        while server.stats.connections < 64:
            await asyncio.sleep(0.01)
        refused = await _exchange(port, b"", read=True)                      # the slots are all taken
        assert [f.message for f in refused] == ["too many clients, try again later"]
        served_after = None
        while served_after is None:
            try:
                await _client(port, _codes(1, 7), tail)
                served_after = asyncio.get_running_loop().time() - started
            except (AssertionError, ConnectionError, asyncio.IncompleteReadError):
                await asyncio.sleep(0.05)
        answers = [await wire.read_frame(reader) for reader, _ in idle + [slow]]
        await server.close()
        return served_after, answers

    served_after, answers = asyncio.run(scenario())
    assert timeout <= served_after < timeout + 1.5
    assert {(f.kind, f.zero_point) for f in answers} == {(wire.KIND_ERROR, wire.TIMED_OUT)}
