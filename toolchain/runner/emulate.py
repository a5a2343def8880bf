"""The board's firmware in runner mode under QEMU, its UART on a loopback TCP socket: the same
protocol code as with a real board, on the board's stand-in machine."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

from ..errors import TinyctlError
from ..firmware import emulated_elf, symbol_address
from ..qemu import MARK_SYMBOL, parse_counts, plugin_arguments, serial_args
from ..staging import owned_temp_dir
from ..targets import Board, board_of_build
from ..tools import require_tool
from ..validate_build import read_report
from .link import open_link


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_board(build_dir: Path) -> Board:
    """The board a build directory was made for (its board file copy, or report.json's board name)."""
    return board_of_build(build_dir, read_report(build_dir)["board"]["name"])


class QemuBoard:
    """qemu-system-arm running build_dir's firmware.elf in runner mode. `url` is its UART
    (socket://127.0.0.1:PORT; the guest starts when the first client connects). With semihosting
    (the default) the firmware's BYE makes QEMU exit, and `stop()` returns the instruction-count
    plugin's marks; without it the firmware boots exactly as on a board with no debugger."""

    def __init__(self, build_dir: Path, semihosting: bool = True, count_instructions: bool = True):
        self.board = build_board(build_dir)
        if self.board.platform == "host":
            raise TinyctlError("a build for the host target has no firmware to emulate",
                               "`tinyctl validate` checks the host build; build for a board to use the runner")
        if self.board.qemu_machine is None:
            raise TinyctlError(f"board {self.board.name} has no QEMU stand-in",
                               "run on the board itself: tinyctl run BUILD_DIR --port /dev/ttyACM0")
        self.elf = emulated_elf(build_dir, self.board).resolve()
        if not self.elf.is_file():
            raise TinyctlError(f"{build_dir} has no {self.elf.name}", "rebuild it with `tinyctl build`")
        self.port, self.monitor_port = free_port(), free_port()
        self.url = f"socket://127.0.0.1:{self.port}"
        self._tmp = owned_temp_dir("tinyctl-runner-")
        self.counts = Path(self._tmp.name) / "counts.txt"
        command = [require_tool("qemu-system-arm"), "-M", self.board.qemu_machine, "-display", "none",
                   "-monitor", f"tcp:127.0.0.1:{self.monitor_port},server=on,wait=off",
                   *serial_args(self.board, f"tcp:127.0.0.1:{self.port},server=on,wait=on"), "-kernel", str(self.elf)]
        if semihosting:
            command += ["-semihosting-config", "enable=on,target=native,arg=fw,arg=runner"]
        if count_instructions:
            mark = symbol_address(self.elf, MARK_SYMBOL)
            command += ["-plugin", plugin_arguments(self.board, self.counts, mark)]
        self.command = command
        self.log = Path(self._tmp.name) / "qemu.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self._marks: list[dict[str, int]] | None = None
        self._stopped = False

    def open(self, timeout_s: float = 20.0):
        """The UART as a pyserial link, once QEMU listens; QEMU's own message if it stopped instead."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return open_link(self.url, timeout_s=0.5)
            except TinyctlError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise TinyctlError(f"QEMU {self.board.qemu_machine} did not open its UART: "
                                       f"{self.log.read_text(errors='replace').strip()[-500:]}",
                                       f"the command was: {' '.join(self.command)}") from None

    def monitor(self, command: str) -> None:
        """One QEMU monitor command: `system_reset` (a board reset), `stop`, `cont` (a silent board)."""
        with socket.create_connection(("127.0.0.1", self.monitor_port), timeout=5) as s:
            s.sendall(command.encode() + b"\n")
            seen = b""
            while seen.count(b"(qemu)") < 2:   # the banner's prompt, then the one after the command
                chunk = s.recv(4096)
                if not chunk:
                    break
                seen += chunk

    def stop(self, timeout_s: float = 10.0) -> list[dict[str, int]] | None:
        """Wait for QEMU to exit (after the firmware's BYE), else end it; the counts at each profile
        mark ({"instructions": n, timing class: n}), when the plugin reported (None otherwise).
        Stopping twice is harmless."""
        if self._stopped:
            return self._marks
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.counts.is_file():
            self._marks = parse_counts(self.counts.read_text())[1]
        self._tmp.cleanup()
        self._stopped = True
        return self._marks


@contextlib.contextmanager
def emulated_board(build_dir: Path, semihosting: bool = True):
    """`with emulated_board(build_dir) as url:` the build's firmware in runner mode under QEMU;
    open the url with open_link. QEMU is stopped on leaving the block."""
    board = QemuBoard(build_dir, semihosting=semihosting, count_instructions=False)
    try:
        yield board.url
    finally:
        board.stop(timeout_s=2.0)
