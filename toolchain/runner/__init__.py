"""Talk to tinyctl firmware in runner mode over a serial link (docs/runner-protocol.md).

The public, stable API (the split-computing end-to-end test uses it too):

- ``open_link(url, timeout_s=...)``: a pyserial link for any pyserial URL (``/dev/ttyACM0``,
  ``socket://127.0.0.1:PORT``, ``rfc2217://...``); socket URLs are retried until the peer listens.
- ``BoardSession(link)``: ``handshake() -> BoardInfo`` (protocol version, board, model digest,
  input/output tensors with shape, scale and zero point), ``infer(input_bytes) -> (output_bytes,
  cycles)``, ``read_cycles()``, ``close()`` (says goodbye: firmware under QEMU then exits). Frames are
  CRC-checked, retried with the same sequence number on a timeout, and a board that restarted is
  handshaken again and given the input again; what cannot be recovered raises TinyctlError.
- ``emulated_board(build_dir) -> url``: a context manager that boots the build's firmware in runner
  mode under QEMU on the board's stand-in, its UART on a loopback TCP socket, and stops it after.
  ``QemuBoard`` is the same with more control (monitor reset/pause, instruction counts).
- ``spawn_host_runner(executable)``: the host build of the app in runner mode on a pipe (fast tests).
- ``proxy.FaultyProxy(upstream_url, rate)``: a TCP proxy that flips, drops and inserts bytes in a
  fraction of the frames, or goes silent, for robustness tests; ``board_run.run_on_board`` is
  ``tinyctl run``.
"""

from .emulate import QemuBoard, emulated_board
from .link import open_link, spawn_host_runner
from .session import BoardInfo, BoardSession, TensorInfo

__all__ = ["BoardInfo", "BoardSession", "QemuBoard", "TensorInfo", "emulated_board", "open_link",
           "spawn_host_runner"]
