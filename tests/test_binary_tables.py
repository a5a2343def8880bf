"""ADD/SUB by tables (ops/binary.py, tc_add_table_s8): the op module picks them by output size, their
entries are TFLite's per-input arithmetic (quant.requantize equals the engine's tc_requantize), and it
keeps the arithmetic kernel where their sums could leave int32. The tables' outputs are held bit-exact
with TFLite-Micro by tests/test_kernels.py (the *_tables_* cases) and the DSP path by
tests/test_kernels_dsp.py."""

from __future__ import annotations

import ctypes
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest

from kernel_harness import CFLAGS, ENGINE_DIR
from tinyctl.engine import AddParams, binary_op, quant
from tinyctl.engine.ops.binary import add_tables
from tinyctl.graph import Graph, Operator, Tensor

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@pytest.fixture(scope="module")
def requantize(tmp_path_factory):
    """The engine's tc_requantize, built for the host."""
    lib = tmp_path_factory.mktemp("requantize") / "librequantize.so"
    subprocess.run(["gcc", *CFLAGS, f"-I{ENGINE_DIR}", str(ENGINE_DIR / "requantize.c"), "-o", str(lib)], check=True)
    fn = ctypes.CDLL(str(lib)).tc_requantize
    fn.restype, fn.argtypes = ctypes.c_int32, [ctypes.c_int32, ctypes.c_int32, ctypes.c_int]
    return fn


def test_python_requantize_equals_the_engines(requantize):
    rng = np.random.default_rng(16)
    rows = [(INT32_MIN, INT32_MIN, 0), (3, 1 << 30, -1), (-3, 1 << 30, -1), (-3, 1 << 30, 0), (1 << 29, 1 << 30, 2),
            (INT32_MAX, INT32_MAX, 0), (-5, INT32_MIN, 31), (12345, 0, 0)]
    rows += [(int(rng.integers(INT32_MIN, INT32_MAX, endpoint=True)), int(rng.integers(INT32_MIN, INT32_MAX)),
              int(rng.integers(-31, 8))) for _ in range(3000)]
    for x, multiplier, shift in rows:
        assert int(quant.requantize(np.array([x]), multiplier, shift)[0]) == requantize(x, multiplier, shift), \
            (x, multiplier, shift)


def _params() -> AddParams:
    return AddParams(-3, 17, 5, 20, 1717986918, -1, 1288490189, -2, 1395864371, -18, -128, 127)


@pytest.mark.parametrize("opcode", ["ADD", "SUB"])
def test_tables_hold_twice_each_inputs_scaled_value(requantize, opcode):
    p = _params()
    table1, table2 = add_tables(opcode, p)
    sign = -1 if opcode == "SUB" else 1
    for v in (-128, -3, 0, 17, 127):
        assert table1[v + 128] == 2 * requantize((v - p.input1_zero_point) << 20, p.input1_multiplier, p.input1_shift)
        assert table2[v + 128] == sign * 2 * requantize((v - p.input2_zero_point) << 20, p.input2_multiplier,
                                                        p.input2_shift)


def test_no_tables_where_sums_could_leave_int32():
    """Multipliers near 1: twice (130 + 145) * 2^22 passes 2^31, twice (130 + 145) * 2^21 does not."""
    def params(left_shift):
        return AddParams(-3, 17, 5, left_shift, INT32_MAX, 0, INT32_MAX, 0, 1395864371, -18, -128, 127)
    assert add_tables("ADD", params(22)) is None
    assert add_tables("SUB", params(22)) is None
    assert add_tables("ADD", params(21)) is not None
    small = AddParams(-3, 17, 5, 24, 1 << 30, -8, 1 << 30, -8, 1395864371, -18, -128, 127)
    assert add_tables("ADD", small) is None                  # 255 * 2^24 leaves int32 before any scaling


def _graph(opcode: str, shape: tuple[int, ...]) -> Graph:
    tensors = tuple(Tensor(i, f"t{i}", shape, "INT8", (0.05 + 0.01 * i,), (i - 1,), 0, None) for i in range(3))
    op = Operator(0, opcode, (0, 1), (2,), SimpleNamespace(fusedActivationFunction=0))
    return Graph(tensors, (op,), (0, 1), (2,))


@pytest.mark.parametrize("opcode, shape, by_tables", [
    ("ADD", (1, 8, 8, 4), True), ("SUB", (1, 16, 16), True),        # 256 outputs and more: 2 KiB pays
    ("ADD", (1, 5, 5, 10), False), ("SUB", (1, 255), False),        # fewer
    ("MUL", (1, 16, 16, 16), False),                                # a product has no per-input table
])
def test_the_op_module_picks_tables_by_output_size(opcode, shape, by_tables):
    graph = _graph(opcode, shape)
    assert (binary_op(graph, graph.operators[0]).tables is not None) == by_tables
