"""External tools tinyctl runs, how to tell they are there, and the command that installs each."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata

from .errors import TinyctlError

APT = "apt-get install -y --no-install-recommends"
ARM_BINUTILS = f"{APT} binutils-arm-none-eabi"


@dataclass(frozen=True)
class Tool:
    install: str          # the command that installs it on Debian
    used_for: str         # what needs it, as `tinyctl doctor` says
    required: bool = True  # False: only `tinyctl flash` with that tool, or the tests, need it


TOOLS = {
    "gcc": Tool(f"{APT} gcc", "host builds: bit-exact validation, the QEMU plugin"),
    "make": Tool(f"{APT} make", "the firmware project"),
    "arm-none-eabi-gcc": Tool(f"{APT} gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi",
                              "the firmware for the board"),
    "arm-none-eabi-size": Tool(ARM_BINUTILS, "the firmware's flash and RAM use"),
    "arm-none-eabi-nm": Tool(ARM_BINUTILS, "the firmware's symbol sizes"),
    "arm-none-eabi-objcopy": Tool(ARM_BINUTILS, "firmware.bin and firmware.hex"),
    "qemu-system-arm": Tool(f"{APT} qemu-system-arm", "running the firmware on the board's stand-in"),
    "openocd": Tool(f"{APT} openocd", "tinyctl flash --tool openocd", required=False),
    "st-flash": Tool(f"{APT} stlink-tools", "tinyctl flash --tool st-flash", required=False),
    "pyocd": Tool("pip install pyocd==0.46.0", "tinyctl flash --tool pyocd", required=False),
    # Debian 12 does not package picotool: it builds from source against the Pico SDK and libusb.
    "picotool": Tool(f"{APT} build-essential cmake pkg-config libusb-1.0-0-dev, then build "
                     "https://github.com/raspberrypi/picotool with PICO_SDK_PATH set (cmake, make, make install)",
                     "tinyctl flash --tool picotool (Raspberry Pi RP2040 boards)", required=False),
    "chromium": Tool(f"{APT} chromium", "the tests' layout check of report.html", required=False),
}
PYTHON_PACKAGES = ["torch", "numpy", "onnx", "onnxruntime", "tensorflow", "onnx2tf", "onnxsim", "ai-edge-litert",
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
        raise TinyctlError(f"required tool {name!r} is not installed", f"install it with: {TOOLS[name].install}")
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
