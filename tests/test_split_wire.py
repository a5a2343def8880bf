"""The split wire format: round trips, and refuses frames with a bad CRC, length, version or size."""

import zlib

import numpy as np
import pytest

from tinyctl.split import wire


def _tensor():
    return wire.tensor_frame(41, np.arange(-60, 60, dtype=np.int8).reshape(1, 4, 5, 6), 0.0312, -7, "NHWC")


def test_tensor_result_and_error_frames_round_trip():
    frame = _tensor()
    data = wire.encode(frame)
    assert len(data) == wire.HEADER.size + 4 * 4 + 120 + 4
    back = wire.decode(data)
    assert (back.kind, back.sequence, back.layout, back.zero_point) == (wire.KIND_TENSOR, 41, "NHWC", -7)
    assert back.scale == pytest.approx(0.0312) and back.array.dtype == np.int8
    np.testing.assert_array_equal(back.array, frame.array)
    result = wire.decode(wire.encode(wire.result_frame(9, np.array([[1.5, -2.25]]), part=1, parts=2)))
    assert (result.part, result.parts) == (1, 2) and result.array.tolist() == [[1.5, -2.25]]
    error = wire.decode(wire.encode(wire.error_frame(3, wire.BAD_CRC, "CRC32 mismatch")))
    assert error.kind == wire.KIND_ERROR and error.zero_point == wire.BAD_CRC and error.message == "CRC32 mismatch"
    assert zlib.crc32(data[:-4]) == int.from_bytes(data[-4:], "little")


def _expect(data: bytes, code: int, **kwargs) -> wire.WireError:
    with pytest.raises(wire.WireError) as caught:
        wire.decode(data, **kwargs)
    assert caught.value.code == code
    return caught.value


def test_rejects_a_bad_crc_anywhere():
    data = bytearray(wire.encode(_tensor()))
    for offset in (9, 14, 30, 100, len(data) - 1):
        corrupt = bytearray(data)
        corrupt[offset] ^= 0x10
        assert not _expect(bytes(corrupt), wire.BAD_CRC).fatal


def _recrc(body: bytes) -> bytes:
    return body + zlib.crc32(body).to_bytes(4, "little")


def test_rejects_bad_length_version_magic_and_oversize():
    data = wire.encode(_tensor())
    _expect(data[:-1], wire.BAD_LENGTH)                         # truncated
    _expect(data[:10], wire.BAD_LENGTH)                         # not even a header
    shorter = bytearray(data[:-4])
    shorter[24:28] = (119).to_bytes(4, "little")                # length disagrees with the shape
    _expect(_recrc(bytes(shorter[:-1])), wire.BAD_LENGTH)
    old = bytearray(data[:-4])
    old[4] = 2
    assert _expect(_recrc(bytes(old)), wire.BAD_VERSION).fatal
    assert _expect(b"HTTP" + data[4:], wire.BAD_MAGIC).fatal
    assert _expect(data, wire.TOO_LARGE, max_frame=64).fatal
    kind = bytearray(data[:-4])
    kind[5] = 9
    _expect(_recrc(bytes(kind)), wire.BAD_FIELD)


def test_rejects_overflowing_dimensions_and_non_finite_scales():
    data = bytearray(wire.encode(_tensor())[:-4])
    data[20] = 4
    overflow = bytes(data[:wire.HEADER.size - 4]) + (0).to_bytes(4, "little") + (1 << 16).to_bytes(4, "little") * 4
    assert not _expect(_recrc(overflow), wire.BAD_LENGTH).fatal            # 2**64 elements in a 0-byte payload
    for scale in (float("nan"), float("inf"), float("-inf")):
        scaled = bytearray(wire.encode(_tensor())[:-4])
        scaled[12:16] = np.float32(scale).tobytes()
        assert "not a finite number" in str(_expect(_recrc(bytes(scaled)), wire.BAD_FIELD))
