"""Links to a board: any pyserial URL, or the host build of the app on a pipe. A link has pyserial's
read(size) / write(data) / timeout / close() surface, which is all BoardSession uses."""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from pathlib import Path

from ..errors import TinyctlError

BAUD = 115200


def open_link(url: str, timeout_s: float = 10.0, baudrate: int = BAUD):
    """A pyserial port for url (a device path or a URL such as socket://127.0.0.1:PORT); a socket URL
    is retried until the peer listens or timeout_s passes."""
    import serial

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
        except (serial.SerialException, ValueError) as exc:
            if not url.startswith("socket://") or time.monotonic() > deadline:
                raise TinyctlError(f"cannot open the serial link {url}: {exc}",
                                   "check the port name (ls /dev/ttyACM* /dev/ttyUSB*) and that you may use it "
                                   "(the dialout group); for QEMU use --emulate") from exc
            time.sleep(0.05)


class PipeLink:
    """The host app in runner mode (`model_host runner`), spoken to over its stdin and stdout."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.timeout = 0.05
        self._selector = selectors.DefaultSelector()
        self._selector.register(process.stdout, selectors.EVENT_READ)

    def read(self, size: int) -> bytes:
        data = b""
        deadline = time.monotonic() + self.timeout
        while len(data) < size:
            if not self._selector.select(max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(self.process.stdout.fileno(), size - len(data))
            if not chunk:
                raise TinyctlError("the host runner closed its output", "it exited; see its exit status")
            data += chunk
        return data

    def write(self, data: bytes) -> int:
        self.process.stdin.write(data)
        return len(data)

    def close(self) -> None:
        self._selector.close()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        self.process.wait(timeout=10)


def spawn_host_runner(executable: Path) -> PipeLink:
    """Start the host build of the app (build_dir/host/model_host) in runner mode."""
    if not Path(executable).is_file():
        raise TinyctlError(f"{executable} does not exist", "build for the host first: tinyctl build -t host")
    process = subprocess.Popen([str(executable), "runner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               bufsize=0)
    return PipeLink(process)
