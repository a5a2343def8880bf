"""C text for the constants of generated code: initializers and the engine's parameter structs
(tc_dims, tc_window, tc_int8_io), written the same way for every op so model.c is reproducible."""

from __future__ import annotations

import numpy as np

from .params import Int8IO, Window, nhwc

_PER_LINE = 16


def comment(text: str) -> str:
    """Text safe inside a C block comment."""
    return text.replace("*/", "* /")


def c_initializer(values: np.ndarray) -> str:
    """The integers as a brace-enclosed C initializer, _PER_LINE to a line ({0} when empty)."""
    flat = [int(v) for v in np.asarray(values).ravel()]
    lines = [", ".join(str(v) for v in flat[k:k + _PER_LINE]) for k in range(0, len(flat), _PER_LINE)]
    body = ",\n    ".join(lines) if lines else "0"
    return f"{{\n    {body}\n}}"


def array(ctype: str, name: str, values: np.ndarray, attributes: str = "") -> str:
    """A static const array; `attributes` (an alignment) go after its declarator."""
    after = f" {attributes}" if attributes else ""
    return f"static const {ctype} {name}[{max(np.asarray(values).size, 1)}]{after} = {c_initializer(values)};\n"


def dims(name: str, shape) -> str:
    n, h, w, c = nhwc(shape)
    return f"static const tc_dims {name} = {{{n}, {h}, {w}, {c}}};\n"


def window(name: str, w: Window) -> str:
    return (f"static const tc_window {name} = {{{w.stride_h}, {w.stride_w}, {w.dilation_h}, {w.dilation_w}, "
            f"{w.pad_top}, {w.pad_left}}};\n")


def int8_io(name: str, io: Int8IO) -> str:
    return (f"static const tc_int8_io {name} = {{{io.input_zero_point}, {io.output_zero_point}, "
            f"{io.act_min}, {io.act_max}}};\n")


def struct(ctype: str, name: str, fields) -> str:
    """A params struct whose fields are the given integers, in order."""
    return f"static const {ctype} {name} = {c_initializer(fields)};\n"
