"""Stage `tflm`: the TFLite-Micro backend (C array, op resolver, main.cc) and the arena it needs."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

import jinja2
import numpy as np

from ..errors import TinyctlError
from ..graph import Graph
from ..paths import FIRMWARE_TEMPLATES_DIR
from ..tflm_ops import resolver_methods

_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(FIRMWARE_TEMPLATES_DIR / "tflm"),
                                keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
_ARENA_LINE = re.compile(r"Arena allocation total (\d+) bytes")


def measure_arena(model: bytes) -> int:
    """The smallest arena TFLite-Micro runs this model in, read off its recording allocator."""
    from tflite_micro import runtime

    with _captured_stderr() as text:
        try:
            interpreter = runtime.Interpreter.from_bytes(model, arena_size=len(model) * 10 + (8 << 20))
            interpreter.invoke()
            interpreter.print_allocations()
        except RuntimeError as exc:
            failure = exc
        else:
            failure = None
    if failure is not None:
        log = " ".join(line.strip() for line in text().splitlines() if line.strip())[-300:]
        raise TinyctlError(f"TFLite-Micro cannot run this model: {log or failure}",
                           "check the layer named above; re-export it with ops and quantization TFLite-Micro supports")
    match = _ARENA_LINE.search(text())
    if not match:
        raise TinyctlError("TFLite-Micro did not report its arena use", "run `tinyctl doctor` to check tflite-micro")
    arena = int(match.group(1))
    smallest = runtime.Interpreter.from_bytes(model, arena_size=arena)  # proves the figure is enough
    smallest.invoke()
    return arena


@contextlib.contextmanager
def _captured_stderr():
    """TFLite-Micro logs from C++ to file descriptor 2; read it from a temporary file."""
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        result: list[str] = []
        try:
            yield lambda: "".join(result)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            result.append(sink.read().decode(errors="replace"))


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

