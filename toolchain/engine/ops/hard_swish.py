"""HARD_SWISH (hard_swish.c), computed the way TFLite-Micro's Prepare does (hard_swish_common.cc);
TFLite-Micro requires a multiplier to the output scale below 1 (exponent <= 0)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...graph import Graph, Operator, Tensor
from .. import quant
from ..kernel_case import KernelCase, small_shape
from ..op_spec import OpSpec
from ..params import int8_unary

_INT16_MAX = 2**15 - 1


@dataclass(frozen=True)
class HardSwishOp:
    input: Tensor
    output: Tensor
    size: int
    input_zero_point: int
    output_zero_point: int
    reluish_multiplier: int          # int16: high-res input scale -> 3/32768 ("relu-ish" scale)
    reluish_exponent: int
    output_multiplier: int           # int16: high-res input scale -> output scale
    output_exponent: int


def _int16_multiplier(real: np.float32) -> tuple[int, int]:
    """QuantizeMultiplier then DownScaleInt32ToInt16Multiplier."""
    multiplier, exponent = quant.quantize_multiplier(float(real))
    if multiplier >= 2**31 - 1 - 2**15:
        return _INT16_MAX, exponent
    return (multiplier + 2**15) >> 16, exponent


def hard_swish_op(graph: Graph, op: Operator) -> HardSwishOp:
    inp, out = int8_unary(graph, op)
    # The reference computes these scales in float32.
    hires_input_scale = np.float32(1 / 128) * np.float32(inp.scale[0])
    output_multiplier, output_exponent = _int16_multiplier(hires_input_scale / np.float32(out.scale[0]))
    reluish_multiplier, reluish_exponent = _int16_multiplier(hires_input_scale / np.float32(3 / 32768))
    if output_exponent > 0:
        raise ValueError(f"{graph.layer_name(op)}: the hard-swish output scale must be at least the input "
                         "scale / 128")
    return HardSwishOp(inp, out, int(np.prod(inp.shape)), inp.zero_point[0], out.zero_point[0],
                       reluish_multiplier, reluish_exponent, output_multiplier, output_exponent)


def _emit(c, op: Operator, p: str, h: HardSwishOp) -> None:
    c.call("tc_hard_swish_s8", c.ptr(h.input), c.ptr(h.output), h.size, h.input_zero_point,
           h.output_zero_point, h.reluish_multiplier, h.reluish_exponent, h.output_multiplier, h.output_exponent)


def hard_swish(tf, x):
    """x * relu6(x + 3) / 6, which the converter fuses into one HARD_SWISH."""
    return x * tf.nn.relu6(x + 3) / 6


def _case(seed, rank, std=1.0, output_scale_factor=1.0) -> KernelCase:
    """A tiny input scale (std) gives a "relu-ish" exponent below -15, where the int16 rounding divide
    degenerates; the output scale is patched, as the converter picks one close to the input's."""
    return KernelCase("HARD_SWISH", hard_swish, small_shape(seed, rank), seed, input_std=std,
                      patch={"output_scale_factor": output_scale_factor})


_CASES = {
    "hard_swish_2d": functools.partial(_case, 131, 2),
    "hard_swish_4d": functools.partial(_case, 132, 4),
    "hard_swish_small_scale": functools.partial(_case, 133, 4, 0.01),
    "hard_swish_large_scale": functools.partial(_case, 134, 3, 50.0),
    "hard_swish_tiny_scale": functools.partial(_case, 135, 2, 1e-6),
    # output exponent 0 (no final rounding shift) and below -15 (the int16 rounding divide degenerates)
    "hard_swish_fine_output": functools.partial(_case, 136, 2, 1.0, 1 / 40),
    "hard_swish_tiny_scale_fine_output": functools.partial(_case, 137, 3, 1e-6, 1 / 40),
    "hard_swish_coarse_output": functools.partial(_case, 138, 3, 1.0, 2000.0),
}

OPS = (OpSpec(("HARD_SWISH",), hard_swish_op, _emit, cases=_CASES),)
