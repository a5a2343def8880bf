"""A blocking client of the tail server: send the head's int8 tensor, get the tail's outputs."""

from __future__ import annotations

import socket

import numpy as np

from . import wire


class TailError(RuntimeError):
    def __init__(self, frame: wire.Frame):
        super().__init__(f"tail server error {frame.zero_point}: {frame.message}")
        self.code = frame.zero_point


class TailClient:
    def __init__(self, host: str, port: int, timeout_s: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sequence = 0

    def infer(self, code: np.ndarray, scale: float, zero_point: int, layout: str) -> list[np.ndarray]:
        """The tail's outputs (one per task) for one int8 tensor."""
        self.sequence += 1
        self.sock.sendall(wire.encode(wire.tensor_frame(self.sequence, code, scale, zero_point, layout)))
        outputs, parts = [], 1
        while len(outputs) < parts:
            frame = wire.read_frame_blocking(self.sock)
            if frame.kind == wire.KIND_ERROR:
                raise TailError(frame)
            outputs.append(frame.array)
            parts = frame.parts
        return outputs

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
