"""A TCP proxy between the host and a board's socket (QEMU's UART) that damages the traffic: per
frame (each sync marker it forwards), with probability `rate`, one nearby byte is bit-flipped,
dropped, or followed by a garbage byte. It tests the protocol's recovery and can go silent."""

from __future__ import annotations

import random
import socket
import threading
import time

from .frames import SYNC
from ..errors import TinyctlError

FAULTS = ("flip", "drop", "insert")


class FaultyProxy:
    """Listens on 127.0.0.1:port (`url`); the first client is joined to upstream_url (socket://)."""

    def __init__(self, upstream_url: str, rate: float, seed: int = 0):
        host, port = upstream_url.removeprefix("socket://").rsplit(":", 1)
        self.upstream, self.rate, self.seed = (host, int(port)), rate, seed
        self.faults = {kind: 0 for kind in FAULTS}
        self.silent = False           # drop everything in both directions (a board that stopped talking)
        self.forwarded_to_board = 0   # bytes, for tests that act at a given point of the run
        self.on_forward = None        # called with forwarded_to_board after each chunk
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        client, _ = self._server.accept()
        upstream = self._connect_upstream()
        for source, sink, to_board in ((client, upstream, True), (upstream, client, False)):
            threading.Thread(target=self._pump, args=(source, sink, to_board), daemon=True).start()

    def _connect_upstream(self, timeout_s: float = 20.0) -> socket.socket:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return socket.create_connection(self.upstream)
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise TinyctlError(f"the proxy cannot reach {self.upstream}: {exc}", "is QEMU running?") from exc
                time.sleep(0.05)

    def _damage(self, data: bytes, state: dict) -> bytes:
        out = bytearray()
        for byte in data:
            rng = state["random"]
            if state["last"] == SYNC[0] and byte == SYNC[1] and rng.random() < self.rate:
                state["fault_in"], state["kind"] = rng.randrange(1, 24), rng.choice(FAULTS)
            state["last"] = byte
            state["fault_in"] -= 1
            if state["fault_in"] != 0:
                out.append(byte)
                continue
            self.faults[state["kind"]] += 1
            if state["kind"] == "flip":
                out.append(byte ^ (1 << rng.randrange(8)))
            elif state["kind"] == "insert":
                out += bytes([byte, rng.randrange(256)])
        return bytes(out)

    def _pump(self, source: socket.socket, sink: socket.socket, to_board: bool) -> None:
        state = {"last": -1, "fault_in": -1, "kind": "flip", "random": random.Random(self.seed * 2 + to_board)}
        while data := self._recv(source):
            with self._lock:
                data = b"" if self.silent else self._damage(data, state)
            try:
                sink.sendall(data)
            except OSError:
                return
            if to_board:
                self.forwarded_to_board += len(data)
                if self.on_forward:
                    self.on_forward(self.forwarded_to_board)

    @staticmethod
    def _recv(source: socket.socket) -> bytes:
        try:
            return source.recv(4096)
        except OSError:
            return b""

    def close(self) -> None:
        self._server.close()
