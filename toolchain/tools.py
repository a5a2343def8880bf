"""External tools tinyctl runs, how to tell they are there, and the command that installs each."""

from __future__ import annotations

import os
import shutil
import sys
from importlib import metadata

from .errors import TinyctlError

APT = "apt-get install -y --no-install-recommends"
TOOLS = {
    "onnxsim": "pip install onnxsim==0.8.1 (or `make venv`)",
    "arm-none-eabi-gcc": f"{APT} gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi",
    "arm-none-eabi-size": f"{APT} binutils-arm-none-eabi",
    "arm-none-eabi-nm": f"{APT} binutils-arm-none-eabi",
    "make": f"{APT} make",
    "qemu-system-arm": f"{APT} qemu-system-arm",
    "gcc": f"{APT} gcc",
}
PYTHON_PACKAGES = ["torch", "numpy", "onnx", "onnxruntime", "tensorflow", "onnx2tf", "ai-edge-litert",
                   "tflite-micro", "scikit-learn", "jinja2", "typer", "rich"]


def search_path() -> str:
    """PATH plus this Python's own bin directory, where the venv's console scripts live."""
    return os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])


def find_tool(name: str) -> str | None:
    return shutil.which(name, path=search_path())


def require_tool(name: str) -> str:
    """The tool's path, or an error that says how to install it."""
    found = find_tool(name)
    if found is None:
        raise TinyctlError(f"required tool {name!r} is not installed", f"install it with: {TOOLS[name]}")
    return found


def tool_versions() -> dict[str, str]:
    """Versions of the Python packages a build depends on, for the manifest."""
    versions = {"python": sys.version.split()[0]}
    for package in PYTHON_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "missing"
    return versions
