"""Build the firmware app with the generated engine code for the host (gcc, platforms/host) and run
it: the same app and kernels as on the board, checked bit for bit without an emulator."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .cflags import HOST_CFLAGS
from .errors import TinyctlError
from .paths import FIRMWARE_TEMPLATES_DIR
from .staging import owned_temp_dir
from .tools import require_tool


def host_sources(c_dir: Path) -> tuple[list[Path], list[Path]]:
    """(sources, include dirs) of the host app: generated model.c/golden.c, kernels, app, host platform."""
    engine, apps, platforms = (FIRMWARE_TEMPLATES_DIR / d for d in ("engine", "apps", "platforms"))
    sources = [c_dir / "model.c", c_dir / "golden.c", *sorted(engine.glob("*.c")), *sorted(apps.glob("*.c")),
               platforms / "host" / "platform.c"]
    return sources, [c_dir, engine, apps, platforms]


def compile_host(c_dir: Path, out_exe: Path) -> Path:
    """gcc the app for the host into out_exe; c_dir holds the generated model.c/.h and golden.c/.h."""
    gcc = require_tool("gcc")
    out_exe.parent.mkdir(parents=True, exist_ok=True)
    sources, includes = host_sources(Path(c_dir))
    command = [gcc, *HOST_CFLAGS, *(f"-I{d}" for d in includes), *map(str, sources), "-o", str(out_exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise TinyctlError(f"host gcc failed to build the engine code:\n{result.stderr.strip()}",
                           f"the command was: {' '.join(command)}")
    return out_exe


def run_host(exe: Path, inputs: np.ndarray) -> np.ndarray:
    """One output row per input row: inputs [N, ...] int8 -> outputs [N, output size] int8, through
    the app's batch mode."""
    x = np.ascontiguousarray(inputs, dtype=np.int8).reshape(len(inputs), -1)
    with owned_temp_dir("tinyctl-host-") as tmp:
        (Path(tmp) / "in.bin").write_bytes(x.tobytes())
        result = subprocess.run([str(Path(exe).resolve()), "batch", "in.bin", "out.bin"], cwd=tmp,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise TinyctlError(f"host executable {exe} exited with {result.returncode}: {result.stdout.strip()}",
                               "rebuild it from the current model.c")
        out = np.fromfile(Path(tmp) / "out.bin", dtype=np.int8)
    return output_rows(out, len(x), str(exe))


def output_rows(out: np.ndarray, count: int, producer: str) -> np.ndarray:
    if count == 0 or out.size % count:
        raise TinyctlError(f"{producer} wrote {out.size} bytes for {count} inputs",
                           "check that each input has the model's input size")
    return out.reshape(count, -1).copy()
