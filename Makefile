# tinyctl: `make run` builds the default detector for the default board; `make test` runs the tests.
# Both set up what they need on a fresh Debian machine (apt packages, virtual environment) and
# skip whatever is already in place.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := make gcc libc6-dev gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm \
                chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup python-check apt venv plugin clean

run: setup
	$(BIN)/tinyctl build --target stm32

test: setup
	$(BIN)/python -m pytest -q

setup: apt venv plugin

# The converter stack (onnx2tf, tensorflow, tflite-micro) is pinned to versions built for Python 3.11 only: on any
# other Python, stop before apt or pip with the reason, not a pip resolver error. An existing venv's Python counts.
CHECKED_PYTHON = $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
python-check:
	@version="$$($(CHECKED_PYTHON) --version 2>&1)"; case "$$version" in "Python 3.11."*) ;; *) \
	  echo "tinyctl needs Python 3.11, but $(CHECKED_PYTHON) is $${version:-not found}: its pinned converter stack" \
	       "(onnx2tf, tensorflow, tflite-micro) is built for 3.11 only." >&2; \
	  echo "Run with a 3.11 interpreter: PYTHON=python3.11 make $(or $(MAKECMDGOALS),run)" >&2; exit 1;; esac

# System packages: the host C compiler, the Arm cross compiler, newlib, QEMU, Chromium (the report's layout test) and venv
# support for Debian's Python.
apt: | python-check
	@missing=""; \
	for tool in gcc arm-none-eabi-gcc qemu-system-arm chromium; do command -v $$tool >/dev/null || missing=yes; done; \
	$(PYTHON) -c "import ensurepip" 2>/dev/null || missing=yes; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $(APT_PACKAGES) python3-venv"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(APT_PACKAGES) python3-venv; \
	fi

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml | python-check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip setuptools wheel
	$(BIN)/pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf build
