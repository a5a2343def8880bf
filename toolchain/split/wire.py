"""The wire format between a split head and its tail server (docs/split-wire-format.md).

One frame, little-endian: a 28-byte header (magic "TSPL", version, kind, dtype, layout, sequence,
scale, zero point, ndim, part, parts, a zero byte, payload length), ndim uint32 dimensions, the
payload, and a CRC32 (zlib) of everything before it. A tensor frame carries the head's int8 output,
a result frame the tail's float32 output(s), an error frame a UTF-8 message and its code.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np

MAGIC = b"TSPL"
VERSION = 1
HEADER = struct.Struct("<4sBBBBIfiBBBxI")
DIM = struct.Struct("<I")
CRC = struct.Struct("<I")
MAX_DIMS = 8
DEFAULT_MAX_FRAME = 1 << 20

KIND_TENSOR, KIND_RESULT, KIND_ERROR = 1, 2, 3
DTYPES = {1: np.dtype(np.int8), 2: np.dtype(np.float32), 3: np.dtype(np.uint8)}
DTYPE_CODES = {dtype: code for code, dtype in DTYPES.items()}
LAYOUTS = {0: "NCHW", 1: "NHWC", 2: "flat"}
LAYOUT_CODES = {name: code for code, name in LAYOUTS.items()}

# Error codes (an error frame carries its code in the zero-point field).
BAD_MAGIC, BAD_VERSION, BAD_LENGTH, BAD_CRC, TOO_LARGE, BAD_FIELD, BAD_SHAPE, INFERENCE_FAILED, TIMED_OUT = range(1, 10)


class WireError(ValueError):
    """A frame that cannot be used; `fatal` when the stream has lost its framing and must be closed."""

    def __init__(self, code: int, message: str, fatal: bool = False, sequence: int = 0):
        super().__init__(message)
        self.code, self.fatal, self.sequence = code, fatal, sequence


@dataclass(frozen=True)
class Frame:
    kind: int
    sequence: int
    array: np.ndarray
    scale: float = 1.0
    zero_point: int = 0
    layout: str = "flat"
    part: int = 0
    parts: int = 1

    @property
    def message(self) -> str:
        return self.array.tobytes().decode("utf-8", "replace")


def tensor_frame(sequence: int, array: np.ndarray, scale: float, zero_point: int, layout: str) -> Frame:
    return Frame(KIND_TENSOR, sequence, np.asarray(array, np.int8), scale, zero_point, layout)


def result_frame(sequence: int, array: np.ndarray, part: int = 0, parts: int = 1) -> Frame:
    return Frame(KIND_RESULT, sequence, np.asarray(array, np.float32), part=part, parts=parts)


def error_frame(sequence: int, code: int, message: str) -> Frame:
    return Frame(KIND_ERROR, sequence, np.frombuffer(message.encode()[:4000], np.uint8), zero_point=code)


def encode(frame: Frame) -> bytes:
    array = np.ascontiguousarray(frame.array)
    if array.dtype not in DTYPE_CODES or array.ndim > MAX_DIMS:
        raise ValueError(f"cannot send a {array.dtype} tensor of {array.ndim} dimensions")
    payload = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    head = HEADER.pack(MAGIC, VERSION, frame.kind, DTYPE_CODES[array.dtype], LAYOUT_CODES[frame.layout],
                       frame.sequence & 0xFFFFFFFF, frame.scale, frame.zero_point, array.ndim, frame.part,
                       frame.parts, len(payload))
    body = head + b"".join(DIM.pack(d) for d in array.shape) + payload
    return body + CRC.pack(zlib.crc32(body))


def parse_header(header: bytes, max_frame: int = DEFAULT_MAX_FRAME) -> tuple[tuple, int]:
    """Check the fixed header; returns its fields and how many bytes of the frame follow it."""
    if len(header) != HEADER.size:
        raise WireError(BAD_LENGTH, f"truncated header ({len(header)} of {HEADER.size} bytes)", fatal=True)
    fields = HEADER.unpack(header)
    magic, version, ndim, length = fields[0], fields[1], fields[8], fields[-1]
    if magic != MAGIC:
        raise WireError(BAD_MAGIC, f"bad magic {magic!r} (expected {MAGIC!r})", fatal=True)
    if version != VERSION:
        raise WireError(BAD_VERSION, f"wire version {version} is not supported (this side speaks {VERSION})",
                        fatal=True, sequence=fields[5])
    if ndim > MAX_DIMS:
        raise WireError(BAD_FIELD, f"{ndim} dimensions (at most {MAX_DIMS})", fatal=True, sequence=fields[5])
    rest = ndim * DIM.size + length + CRC.size
    if HEADER.size + rest > max_frame:
        raise WireError(TOO_LARGE, f"frame of {HEADER.size + rest} bytes exceeds the limit of {max_frame}",
                        fatal=True, sequence=fields[5])
    return fields, rest


def parse_body(header: bytes, fields: tuple, rest: bytes) -> Frame:
    """The frame from its checked header and the bytes after it (dimensions, payload, CRC)."""
    _, _, kind, dtype, layout, sequence, scale, zero_point, ndim, part, parts, length = fields
    body, (crc,) = header + rest[:-CRC.size], CRC.unpack(rest[-CRC.size:])
    if zlib.crc32(body) != crc:
        raise WireError(BAD_CRC, f"CRC32 mismatch in frame {sequence}", sequence=sequence)
    if kind not in (KIND_TENSOR, KIND_RESULT, KIND_ERROR) or dtype not in DTYPES or layout not in LAYOUTS:
        raise WireError(BAD_FIELD, f"unknown kind {kind}, dtype {dtype} or layout {layout}", sequence=sequence)
    if not math.isfinite(scale):
        raise WireError(BAD_FIELD, f"scale {scale} is not a finite number", sequence=sequence)
    shape = tuple(DIM.unpack_from(rest, i * DIM.size)[0] for i in range(ndim))
    if math.prod(shape) * DTYPES[dtype].itemsize != length:   # Python integers: dimensions cannot overflow
        raise WireError(BAD_LENGTH, f"payload of {length} bytes does not hold a {DTYPES[dtype]} tensor of shape "
                        f"{list(shape)}", sequence=sequence)
    payload = rest[ndim * DIM.size: ndim * DIM.size + length]
    array = np.frombuffer(payload, DTYPES[dtype].newbyteorder("<")).astype(DTYPES[dtype]).reshape(shape)
    return Frame(kind, sequence, array, scale, zero_point, LAYOUTS[layout], part, parts)


def decode(data: bytes, max_frame: int = DEFAULT_MAX_FRAME) -> Frame:
    """One whole frame from bytes; WireError names what is wrong with it."""
    fields, rest = parse_header(data[:HEADER.size], max_frame)
    if len(data) != HEADER.size + rest:
        raise WireError(BAD_LENGTH, f"frame is {len(data)} bytes, its header says {HEADER.size + rest}",
                        sequence=fields[5])
    return parse_body(data[:HEADER.size], fields, data[HEADER.size:])


async def read_frame(reader, max_frame: int = DEFAULT_MAX_FRAME) -> Frame | None:
    """The next frame of an asyncio stream; None at a clean end of stream."""
    import asyncio

    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise WireError(BAD_LENGTH, f"stream ended inside a header ({len(exc.partial)} bytes)", fatal=True) from None
    fields, size = parse_header(header, max_frame)
    try:
        rest = await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise WireError(BAD_LENGTH, f"stream ended inside frame {fields[5]}", fatal=True, sequence=fields[5]) from None
    return parse_body(header, fields, rest)


def read_frame_blocking(sock, max_frame: int = DEFAULT_MAX_FRAME) -> Frame:
    """The next frame of a blocking socket."""
    header = _recv_exactly(sock, HEADER.size)
    fields, size = parse_header(header, max_frame)
    return parse_body(header, fields, _recv_exactly(sock, size))


def _recv_exactly(sock, count: int) -> bytes:
    chunks, got = [], 0
    while got < count:
        chunk = sock.recv(count - got)
        if not chunk:
            raise WireError(BAD_LENGTH, f"connection closed after {got} of {count} bytes", fatal=True)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
