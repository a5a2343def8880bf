"""The self-test's stack high-water mark (platforms/cortex-m/stack.c) as the build reads it: a peak over the
reservation that the memory check counted fails the build with a clear error."""

import pytest

from tinyctl.errors import TinyctlError
from tinyctl.firmware import STACK_BYTES
from tinyctl.firmware_run import stack_peak

CONSOLE = "golden outputs matched: 4/4\r\ncycles per inference: n/a\r\nstack peak: {} bytes\r\nPASS\r\n"


def test_the_peak_is_read_from_the_console():
    assert stack_peak(CONSOLE.format(3440)) == {"peak_bytes": 3440, "reserved_bytes": STACK_BYTES,
                                                "measured": "high-water mark of a painted stack"}


def test_a_peak_over_the_reservation_fails_the_build():
    with pytest.raises(TinyctlError, match=f"stack peaked at {STACK_BYTES + 8:,} B .* over the {STACK_BYTES:,} B"):
        stack_peak(CONSOLE.format(STACK_BYTES + 8))


def test_a_firmware_that_prints_no_peak_is_refused():
    with pytest.raises(TinyctlError, match="printed no stack peak"):
        stack_peak("golden outputs matched: 4/4\r\nPASS\r\n")
