"""Stage `tflm`: the TFLite-Micro backend (C array, op resolver, main.cc) and the arena it needs."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from ..errors import TinyctlError
from ..graph import Graph
from ..paths import FIRMWARE_TEMPLATES_DIR
from ..staging import owned_temp_dir
from ..tflm_ops import resolver_methods

_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(FIRMWARE_TEMPLATES_DIR / "tflm"),
                                keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
_ARENA_LINE = re.compile(r"Arena allocation total (\d+) bytes")


# The child process that runs the model in arenas of the sizes it reads from stdin, one a line ("record
# <size>" also has the recording allocator log its total to stderr), and answers each with "arena <size>
# 1" when TFLite-Micro allocates and invokes the model in it, "arena <size> 0" when it reports that it
# cannot. Just short of enough, TFLite-Micro may instead crash the process.
_PROBE = """
import sys
from tflite_micro import runtime
model = open(sys.argv[1], "rb").read()
for line in sys.stdin:
    words = line.split()
    try:
        interpreter = runtime.Interpreter.from_bytes(model, arena_size=int(words[-1]))
        interpreter.invoke()
        if words[0] == "record":
            interpreter.print_allocations()
        runs = 1
    except RuntimeError:
        runs = 0
    sys.stderr.flush()
    print("arena", words[-1], runs, flush=True)
"""
_HINT = "check the layer named above; re-export it with ops and quantization TFLite-Micro supports"


@dataclass(frozen=True)
class TflmArena:
    recorded: int   # the recording allocator's total, from a run in a large arena
    bytes: int      # the smallest arena TFLite-Micro runs the model in


class _ArenaProbe:
    """Whether TFLite-Micro runs the model in an arena of a given size, asked of a child process
    (started again after a size that crashed it), so that a crash cannot take tinyctl down."""

    def __init__(self, model: bytes, directory: Path):
        self._path, self._log = directory / "model.tflite", directory / "tflm.log"
        self._path.write_bytes(model)
        self._child: subprocess.Popen | None = None

    def runs(self, size: int, record: bool = False) -> bool:
        if self._child is None:
            with self._log.open("ab") as log:
                self._child = subprocess.Popen([sys.executable, "-c", _PROBE, str(self._path)], stdin=subprocess.PIPE,
                                               stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            self._child.stdin.write(f"{'record ' if record else ''}{size}\n")
            self._child.stdin.flush()
            for line in self._child.stdout:            # anything else TFLite-Micro prints is skipped
                if line.startswith("arena "):
                    return line.split() == ["arena", str(size), "1"]
        except BrokenPipeError:
            pass
        self.close()                                   # the child died on this size
        return False

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def close(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            self._child = None


def measure_tflm_arena(model: bytes) -> TflmArena:
    """TFLite-Micro's arena for this model: its recording allocator's total after a run in a large
    arena, and the smallest arena it runs in. That is the total itself when the model runs in it;
    when it does not (kernels can need temporary space the total leaves out), the gap above it is
    doubled until a size runs, then bisected to the byte."""
    large = len(model) * 10 + (8 << 20)
    with owned_temp_dir("tinyctl-arena-") as tmp:
        probe = _ArenaProbe(model, Path(tmp))
        try:
            recorded = _recorded_total(probe, large)
            if probe.runs(recorded):
                return TflmArena(recorded, recorded)
            low, step = recorded, max(256, recorded // 16)   # invariant: `low` does not run, `large` does
            while not probe.runs(min(low + step, large)):
                if low + step >= large:
                    raise TinyctlError(f"TFLite-Micro ran this model in an arena of {large:,} B once, then not again",
                                       "run `tinyctl doctor` to check tflite-micro")
                low, step = low + step, step * 2
            high = min(low + step, large)
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (low, middle) if probe.runs(middle) else (middle, high)
        finally:
            probe.close()
    return TflmArena(recorded, high)


def measure_arena(model: bytes) -> int:
    """The smallest arena TFLite-Micro runs this model in (measure_tflm_arena)."""
    return measure_tflm_arena(model).bytes


def _recorded_total(probe: _ArenaProbe, large: int) -> int:
    """The recording allocator's total after running the model in an arena of `large` bytes."""
    if not probe.runs(large, record=True):
        log = " ".join(line.strip() for line in probe.log().splitlines() if line.strip())[-300:]
        raise TinyctlError(f"TFLite-Micro cannot run this model: {log or 'its process crashed'}", _HINT)
    match = _ARENA_LINE.search(probe.log())
    if not match:
        raise TinyctlError("TFLite-Micro did not report its arena use", "run `tinyctl doctor` to check tflite-micro")
    return int(match.group(1))


def _hex_rows(data: bytes, per_row: int = 12) -> str:
    return "\n".join("  " + ", ".join(f"0x{b:02x}" for b in data[i:i + per_row]) + ","
                     for i in range(0, len(data), per_row))


def _quant(graph: Graph, index: int) -> dict:
    t = graph.tensors[index]
    return {"shape": list(t.shape), "scale": f"{t.scale[0]:.9g}" if t.scale else "1",
            "zero_point": t.zero_point[0] if t.zero_point else 0}


def emit_tflm_sources(model: bytes, sha256: str, graph: Graph, arena_bytes: int, board: str,
                      model_name: str, out_dir: Path) -> list[Path]:
    """Write tflm/: model_data.h/.cc, op_resolver.h and main.cc (stable bytes: no timestamps)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    inp, outp = _quant(graph, graph.inputs[0]), _quant(graph, graph.outputs[0])
    values = {
        "model_name": model_name, "sha256": sha256, "hex_rows": _hex_rows(model), "length": len(model),
        "arena_bytes": arena_bytes, "methods": resolver_methods(graph), "board": board,
        "input_shape": inp["shape"], "input_scale": inp["scale"], "input_zero_point": inp["zero_point"],
        "output_shape": outp["shape"], "output_scale": outp["scale"], "output_zero_point": outp["zero_point"],
    }
    written = []
    for template, name in [("model_data.h.j2", "model_data.h"), ("model_data.cc.j2", "model_data.cc"),
                           ("op_resolver.h.j2", "op_resolver.h"), ("main.cc.j2", "main.cc")]:
        path = out_dir / name
        path.write_text(_TEMPLATES.get_template(template).render(**values))
        written.append(path)
    return written


def tflm_array_bytes(model_data_cc: Path) -> bytes:
    """Read the model back out of the generated C array (the check that it round-trips)."""
    return bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", model_data_cc.read_text()))

