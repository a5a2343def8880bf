"""The default build's bytes are pinned: sha256 of model_int8.tflite, engine/model.c, firmware.bin and the
manifest (less what it records about this run: tool versions, stage names, the output folder), as
build_digests.toml holds them. A refactoring must leave them as they are; a change that means to change
the bytes regenerates the file on purpose and says so in its commit:

    .venv/bin/python tests/test_build_digests.py --update

which builds twice, in two different folders, and writes the digests only if both builds agree. The bytes follow
the host CPU as well as the tools: the converters' float kernels (oneDNN, XNNPACK, ATen) pick their code by the
instruction sets it has, and the calibrated int8 model follows their float results (one stack gave two different
model_int8.tflite on two machines), so a CPU other than the one they were taken on skips the comparison too."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from tinyctl.pipeline import BuildOptions, build
from tinyctl.tools import require_tool, tool_versions

DIGESTS_FILE = Path(__file__).with_name("build_digests.toml")
PINNED = ("model_int8.tflite", "engine/model.c", "firmware.bin")
# Recorded about the run, not made by it: the tools' versions (kept apart, as `taken_with`), the stage names
# (a refactoring may rename or split stages) and the output folder.
MANIFEST_RUN_FIELDS = ("tinyctl_version", "tools", "stages")
HEADER = """\
# The default build's sha256 (tests/test_build_digests.py), taken with the tools and on the CPU below. Regenerate it
# only when a change means to change the build's bytes: .venv/bin/python tests/test_build_digests.py --update
"""


def normalised_manifest(build_dir: Path) -> bytes:
    manifest = json.loads((build_dir / "manifest.json").read_text())
    for key in MANIFEST_RUN_FIELDS:
        del manifest[key]
    del manifest["options"]["out"]
    return json.dumps(manifest, indent=2, sort_keys=True).encode()


def build_digests(build_dir: Path) -> dict[str, str]:
    files = {name: (build_dir / name).read_bytes() for name in PINNED}
    files["manifest.json"] = normalised_manifest(build_dir)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


# The instruction sets the float kernels dispatch on.
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "avx_vnni")


def cpu() -> str:
    """The host CPU: its architecture, model name and the ISA_FLAGS it has (from /proc/cpuinfo where there is one)."""
    info = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").is_file() else []
    field = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in info if ":" in line}
    flags = set(field.get("flags", "").split())
    return " ".join([platform.machine(), field.get("model name", platform.processor()),
                     *(flag for flag in ISA_FLAGS if flag in flags)])


def toolchain() -> dict[str, str]:
    """What the bytes depend on besides our code: the Python packages, the cross compiler and the host CPU."""
    gcc = subprocess.run([require_tool("arm-none-eabi-gcc"), "-dumpversion"], capture_output=True, text=True,
                         check=True).stdout.strip()
    return {**tool_versions(), "arm-none-eabi-gcc": gcc, "cpu": cpu()}


def test_default_build_bytes_are_the_pinned_ones(default_build):
    pinned = tomllib.loads(DIGESTS_FILE.read_text())
    if pinned["taken_with"] != toolchain():
        pytest.skip(f"{DIGESTS_FILE.name} was taken with other tool versions or on another CPU; regenerate it to "
                    f"compare")
    assert build_digests(default_build[0]) == pinned["sha256"], \
        f"the default build's bytes changed; if that is meant, regenerate {DIGESTS_FILE.name} (see {__file__})"


def _toml_table(name: str, values: dict[str, str]) -> str:
    return f"[{name}]\n" + "".join(f"{json.dumps(key)} = {json.dumps(value)}\n" for key, value in values.items())


def update() -> None:
    with tempfile.TemporaryDirectory(prefix="tinyctl-digests-") as tmp:
        first, second = (build(BuildOptions(target="stm32", out=str(Path(tmp) / name)))[0]
                         for name in ("first", "second/deeper"))
        digests = build_digests(first)
        if build_digests(second) != digests:
            sys.exit(f"two builds disagree, not writing {DIGESTS_FILE.name}:\n{digests}\n{build_digests(second)}")
    DIGESTS_FILE.write_text(HEADER + _toml_table("taken_with", toolchain()) + "\n" + _toml_table("sha256", digests))


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    update()
