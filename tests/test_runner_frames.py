"""Runner protocol framing on the host alone: CRC reject, resynchronisation after garbage, partial
frames; no board and no QEMU."""

import random
import zlib

import pytest

from tinyctl.runner.frames import CRC, HEADER, LOAD, SYNC, Frame, FrameDecoder, encode_frame


def test_a_frame_round_trips_and_its_crc_is_zlibs():
    raw = encode_frame(LOAD, 0x1234, b"\x00\x01payload")
    assert raw[:2] == SYNC and len(raw) == HEADER.size + 9 + CRC.size
    assert CRC.unpack(raw[-4:])[0] == zlib.crc32(raw[2:-4])
    assert FrameDecoder().feed(raw) == [Frame(LOAD, 0x1234, b"\x00\x01payload")]


def test_every_single_bit_flip_is_rejected():
    raw = encode_frame(LOAD, 7, bytes(range(40)))
    for bit in range(8 * len(raw)):
        corrupt = bytearray(raw)
        corrupt[bit // 8] ^= 1 << (bit % 8)
        decoder = FrameDecoder()
        assert decoder.feed(bytes(corrupt)) == [], bit
        assert decoder.abandon_partial() == []


def test_resync_after_garbage_and_a_corrupt_frame():
    good = [encode_frame(LOAD, seq, bytes([seq]) * seq) for seq in range(1, 6)]
    bad = bytearray(good[1])
    bad[-1] ^= 0xFF
    stream = b"\x00garbage\xa5" + good[0] + bytes(bad) + SYNC + b"\x01" + good[2] + good[3] + b"\xa5\xa5" + good[4]
    decoder = FrameDecoder()
    frames = decoder.feed(stream)
    assert [f.seq for f in frames] == [1, 3, 4, 5]
    assert decoder.bad_frames >= 2 and decoder.skipped_bytes > 0


def test_frames_split_at_every_byte_boundary():
    raw = encode_frame(LOAD, 9, b"abc") + encode_frame(LOAD, 10, b"")
    for cut in range(1, len(raw)):
        decoder = FrameDecoder()
        frames = decoder.feed(raw[:cut]) + decoder.feed(raw[cut:])
        assert [f.seq for f in frames] == [9, 10], cut


def test_a_corrupted_length_is_recovered_by_abandoning_the_partial_frame():
    first, second = encode_frame(LOAD, 1, b"x" * 10), encode_frame(LOAD, 2, b"y" * 10)
    bad = bytearray(first)
    bad[5], bad[7] = 200, (bad[7] - 190) % 256   # claims 200 payload bytes (and checks): the decoder waits for them
    decoder = FrameDecoder()
    assert decoder.feed(bytes(bad) + second) == []
    assert decoder.missing() > 1
    assert [f.seq for f in decoder.abandon_partial()] == [2]


def test_oversized_lengths_resync_at_once():
    bad = encode_frame(LOAD, 1, bytes(60000))[:HEADER.size]
    good = encode_frame(LOAD, 2, b"z")
    assert [f.seq for f in FrameDecoder(max_payload=1024).feed(bad + good)] == [2]


def test_random_noise_never_yields_a_frame():
    rng = random.Random(0)
    noise = bytes(rng.randrange(256) for _ in range(200_000)).replace(SYNC, b"\xa5\x00")
    noise = b"".join(SYNC + noise[i:i + 50] for i in range(0, len(noise), 50))   # many false starts
    assert FrameDecoder().feed(noise) == []


def test_a_payload_too_large_for_the_length_field_is_refused():
    with pytest.raises(ValueError):
        encode_frame(LOAD, 1, bytes(70000))
