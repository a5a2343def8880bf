# tinyctl: `make run` builds the default detector for the default board; `make test` runs the tests.
# Both set up what they need on a fresh Debian machine (apt packages, virtual environment) and
# skip whatever is already in place.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := make gcc libc6-dev gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup apt venv plugin clean

run: setup
	$(BIN)/tinyctl build --target stm32

test: setup
	$(BIN)/python -m pytest -q

setup: apt venv plugin

# tinyctl's QEMU instruction-count plugin, built from its own C source with the host gcc.
plugin: venv
	$(BIN)/python -c "from tinyctl.qemu import build_plugin; build_plugin()"

# System packages: the host C compiler, the Arm cross compiler, newlib and QEMU (and venv support for Debian's Python).
apt:
	@missing=""; \
	for tool in gcc arm-none-eabi-gcc qemu-system-arm; do command -v $$tool >/dev/null || missing=yes; done; \
	$(PYTHON) -c "import ensurepip" 2>/dev/null || missing=yes; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $(APT_PACKAGES) python3-venv"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(APT_PACKAGES) python3-venv; \
	fi

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip setuptools wheel
	$(BIN)/pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf build
