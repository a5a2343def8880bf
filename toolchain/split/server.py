"""`tinyctl split serve`: the tail behind an asyncio TCP server, on loopback unless told otherwise.

Each connection sends tensor frames and gets result frames back in order. A malformed frame is
answered with an error frame; when the stream's framing is lost (bad magic, oversize, truncation)
the connection is closed after the error. Inference runs in a small thread pool (onnxruntime
releases the GIL), so slow clients never block the others; a connection that sends no complete frame,
or reads no answer, within the idle timeout is closed, so idle ones cannot hold every client slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import wire
from .tail import FrameRejected, TailModel

DEFAULT_IDLE_TIMEOUT_S = 30.0


@dataclass
class ServerStats:
    connections: int = 0
    answered: int = 0
    errors: dict = field(default_factory=dict)


class TailServer:
    def __init__(self, tail: TailModel, host: str = "127.0.0.1", port: int = 0,
                 max_frame: int = wire.DEFAULT_MAX_FRAME, max_clients: int = 64, workers: int = 2,
                 idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S):
        self.tail, self.host, self.port = tail, host, port
        self.max_frame, self.max_clients, self.idle_timeout_s = max_frame, max_clients, idle_timeout_s
        self.stats = ServerStats()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tail")
        self._server: asyncio.base_events.Server | None = None
        self._idle: dict[asyncio.Task, bool] = {}

    async def start(self) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]
        return self.host, self.port

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop accepting, let every connection finish the frame it is working on, then close them."""
        self._server.close()
        for task, idle in list(self._idle.items()):
            if idle:
                task.cancel()
        if self._idle:
            _, late = await asyncio.wait(list(self._idle), timeout=grace_s)
            for task in late:
                task.cancel()
        await self._server.wait_closed()
        self._pool.shutdown(wait=True)

    async def _connection(self, reader, writer) -> None:
        task = asyncio.current_task()
        self._idle[task] = True
        self.stats.connections += 1
        try:
            if len(self._idle) > self.max_clients:
                await self._send(writer, wire.error_frame(0, wire.BAD_FIELD, "too many clients, try again later"))
                return
            while await self._one_frame(reader, writer, task):
                pass
        except (ConnectionError, TimeoutError, asyncio.CancelledError):   # TimeoutError: it reads no answers
            pass
        finally:
            del self._idle[task]
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _one_frame(self, reader, writer, task) -> bool:
        """Read and answer one frame; False when the connection is over."""
        try:
            frame = await asyncio.wait_for(wire.read_frame(reader, self.max_frame), self.idle_timeout_s)
        except wire.WireError as exc:
            await self._send_error(writer, exc.sequence, exc.code, str(exc))
            return not exc.fatal
        except TimeoutError:
            await self._send_error(writer, 0, wire.TIMED_OUT, f"no complete frame in {self.idle_timeout_s:g} s")
            return False
        if frame is None:
            return False
        self._idle[task] = False
        try:
            outputs = await asyncio.get_running_loop().run_in_executor(self._pool, self.tail.infer, frame)
        except FrameRejected as exc:
            await self._send_error(writer, frame.sequence, exc.code, str(exc))
            return True
        except Exception as exc:  # onnxruntime raises its own types; the client hears about it, we go on
            await self._send_error(writer, frame.sequence, wire.INFERENCE_FAILED, f"inference failed: {exc}")
            return True
        finally:
            self._idle[task] = True
        answer = b"".join(wire.encode(wire.result_frame(frame.sequence, out, i, len(outputs)))
                          for i, out in enumerate(outputs))
        await self._send(writer, answer)
        self.stats.answered += 1
        return True

    async def _send_error(self, writer, sequence: int, code: int, message: str) -> None:
        self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
        await self._send(writer, wire.error_frame(sequence, code, message))

    async def _send(self, writer, data) -> None:
        writer.write(data if isinstance(data, bytes) else wire.encode(data))
        await asyncio.wait_for(writer.drain(), self.idle_timeout_s)


async def serve_until_signal(server: TailServer, ready=None) -> None:
    """Run until SIGINT or SIGTERM, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    address = await server.start()
    if ready:
        ready(address)
    await stop.wait()
    await server.close()


@contextlib.contextmanager
def server_thread(tail: TailModel, **options):
    """A TailServer on its own event loop in a background thread; yields it once it listens."""
    loop = asyncio.new_event_loop()
    server = TailServer(tail, **options)
    started = threading.Event()
    thread = threading.Thread(target=loop.run_forever, name="tail-server", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
        started.set()
        yield server
    finally:
        if started.is_set():
            asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
