"""Build the generated engine code with the host gcc and run it: the executable reads raw int8 inputs
(MODEL_INPUT_SIZE bytes each) from stdin until EOF and writes one raw int8 output per input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .errors import TinyctlError
from .tools import require_tool

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"]
HOST_MAIN = """/* Host runner for tinyctl's generated engine code: stdin raw int8 inputs -> stdout raw int8 outputs. */
#include <stdio.h>

#include "model.h"

int main(void)
{
    static int8_t input[MODEL_INPUT_SIZE];
    static int8_t output[MODEL_OUTPUT_SIZE];
    for (;;) {
        size_t got = fread(input, 1, sizeof input, stdin);
        if (got == 0 && feof(stdin)) {
            return 0;
        }
        if (got != sizeof input) {
            fprintf(stderr, "short input: %lu of %d bytes\\n", (unsigned long)got, MODEL_INPUT_SIZE);
            return 2;
        }
        model_invoke(input, output);
        if (fwrite(output, 1, sizeof output, stdout) != sizeof output) {
            return 3;
        }
    }
}
"""


def compile_host(c_dir: Path, engine_dir: Path, out_exe: Path) -> Path:
    """gcc the generated model.c, every engine kernel and a stdin/stdout main into out_exe."""
    gcc = require_tool("gcc")
    c_dir, engine_dir, out_exe = Path(c_dir), Path(engine_dir), Path(out_exe)
    out_exe.parent.mkdir(parents=True, exist_ok=True)
    main = out_exe.parent / f"{out_exe.name}_main.c"  # beside the executable: c_dir stays as generated
    main.write_text(HOST_MAIN)
    sources = [str(c_dir / "model.c"), str(main), *sorted(str(p) for p in engine_dir.glob("*.c"))]
    command = [gcc, *CFLAGS, f"-I{c_dir}", f"-I{engine_dir}", *sources, "-o", str(out_exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise TinyctlError(f"host gcc failed to build the engine code:\n{result.stderr.strip()}",
                           f"the command was: {' '.join(command)}")
    return out_exe


def run_host(exe: Path, inputs: np.ndarray) -> np.ndarray:
    """One output row per input row: inputs [N, ...] int8 -> outputs [N, output size] int8."""
    x = np.ascontiguousarray(inputs, dtype=np.int8)
    count = len(x)
    result = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True)
    if result.returncode != 0:
        raise TinyctlError(f"host executable {exe} exited with {result.returncode}: "
                           f"{result.stderr.decode(errors='replace').strip()}",
                           "check that each input has the model's input size")
    out = np.frombuffer(result.stdout, dtype=np.int8)
    if count == 0 or out.size % count:
        raise TinyctlError(f"host executable wrote {out.size} bytes for {count} inputs",
                           "rebuild it from the current model.c")
    return out.reshape(count, -1).copy()
