"""The Cortex-M DSP paths of the MAC kernels give the portable C's bits.

CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD and SUB (by arithmetic and by tables) and MUL run as
bare-metal firmware under QEMU (tests/dsp_harness.py) on random shapes and data: on Cortex-M4 (netduinoplus2)
with the DSP paths (-O2 and -Os) and with -DTC_PORTABLE, on Cortex-M7 (mps2-an500) and Cortex-M55 (mps3-an547)
with the DSP paths, and on Cortex-M33 (mps2-an505) with and without its optional DSP extension, and on
Cortex-M0+ (ARMv6-M, the micro:bit, whose Cortex-M0 traps the unaligned accesses the misaligned arrays would
invite). Every output must equal the engine's portable C built for the host, which tests/test_kernels.py holds
bit-exact with TFLite-Micro."""

from __future__ import annotations

import copy
import shutil

import numpy as np
import pytest

from dsp_harness import (ADD, ADD_TABLE, AVG_POOL, CONV, CONV_FUSED, CONV_WIDE, COPY, DEPTHWISE, DW_PLANES, FC,
                         FC_FUSED, FC_WIDE, KIND_NAMES, MAX_POOL, MEAN, MUL, SUB, TARGETS, add_case, add_params,
                         blocked, build_and_run, conv_case, copy_case, depthwise_case, fc_case, fc_scale_case,
                         fc_sum_edges_case, full_range, fused, fused_pointwise, host_engine, host_output, in_place,
                         max_pool_case, mean_case, mul_case, planes, requant_case, ring_anyway, scale_case,
                         specialized, table_layout, wide)

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "gcc")),
    reason="needs arm-none-eabi-gcc, qemu-system-arm and gcc")

_ODD = [1, 2, 3, 5, 6, 7, 9, 13]    # channel counts and depths that are not whole words
_EVEN = [4, 8, 12, 16, 24]


def _skew(rng) -> tuple[int, int]:
    return tuple(int(v) for v in rng.integers(0, 4, size=2))


def _cases() -> list:
    rng = np.random.default_rng(20261124)
    cases = []
    for i in range(18):
        cin = int(rng.choice(_ODD if i % 2 else _EVEN))
        cout = int(rng.choice(_ODD + _EVEN))
        fh, fw = (int(v) for v in rng.choice([1, 2, 3, 5], size=2))
        stride, dilation = int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 1, 2]))
        padding = str(rng.choice(["same", "valid"]))
        span_h, span_w = (fh - 1) * dilation + 1, (fw - 1) * dilation + 1
        h, w = int(rng.integers(span_h, span_h + 8)), int(rng.integers(span_w, span_w + 8))
        zero_point = [None, -128, 127, 0][i % 4]
        cases.append(conv_case(rng, h, w, cin, cout, fh, fw, stride, dilation, padding, bias=i % 5 != 0,
                               per_channel=i % 6 != 1, zero_point=zero_point, misalign=_skew(rng),
                               name=f"conv{i} {h}x{w}x{cin}->{cout} k{fh}x{fw} s{stride} d{dilation} {padding}"))
    # a filter as wide as the image with padding on both sides, and 1x1 on a 1-pixel image
    cases.append(conv_case(rng, 4, 5, 5, 6, 5, 7, padding="same", misalign=(1, 3), name="conv wide filter"))
    cases.append(conv_case(rng, 1, 1, 33, 7, 1, 1, padding="valid", name="conv 1x1 on one pixel"))
    for i in range(14):
        c = int(rng.choice(_ODD + _EVEN))
        multiplier = [1, 1, 1, 2, 3][i % 5]
        fh, fw = (int(v) for v in rng.choice([1, 2, 3, 5], size=2))
        stride, dilation = int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 1, 2]))
        padding = str(rng.choice(["same", "valid"]))
        span_h, span_w = (fh - 1) * dilation + 1, (fw - 1) * dilation + 1
        h, w = int(rng.integers(span_h, span_h + 8)), int(rng.integers(span_w, span_w + 8))
        cases.append(depthwise_case(rng, h, w, c, multiplier, fh, fw, stride, dilation, padding,
                                    bias=i % 4 != 2, per_channel=i % 5 != 3, zero_point=[None, 127, -128][i % 3],
                                    misalign=_skew(rng),
                                    name=f"dw{i} {h}x{w}x{c} m{multiplier} k{fh}x{fw} s{stride} d{dilation} {padding}"))
    cases += _special_cases(rng)
    for i in range(12):
        depth = int(rng.choice(_ODD + _EVEN + [64, 129, 512]))   # records fit the micro:bit's 16 KiB
        units = int(rng.choice(_ODD + _EVEN))
        batches = int(rng.choice([1, 1, 2, 3]))
        cases.append(fc_case(rng, batches, depth, units, bias=i % 3 != 1, per_channel=i % 2 == 0,
                             zero_point=[None, -128, 127][i % 3], misalign=_skew(rng),
                             name=f"fc{i} {batches}x{depth}->{units}"))
    cases.append(requant_case(rng, name="fc requantisation edges"))
    cases.append(requant_case(rng, fast=True, name="fc requantisation edges, fast form"))
    cases += _fc_output_cases(rng)
    for multiplier, shift, act in [(1 << 30, -1, (-128, 127)), (1 << 30, -3, (-100, 90)),
                                   (int(rng.integers(1 << 30, 1 << 31)), -22, (-128, 127)),
                                   (-(2**31), -7, (5, 127))]:
        cases.append(fc_scale_case(rng, multiplier, shift, act,
                                   name=f"fc per-tensor requantisation edges, shift {shift}, range {act}"))
    for i, (shape1, shape2) in enumerate([((1, 5, 7, 9), (1, 5, 7, 9)), ((1, 5, 6, 8), (1, 1, 1, 8)),
                                          ((1, 1, 1, 5), (1, 3, 4, 5)), ((1, 3, 1, 6), (1, 1, 5, 1)),
                                          ((2, 3, 4, 3), (1, 1, 1, 1)), ((1, 1, 1, 13), (1, 1, 1, 13))]):
        cases.append(add_case(rng, shape1, shape2, subtract=i % 2 == 1, misalign=_skew(rng),
                              name=f"{'sub' if i % 2 else 'add'}{i} {shape1} {shape2}"))
    for i in range(6):  # multipliers and shifts anywhere the DSP path takes them, and one it does not
        left_shift = [0, 7, 20, 21, 21, 22][i]
        bound = 1 << 31 if left_shift < 22 else 1 << 30
        mult = [int(v) for v in rng.integers(-bound, bound, size=3)]
        shifts = [int(v) for v in rng.integers(-31, 1, size=3)]
        zps = [int(v) for v in rng.integers(-128, 128, size=3)]
        if i in (3, 4):  # the largest differences from the zero points
            zps = [[-128, 127, 0], [127, -128, 5]][i - 3]
        params = [*zps, left_shift, mult[0], shifts[0], mult[1], shifts[1], mult[2], shifts[2], -128, 127]
        cases.append(add_case(rng, (1, 4, 5, 7), (1, 4, 1, 7), subtract=i % 2 == 0, params=params,
                              extremes=i in (3, 4),
                              name=f"{'sub' if i % 2 == 0 else 'add'} params{i} left shift {left_shift}"))
    return (cases + _plane_cases(rng) + _window_cases(rng) + _in_place_cases(rng) + _table_cases(rng)
            + _table_quad_cases(np.random.default_rng(20261206)) + _mul_cases(rng)
            + _max_pool_cases(rng) + _average_pool_cases(np.random.default_rng(20261215)) + _mean_cases(rng)
            + _copy_cases(np.random.default_rng(20261216))
            + _wide_cases(np.random.default_rng(20261205))
            + _deep_cases(np.random.default_rng(20261206)) + _folded_pad_cases(np.random.default_rng(20261206))
            + _short_depth_cases(np.random.default_rng(20261207)) + _pixel_cases(np.random.default_rng(20261209))
            + _pointwise_pair_cases(np.random.default_rng(20261210))
            + _window_triple_cases(np.random.default_rng(20261211))
            + _first_layer_cases(np.random.default_rng(20261208))
            + _small_padded_cases(np.random.default_rng(20261209))
            + _fc_wide_group_cases(np.random.default_rng(20261210)) + _fused_fc_cases(np.random.default_rng(20261212))
            + _fused_pointwise_cases(np.random.default_rng(20261217))
            + _plane_stream_cases(np.random.default_rng(20261213)) + _rgb_triple_cases(np.random.default_rng(20261214)))


def _rgb_triple_cases(rng) -> list:
    """3x3 windows over 3 channels into [-128, 127] three pixels at a time (window_run3: rgb3x3_triple_lanes,
    window_triple_loop) where they lie inside the image, the rest in pairs: rows of 14, 11 and 10 outputs (a
    pair, two pixels or one left), stride 1 and 2, SAME (the border's pairs; at stride 2 on an even width a row's
    last triple, its third window one column past the right edge) and VALID, 24 channels (chunks of 16
    and 8), an odd channel count (pairs and a lone channel), input zero points -128, 0 and 127, a per-tensor scale,
    a misaligned input; the last row of SAME padding at the bottom on the triples, its third row from a row of the
    input zero point (rgb_rows_of), beside one wider than that row (gathered); and a layer with its twin in a
    narrower range, which stays on pairs (test_rgb_triples_path_is_taken), and a SAME layer beside its VALID twin
    (test_rgb_bottom_row_takes_the_triples)."""
    twins = [conv_case(np.random.default_rng(23), 14, 14, 3, 8, 3, 3, padding="valid", name="rgb 14x14x3->8 valid")
             for _ in range(2)]
    return [
        full_range(conv_case(rng, 11, 14, 3, 16, 3, 3, padding="same", zero_point=-128, name="rgb 11x14x3->16 same")),
        full_range(conv_case(rng, 9, 13, 3, 6, 3, 3, padding="valid", zero_point=0, per_channel=False,
                             name="rgb 9x13x3->6 valid, per tensor")),
        full_range(conv_case(rng, 14, 21, 3, 24, 3, 3, stride=2, padding="same", zero_point=127, misalign=(1, 0),
                             name="rgb 14x21x3->24 s2 same (chunks of 16 and 8), input misaligned")),
        full_range(conv_case(rng, 12, 21, 3, 4, 3, 3, stride=2, padding="valid", name="rgb 12x21x3->4 s2 valid")),
        full_range(conv_case(rng, 8, 12, 3, 5, 3, 3, padding="same", name="rgb 8x12x3->5 same (odd channels)")),
        full_range(conv_case(rng, 10, 12, 3, 16, 3, 3, stride=2, padding="same", zero_point=-77,
                             name="rgb 10x12x3->16 s2 same (each row's last triple past the right edge)")),
        full_range(conv_case(rng, 4, 130, 3, 4, 3, 3, stride=2, padding="same", zero_point=5,
                             name="rgb 4x130x3->4 s2 same (wider than the zero row: its last row gathered)")),
        full_range(twins[0]), _narrow(twins[1]),
        full_range(conv_case(np.random.default_rng(24), 4, 24, 3, 8, 3, 3, stride=2, padding="same",
                             name="rgb 4x24x3->8 s2 same")),
        full_range(conv_case(np.random.default_rng(24), 5, 25, 3, 8, 3, 3, stride=2, padding="valid",
                             name="rgb 5x25x3->8 s2 valid")),
    ]


def _plane_stream_cases(rng) -> list:
    """DEPTHWISE_CONV_2D on its channels' records (tc_depthwise_plane_stream_s8, the code generator's layout for
    the layers the channel-plane kernel takes): the ring at stride 1 and 2 (rows of 8 and of 12 outputs over 16
    channels), its quads, pairs and last outputs, rows of 6 outputs into [-128, 127] (plane_small_channels)
    over an odd channel count, a narrow range, padding 2 on the top and left, valid padding, input zero points
    -128, 0 and 127, no bias, a per-tensor scale, a misaligned input, and in place as the planner places it."""
    return [planes(case) for case in [
        depthwise_case(rng, 8, 13, 5, 1, 3, 3, padding="same", zero_point=-128, name="dw records 8x13x5 s1 same"),
        _narrow(depthwise_case(rng, 7, 10, 3, 1, 3, 3, padding="same", zero_point=0, bias=False,
                               name="dw records 7x10x3 s1 same, no bias")),
        full_range(depthwise_case(rng, 6, 6, 17, 1, 3, 3, padding="same", zero_point=127,
                                  name="dw records 6x6x17 s1 same (rows of 6)")),
        full_range(depthwise_case(rng, 8, 8, 16, 1, 3, 3, padding="valid", per_channel=False,
                                  name="dw records 8x8x16 s1 valid, per tensor")),
        depthwise_case(rng, 9, 12, 6, 1, 3, 3, padding=(2, 0, 2, 0), name="dw records 9x12x6 s1 pad 2 top and left"),
        depthwise_case(rng, 11, 17, 4, 1, 3, 3, stride=2, padding="same", misalign=(1, 0),
                       name="dw records 11x17x4 s2 same, input misaligned"),
        full_range(depthwise_case(rng, 12, 24, 16, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                                  name="dw records 12x24x16 s2 same")),
        in_place(full_range(depthwise_case(rng, 10, 12, 6, 1, 3, 3, padding="same", zero_point=0,
                                           name="dw records 10x12x6 s1 same"))),
    ]] + _plane_passes_cases(np.random.default_rng(20261207))


def _plane_passes_cases(rng) -> list:
    """The channel records on passes instantiated for the layer's output step (depthwise_plane_passes.h, as a model.c
    instantiates them): a ring's rows at stride 1 and 2, and (which the code generator leaves to the row function
    for any step) with a last output and with six last in one pass; a small plane's rows of 6 at stride 1 over an odd
    channel count and in place, of 12, of 6 at stride 2, of 3 at either stride, and per-tensor scales."""
    return [specialized(planes(case)) for case in [
        full_range(depthwise_case(rng, 8, 16, 8, 1, 3, 3, padding="same", zero_point=-128, name="dw steps 8x16x8 s1")),
        full_range(depthwise_case(rng, 12, 24, 16, 1, 3, 3, stride=2, padding="same", zero_point=127,
                                  name="dw steps 12x24x16 s2")),
        full_range(depthwise_case(rng, 6, 6, 17, 1, 3, 3, padding="same", name="dw steps 6x6x17 s1 (rows of 6)")),
        in_place(full_range(depthwise_case(rng, 10, 12, 6, 1, 3, 3, padding="same", zero_point=0,
                                           name="dw steps 10x12x6 s1 (rows of 12)"))),
        full_range(depthwise_case(rng, 12, 12, 32, 1, 3, 3, stride=2, padding="same", name="dw steps 12x12x32 s2")),
        full_range(depthwise_case(rng, 3, 3, 16, 1, 3, 3, padding="same", name="dw steps 3x3x16 s1 (rows of 3)")),
        full_range(depthwise_case(rng, 6, 6, 40, 1, 3, 3, stride=2, padding="same", name="dw steps 6x6x40 s2")),
        full_range(depthwise_case(rng, 8, 8, 16, 1, 3, 3, padding="valid", per_channel=False,
                                  name="dw steps 8x8x16 s1 valid, per tensor")),
    ]] + [specialized(planes(case), ring_anyway(case)) for case in [
        full_range(depthwise_case(rng, 7, 13, 8, 1, 3, 3, padding="same", name="dw steps 7x13x8 s1 (a last output)")),
        full_range(depthwise_case(rng, 7, 10, 24, 1, 3, 3, padding="same", name="dw steps 7x10x24 s1 (six last)")),
    ]]


def _narrow(case, lo=-60, hi=70):
    """The case with the activation range [lo, hi], by default [-60, 70]: each output clamped on both sides."""
    case.params[20:22] = [lo, hi]
    case.name += f", range [{lo}, {hi}]"
    return case


def _short_depth_cases(rng) -> list:
    """The int16-weight matrix product over windows of whole words (blocks2x2_wide, and into [-128, 127]
    blocks2x2_wide_outputs): 1x1 over 8, 12 and 16 channels and the odd depths beside them (7, 9: tails, the
    per-block path), read at each pixel (stride 1) and through the coordinates (stride 2), odd pixel counts
    (the last pixel twice), odd output channels (a last channel alone: the sums path for its chunk), two
    chunks, 3x3 over 8 and 12 channels with padding on every side and stride 2, input zero points -128 and 0,
    narrow activation ranges (1x1: pointwise_wide's byte clamp, even output channels over 8, 12, 16 channels,
    one side of the range at its end, a range of one value; 3x3, 17 channels and an odd channel count: the
    sums); 3x3 over 8 and 16 channels into [-128, 127] whose windows inside the image are expanded row by row
    straight from it (with padding on every side, stride 2, odd sizes and channel counts, dilation 2: gathered); 1x1 without padding (pointwise_wide, stride 1 and 2) over 4, 8, 16, 24 and 32 channels (the blocks
    written out over 8 and 16); and the layers test_short_windows_take_the_block_paths compares."""
    same = np.random.default_rng(11)
    layer = conv_case(same, 16, 16, 8, 8, 1, 1, padding="valid", name="short 1x1 16x16x8->8")
    twin = conv_case(np.random.default_rng(11), 16, 16, 8, 8, 1, 1, padding="valid", name="short 1x1 16x16x8->8")
    deeper = conv_case(np.random.default_rng(12), 16, 16, 9, 8, 1, 1, padding="valid", name="short 1x1 16x16x9->8")
    strided = conv_case(np.random.default_rng(13), 32, 32, 8, 8, 1, 1, stride=2, padding="valid",
                        name="short 1x1 32x32x8->8 s2")
    odd_channels = conv_case(np.random.default_rng(11), 16, 16, 8, 7, 1, 1, padding="valid",
                             name="short 1x1 16x16x8->7")
    inside = conv_case(np.random.default_rng(14), 14, 13, 8, 16, 3, 3, padding="valid",
                       name="short 3x3 14x13x8->16 (windows inside)")
    dilated = conv_case(np.random.default_rng(14), 14, 13, 8, 16, 3, 3, dilation=2, padding="valid",
                        name="short 3x3 14x13x8->16 dilation 2")
    return [wide(case) for case in [
        full_range(conv_case(rng, 9, 7, 8, 8, 1, 1, padding="valid", zero_point=-128,
                             name="short 1x1 9x7x8->8 (odd pixels)")),
        conv_case(rng, 5, 5, 8, 6, 1, 1, padding="valid", zero_point=0, name="short 1x1 5x5x8->6"),
        full_range(conv_case(rng, 6, 5, 16, 16, 1, 1, padding="valid", name="short 1x1 6x5x16->16")),
        _narrow(conv_case(rng, 6, 5, 16, 10, 1, 1, padding="valid", zero_point=-128, name="short 1x1 6x5x16->10")),
        full_range(conv_case(rng, 5, 7, 12, 7, 1, 1, padding="valid", zero_point=0,
                             name="short 1x1 5x7x12->7 (a last channel alone)")),
        full_range(conv_case(rng, 4, 5, 8, 40, 1, 1, padding="valid", name="short 1x1 4x5x8->40 (over 32 channels)")),
        full_range(conv_case(rng, 4, 3, 16, 33, 1, 1, padding="valid", name="short 1x1 4x3x16->33 (a chunk of one)")),
        full_range(conv_case(rng, 9, 9, 16, 12, 1, 1, stride=2, padding="valid", zero_point=-128,
                             name="short 1x1 9x9x16->12 s2")),
        _narrow(conv_case(rng, 8, 7, 8, 6, 1, 1, stride=2, padding="valid", name="short 1x1 8x7x8->6 s2")),
        full_range(conv_case(rng, 5, 6, 7, 8, 1, 1, padding="valid", zero_point=-128,
                             name="short 1x1 5x6x7->8 (tails)")),
        conv_case(rng, 6, 5, 9, 6, 1, 1, padding="valid", name="short 1x1 6x5x9->6 (tails)"),
        full_range(conv_case(rng, 7, 6, 8, 16, 3, 3, padding="same", zero_point=-128, name="short 3x3 7x6x8->16 same")),
        full_range(conv_case(rng, 6, 7, 8, 6, 3, 3, padding=(1, 2, 2, 1), zero_point=0,
                             name="short 3x3 6x7x8->6 padded on every side")),
        _narrow(conv_case(rng, 7, 7, 12, 5, 3, 3, stride=2, padding="same", name="short 3x3 7x7x12->5 s2 same")),
        full_range(conv_case(rng, 7, 6, 8, 9, 3, 3, stride=2, padding="same", name="short 3x3 7x6x8->9 s2 same")),
        full_range(layer), _narrow(twin), _narrow(deeper), _narrow(odd_channels), full_range(strided),
        _narrow(conv_case(rng, 9, 7, 12, 8, 1, 1, padding="valid", zero_point=0,
                          name="short 1x1 9x7x12->8 (odd pixels)")),
        _narrow(conv_case(rng, 4, 5, 8, 40, 1, 1, padding="valid", name="short 1x1 4x5x8->40 (over 32 channels)"), 0, 127),
        _narrow(conv_case(rng, 6, 5, 16, 8, 1, 1, padding="valid", name="short 1x1 6x5x16->8"), -128, 6),
        _narrow(conv_case(rng, 5, 5, 8, 4, 1, 1, padding="valid", name="short 1x1 5x5x8->4 (one value)"), 3, 3),
        _narrow(conv_case(rng, 5, 6, 17, 6, 1, 1, padding="valid", zero_point=0, name="short 1x1 5x6x17->6 (tails)")),
        _narrow(conv_case(rng, 6, 7, 8, 6, 3, 3, padding=(1, 2, 2, 1), zero_point=-128,
                          name="short 3x3 6x7x8->6 padded on every side")),
        _narrow(conv_case(rng, 7, 6, 16, 8, 3, 3, stride=2, padding="same", name="short 3x3 7x6x16->8 s2 same")),
        full_range(conv_case(rng, 5, 5, 32, 12, 1, 1, padding="valid", zero_point=-128, name="short 1x1 5x5x32->12")),
        _narrow(conv_case(rng, 3, 5, 32, 34, 1, 1, padding="valid", zero_point=0,
                          name="short 1x1 3x5x32->34 (over 32 channels)")),
        full_range(conv_case(rng, 4, 4, 24, 6, 1, 1, padding="valid", name="short 1x1 4x4x24->6")),
        _narrow(conv_case(rng, 3, 3, 4, 4, 1, 1, padding="valid", name="short 1x1 3x3x4->4 (one group)")),
        full_range(conv_case(rng, 7, 9, 32, 10, 1, 1, stride=2, padding="same", zero_point=0,
                             name="short 1x1 7x9x32->10 s2 same")),
        _narrow(conv_case(rng, 7, 7, 8, 5, 1, 1, stride=2, padding="valid",
                          name="short 1x1 7x7x8->5 s2 (odd channels)")),
        full_range(inside), full_range(dilated),
        full_range(conv_case(rng, 9, 7, 16, 10, 3, 3, padding="same", zero_point=0, name="short 3x3 9x7x16->10 same")),
        full_range(conv_case(rng, 8, 9, 8, 6, 3, 3, padding=(2, 1, 1, 2), zero_point=-128,
                             name="short 3x3 8x9x8->6 padded on every side")),
        full_range(conv_case(rng, 11, 9, 8, 7, 3, 3, stride=2, padding="same", zero_point=0,
                             name="short 3x3 11x9x8->7 s2 same (odd channels)")),
        full_range(conv_case(rng, 10, 11, 16, 12, 3, 3, stride=2, padding="valid", name="short 3x3 10x11x16->12 s2")),
    ]]


def _pointwise_pair_cases(rng) -> list:
    """1x1 without padding on int16 weights (tc_pointwise_wide: pairs of pixels, an odd last one twice; the code
    generator gives the layers over 32 to 288 channels in sixteens into [-128, 127] their fused stream instead,
    _fused_pointwise_cases): 1, 2, 4, 5, 35 and 125 pixels, 16 to 288 channels, 1 to 72 output channels, 40, 64 and
    72 over 32 channels and 70 over 8 in a narrower range in one pass (the lanes and a pass's scales share
    POINTWISE_STACK_SCALES: several passes take some 40 kB of weights, over the M0+ target's RAM), stride 2, input
    zero points -128 and 0, a narrow range, padding, and DS-CNN's 64 channels in both ranges."""
    ds_cnn = [conv_case(np.random.default_rng(23), 7, 5, 64, 16, 1, 1, padding="valid",
                        name="pairs 1x1 7x5x64->16") for _ in range(2)]
    return [wide(case) for case in [
        full_range(conv_case(rng, 1, 1, 64, 8, 1, 1, padding="valid", zero_point=-128,
                             name="pairs 1x1 1x1x64->8 (portable)")),
        full_range(conv_case(rng, 3, 1, 32, 64, 1, 1, padding="valid", name="pairs 1x1 3x1x32->64")),
        full_range(conv_case(rng, 1, 2, 32, 12, 1, 1, padding="valid", zero_point=0, name="pairs 1x1 1x2x32->12")),
        full_range(conv_case(rng, 2, 2, 32, 8, 1, 1, padding="valid", zero_point=-128, name="pairs 1x1 2x2x32->8")),
        full_range(conv_case(rng, 1, 5, 48, 12, 1, 1, padding="valid", zero_point=0, name="pairs 1x1 1x5x48->12")),
        full_range(conv_case(rng, 1, 5, 24, 12, 1, 1, padding="valid", zero_point=0,
                             name="pairs 1x1 1x5x24->12")),
        full_range(conv_case(rng, 5, 5, 20, 8, 1, 1, padding="valid", name="pairs 1x1 5x5x20->8")),
        full_range(conv_case(rng, 25, 5, 32, 8, 1, 1, padding="valid", zero_point=-128,
                             name="pairs 1x1 25x5x32->8")),
        full_range(conv_case(rng, 4, 5, 192, 4, 1, 1, padding="valid", zero_point=-128, name="pairs 1x1 4x5x192->4")),
        full_range(conv_case(rng, 5, 4, 32, 40, 1, 1, padding="valid", name="pairs 1x1 5x4x32->40 (one pass)")),
        full_range(conv_case(rng, 2, 2, 72, 8, 1, 1, padding="valid", name="pairs 1x1 2x2x72->8")),
        full_range(conv_case(rng, 9, 7, 32, 6, 1, 1, stride=2, padding="valid", zero_point=-128,
                             name="pairs 1x1 9x7x32->6 s2")),
        full_range(conv_case(rng, 8, 7, 64, 8, 1, 1, stride=2, padding="valid", zero_point=0,
                             name="pairs 1x1 8x7x64->8 s2")),
        full_range(conv_case(rng, 5, 5, 16, 8, 1, 1, padding="valid", name="pairs 1x1 5x5x16->8")),
        full_range(conv_case(rng, 2, 4, 196, 4, 1, 1, padding="valid", name="pairs 1x1 2x4x196->4")),
        full_range(conv_case(rng, 1, 4, 288, 4, 1, 1, padding="valid", zero_point=0, name="pairs 1x1 1x4x288->4")),
        full_range(conv_case(rng, 5, 5, 64, 1, 1, 1, padding="valid", zero_point=-128,
                             name="pairs 1x1 5x5x64->1 (portable)")),
        full_range(conv_case(rng, 5, 5, 72, 3, 1, 1, padding="valid", zero_point=0,
                             name="pairs 1x1 5x5x72->3 (portable)")),
        _narrow(conv_case(rng, 5, 5, 64, 12, 1, 1, padding="valid", name="pairs 1x1 5x5x64->12")),
        full_range(conv_case(rng, 5, 5, 32, 8, 1, 1, padding=(1, 0, 0, 1), zero_point=-128,
                             name="pairs 1x1 5x5x32->8 padded")),
        full_range(ds_cnn[0]), _narrow(ds_cnn[1]),
        full_range(conv_case(rng, 5, 1, 32, 72, 1, 1, padding="valid", zero_point=-128,
                             name="pairs 1x1 5x1x32->72 (one pass)")),
        _narrow(conv_case(rng, 3, 3, 8, 70, 1, 1, padding="valid", name="pairs 1x1 3x3x8->70 (one pass)")),
    ]]


def _window_triple_cases(rng) -> list:
    """Windows other than 1x1 without padding into [-128, 127] over even output channels, three pixels at a time
    (matmul_triples: tc_expand_triple_band, blocks3x2), a last one or two as a pair (matmul_dsp): 3x3 over 16, 32
    (one band) and 64 channels (3 bands of a row, the sums carried), 5x5 over 16 (bands of 2, 2 and 1 rows), 3x1
    over 16; 4, 6, 8, 16 and 64 (two chunks) output channels; 1, 2, 4, 5, 25, 30, 32, 35 and 90 pixels; padding
    on every side (SAME and explicit), stride 2, dilation 2 (gathered), input zero points -128 and 0, a
    misaligned input; beside them the layers it leaves to others: 24 channels (216-byte windows, not whole fours
    of words) and a narrow range to pairs, 1 and 3 output channels to the portable C; and a 3x3 layer over 32
    channels inside the image with its twin in a narrower range (test_window_triples_path_is_taken)."""
    resnet = [conv_case(np.random.default_rng(24), 12, 10, 32, 8, 3, 3, padding="valid",
                        name="triples 3x3 12x10x32->8 valid") for _ in range(2)]
    return [wide(case) for case in [
        full_range(conv_case(rng, 6, 7, 16, 16, 3, 3, padding="same", zero_point=-128, name="triples 3x3 6x7x16->16")),
        full_range(conv_case(rng, 5, 5, 16, 8, 3, 3, padding="same", zero_point=0, name="triples 3x3 5x5x16->8")),
        full_range(conv_case(rng, 4, 8, 32, 8, 3, 3, padding="same", misalign=(1, 3),
                             name="triples 3x3 4x8x32->8 misaligned")),
        full_range(conv_case(rng, 7, 5, 64, 4, 3, 3, padding="same", zero_point=-128,
                             name="triples 3x3 7x5x64->4 (3 bands)")),
        full_range(conv_case(rng, 6, 6, 64, 6, 3, 3, stride=2, padding="same", zero_point=0,
                             name="triples 3x3 6x6x64->6 s2 (3 bands)")),
        full_range(conv_case(rng, 9, 8, 16, 64, 3, 1, stride=2, padding="same",
                             name="triples 3x1 9x8x16->64 s2 (two chunks)")),
        full_range(conv_case(rng, 5, 6, 16, 8, 3, 3, dilation=2, padding="same", zero_point=-128,
                             name="triples 3x3 5x6x16->8 d2")),
        full_range(conv_case(rng, 1, 1, 16, 8, 3, 3, padding="same", name="triples 3x3 1x1x16->8 (portable)")),
        full_range(conv_case(rng, 1, 2, 16, 8, 3, 3, padding="same", name="triples 3x3 1x2x16->8 (a pair)")),
        full_range(conv_case(rng, 2, 2, 32, 8, 3, 3, padding="same", zero_point=0, name="triples 3x3 2x2x32->8")),
        full_range(conv_case(rng, 1, 5, 16, 16, 3, 3, padding="same", name="triples 3x3 1x5x16->16")),
        full_range(conv_case(rng, 6, 7, 16, 8, 3, 3, padding=(2, 1, 1, 2), zero_point=-128,
                             name="triples 3x3 6x7x16->8 padded (2, 1, 1, 2)")),
        full_range(conv_case(rng, 8, 9, 16, 16, 3, 3, padding="valid", name="triples 3x3 8x9x16->16 valid")),
        full_range(conv_case(rng, 7, 6, 16, 8, 5, 5, padding="same", zero_point=0,
                             name="triples 5x5 7x6x16->8 (bands of 2, 2, 1 rows)")),
        full_range(conv_case(rng, 5, 5, 24, 8, 3, 3, padding="same", name="triples 3x3 5x5x24->8 (pairs)")),
        full_range(conv_case(rng, 5, 5, 16, 3, 3, 3, padding="same", name="triples 3x3 5x5x16->3 (portable)")),
        full_range(conv_case(rng, 5, 5, 16, 1, 3, 3, padding="same", name="triples 3x3 5x5x16->1 (portable)")),
        _narrow(conv_case(rng, 5, 5, 64, 4, 3, 3, padding="same", name="triples 3x3 5x5x64->4 (pairs)")),
        full_range(resnet[0]), _narrow(resnet[1]),
    ]]


def _pixel_cases(rng) -> list:
    """1x1 at stride 1 without padding over 8 and 16 channels into [-128, 127] and 4 to 32 (a chunk) output
    channels in fours (pointwise_pixels: two pixels at a time, over 16 channels in two halves; into 32, 8 and 16
    from 8 the second pixel's store at a constant): odd pixel counts (3: a pair, then the last two again), a single
    pair, a one-pixel-high image, input zero points -128, 0 and 127, no bias, a per-tensor scale;
    beside them the layers it leaves to the other paths: 12, 24 and 32 input channels, 1, 3, 6, 7 and 10 output
    channels, 34 (over a chunk), a single pixel, a narrow range, padding below and on the right
    (the output larger than the input: on int8 weights too, whose 1x1 path reads in place as well), stride 2, a
    misaligned input; and a layer over 8 and one over 16 channels with their twins in a narrower range
    (test_pointwise_pixels_path_is_taken)."""
    eight = [conv_case(np.random.default_rng(21), 16, 16, 8, 8, 1, 1, padding="valid", name="pixels 1x1 16x16x8->8")
             for _ in range(2)]
    sixteen = [conv_case(np.random.default_rng(22), 12, 12, 16, 16, 1, 1, padding="valid",
                         name="pixels 1x1 12x12x16->16") for _ in range(2)]
    return [wide(case) for case in [
        full_range(conv_case(rng, 7, 5, 8, 8, 1, 1, padding="valid", zero_point=-128,
                             name="pixels 1x1 7x5x8->8 (odd pixels)")),
        full_range(conv_case(rng, 5, 5, 8, 12, 1, 1, padding="valid", zero_point=0, bias=False,
                             name="pixels 1x1 5x5x8->12, no bias")),
        full_range(conv_case(rng, 3, 7, 8, 16, 1, 1, padding="valid", zero_point=127, per_channel=False,
                             name="pixels 1x1 3x7x8->16, per tensor")),
        full_range(conv_case(rng, 3, 7, 8, 6, 1, 1, padding="valid", name="pixels 1x1 3x7x8->6 (not taken)")),
        full_range(conv_case(rng, 3, 3, 8, 32, 1, 1, padding="valid", name="pixels 1x1 3x3x8->32 (a chunk)")),
        full_range(conv_case(rng, 5, 3, 8, 4, 1, 1, padding="valid", name="pixels 1x1 5x3x8->4")),
        full_range(conv_case(rng, 5, 7, 16, 16, 1, 1, padding="valid", zero_point=-128,
                             name="pixels 1x1 5x7x16->16 (odd pixels)")),
        full_range(conv_case(rng, 4, 5, 16, 12, 1, 1, padding="valid", zero_point=0, name="pixels 1x1 4x5x16->12")),
        full_range(conv_case(rng, 4, 5, 16, 10, 1, 1, padding="valid", name="pixels 1x1 4x5x16->10 (not taken)")),
        full_range(conv_case(rng, 3, 3, 16, 32, 1, 1, padding="valid", zero_point=127, bias=False, per_channel=False,
                             name="pixels 1x1 3x3x16->32 (a chunk), no bias, per tensor")),
        full_range(conv_case(rng, 1, 5, 16, 4, 1, 1, padding="valid", name="pixels 1x1 1x5x16->4")),
        full_range(conv_case(rng, 2, 4, 16, 32, 1, 1, padding="valid", zero_point=127,
                             name="pixels 1x1 2x4x16->32 (a chunk, even pixels)")),
        full_range(conv_case(rng, 1, 2, 16, 8, 1, 1, padding="valid", name="pixels 1x1 1x2x16->8 (a single pair)")),
        full_range(conv_case(rng, 5, 5, 12, 8, 1, 1, padding="valid", name="pixels 1x1 5x5x12->8 (not taken)")),
        full_range(conv_case(rng, 4, 5, 24, 8, 1, 1, padding="valid", name="pixels 1x1 4x5x24->8 (not taken)")),
        full_range(conv_case(rng, 4, 3, 32, 16, 1, 1, padding="valid", name="pixels 1x1 4x3x32->16 (not taken)")),
        full_range(conv_case(rng, 5, 5, 8, 1, 1, 1, padding="valid", name="pixels 1x1 5x5x8->1 (portable)")),
        full_range(conv_case(rng, 5, 5, 8, 3, 1, 1, padding="valid", name="pixels 1x1 5x5x8->3 (portable)")),
        full_range(conv_case(rng, 5, 5, 16, 7, 1, 1, padding="valid", name="pixels 1x1 5x5x16->7 (not taken)")),
        full_range(conv_case(rng, 3, 3, 8, 34, 1, 1, padding="valid", name="pixels 1x1 3x3x8->34 (not taken)")),
        _narrow(conv_case(rng, 6, 5, 16, 8, 1, 1, padding="valid", zero_point=-128,
                          name="pixels 1x1 6x5x16->8 (not taken)")),
        full_range(conv_case(rng, 5, 6, 8, 8, 1, 1, padding=(0, 1, 0, 2), name="pixels 1x1 5x6x8->8 padded below")),
        full_range(conv_case(rng, 9, 7, 16, 8, 1, 1, stride=2, padding="valid", name="pixels 1x1 9x7x16->8 s2")),
        full_range(conv_case(rng, 6, 5, 8, 8, 1, 1, padding="valid", misalign=(1, 0),
                             name="pixels 1x1 6x5x8->8, input misaligned")),
        full_range(eight[0]), _narrow(eight[1]), full_range(sixteen[0]), _narrow(sixteen[1]),
        full_range(conv_case(rng, 1, 3, 8, 4, 1, 1, padding="valid", name="pixels 1x1 1x3x8->4 (a pair, then again)")),
        full_range(conv_case(rng, 1, 1, 8, 8, 1, 1, padding="valid", name="pixels 1x1 1x1x8->8 (one pixel: not taken)")),
    ]] + [conv_case(rng, 5, 6, 8, 8, 1, 1, padding=(0, 1, 0, 2), name="pixels 1x1 5x6x8->8 padded below")]


def _deep_cases(rng) -> list:
    """The matrix-product CONV_2D path on windows deeper than one band (MATMUL_MAX_DEPTH, 288 bytes), in
    bands of filter rows: 3x3x64 (ResNet-8's) with padding on every side and odd output channels, rows
    that are not whole words (3x3x37: bands of 2 rows and 1), stride 2, every window inside, zero points
    at both ends, no bias; rows too long for a band (the general path); on int16 weights bands of whole
    words, and bands that are not (the portable loop); and one layer on both the matmul and the general
    path (test_deep_windows_take_the_matmul_path)."""
    return [
        conv_case(rng, 5, 4, 64, 7, 3, 3, padding="same", name="conv 5x4x64->7 k3x3 same (576-byte windows, 3 bands)"),
        full_range(conv_case(rng, 7, 6, 37, 5, 3, 3, stride=2, padding="same", zero_point=-128,
                             name="conv 7x6x37->5 k3x3 s2 same (111-byte rows, bands of 2 and 1)")),
        conv_case(rng, 5, 5, 64, 6, 3, 3, padding="valid", zero_point=127, bias=False,
                  name="conv 5x5x64->6 k3x3 valid (deep, every window inside)"),
        conv_case(rng, 3, 4, 100, 6, 1, 3, padding="same", name="conv 3x4x100->6 k1x3 (300-byte rows: general)"),
        wide(conv_case(rng, 4, 3, 64, 5, 3, 3, stride=2, padding="same", zero_point=-128,
                       name="wide conv 4x3x64->5 s2 (3 bands)")),
        wide(conv_case(rng, 5, 4, 64, 5, 3, 3, padding="same", per_channel=False, name="wide conv 5x4x64->5 (3 bands)")),
        wide(conv_case(rng, 4, 3, 37, 5, 3, 3, padding="same", name="wide conv 4x3x37->5, bands not words (portable)")),
        _unscaled(conv_case(np.random.default_rng(7), 5, 5, 64, 12, 3, 3, padding="valid", name="conv 5x5x64->12 k3x3")),
        conv_case(np.random.default_rng(7), 5, 5, 64, 12, 3, 3, padding="valid", name="conv 5x5x64->12 k3x3"),
    ]


def _folded_pad_cases(rng) -> list:
    """Explicit padding as a PAD folded into its reader gives (tinyctl.engine.pad_fusion), on every path
    the reader can take: top and left only (the default detector's first conv), bottom and right only,
    more on one side than SAME ever gives, on the whole-window, matrix-product, wide, plane and general
    depthwise paths and max pool's general loop, stride 1 and 2."""
    top_left, bottom_right, wide_pads = (1, 0, 1, 0), (0, 2, 0, 1), (2, 2, 2, 2)
    return [
        conv_case(rng, 12, 12, 3, 8, 3, 3, stride=2, padding=top_left, name="folded pad conv window 3ch s2 top-left"),
        conv_case(rng, 9, 10, 1, 4, 3, 3, padding=bottom_right, zero_point=127,
                  name="folded pad conv window 1ch bottom-right"),
        conv_case(rng, 8, 9, 8, 8, 3, 3, padding=wide_pads, zero_point=-128, name="folded pad conv matmul 8ch pad 2"),
        conv_case(rng, 9, 8, 5, 6, 3, 3, stride=2, padding=bottom_right,
                  name="folded pad conv matmul 5ch s2 bottom-right"),
        wide(conv_case(rng, 8, 9, 8, 6, 3, 3, padding=(0, 1, 2, 0), name="folded pad wide conv 8ch asymmetric")),
        depthwise_case(rng, 10, 11, 6, 1, 3, 3, padding=wide_pads, name="folded pad dw plane s1 pad 2"),
        depthwise_case(rng, 9, 30, 4, 1, 3, 3, stride=2, padding=top_left, zero_point=127,
                       name="folded pad dw plane s2 top-left"),
        depthwise_case(rng, 9, 8, 3, 1, 3, 3, padding=bottom_right, name="folded pad dw plane s1 bottom-right"),
        depthwise_case(rng, 9, 8, 5, 1, 5, 5, padding=(0, 3, 1, 2), name="folded pad dw 5x5 asymmetric"),
        # max pool's DSP path takes 2x2 windows inside the image only
        max_pool_case(rng, 9, 9, 4, 3, 3, stride=2, padding=(1, 1, 1, 1),
                      name="folded pad max pool 3x3 s2 (portable)"),
        max_pool_case(rng, 7, 8, 8, 2, 2, stride=1, padding=bottom_right,
                      name="folded pad max pool 2x2 bottom-right (portable)"),
    ]


def _wide_cases(rng) -> list:
    """CONV_2D and FULLY_CONNECTED on int16 pre-widened weights: the conv matmul path with odd input and
    output channel counts (a last channel alone), depths not a multiple of 4, padding on every side,
    stride 2, dilation, 1x1 read in place, more than one 32-channel chunk, input zero points at both ends;
    shapes it leaves to the portable loop (3 input channels, one output pixel); fully-connected rows not a
    multiple of 4, odd depths, batch > 1, per-tensor and per-channel scales, no bias, the deepest row the
    DSP path expands beside one deeper; and two layers on both layouts (test_int16_weights_save_instructions)."""
    return [wide(case) for case in [
        conv_case(rng, 9, 8, 5, 7, 3, 3, padding="same", misalign=(1, 3), name="wide conv 9x8x5->7 same"),
        full_range(conv_case(rng, 11, 10, 8, 6, 3, 3, stride=2, padding="same", zero_point=-128,
                             name="wide conv 11x10x8->6 s2 same")),
        conv_case(rng, 10, 9, 4, 5, 3, 3, dilation=2, padding="same", zero_point=127, bias=False,
                  name="wide conv 10x9x4->5 d2 same, no bias"),
        conv_case(rng, 6, 6, 13, 9, 1, 1, padding="valid", per_channel=False, name="wide conv 6x6x13->9 1x1"),
        conv_case(rng, 7, 7, 6, 35, 3, 3, padding="valid", name="wide conv 7x7x6->35 (two chunks, odd tail)"),
        conv_case(rng, 8, 8, 7, 4, 5, 5, stride=2, padding="valid", name="wide conv 8x8x7->4 k5x5 s2 valid"),
        conv_case(rng, 6, 5, 32, 9, 3, 3, padding="same", name="wide conv 6x5x32->9 (the deepest window, 288 B)"),
        conv_case(rng, 6, 6, 3, 5, 3, 3, padding="same", name="wide conv 6x6x3->5 (portable)"),
        conv_case(rng, 3, 3, 8, 6, 3, 3, padding="valid", name="wide conv 3x3x8->6 one output pixel (portable)"),
        fc_case(rng, 1, 37, 11, misalign=(2, 0), name="wide fc 1x37->11"),
        fc_case(rng, 3, 64, 10, per_channel=False, name="wide fc 3x64->10 per tensor"),
        fc_case(rng, 2, 129, 7, zero_point=127, name="wide fc 2x129->7"),
        fc_case(rng, 1, 13, 4, bias=False, per_channel=False, zero_point=-128, name="wide fc 1x13->4 no bias"),
        fc_case(rng, 1, 640, 5, name="wide fc 1x640->5 (deepest expanded row)"),
        conv_case(np.random.default_rng(1), 10, 10, 16, 16, 3, 3, padding="valid", name="conv 10x10x16->16"),
        fc_case(np.random.default_rng(2), 1, 96, 32, name="fc 1x96->32"),
        fc_case(rng, 1, 643, 4, name="wide fc 1x643->4 (portable)"),
    ]] + [conv_case(rng, 6, 5, 32, 9, 3, 3, stride=2, padding="same", name="conv 6x5x32->9 s2 (288 B windows)"),
          conv_case(np.random.default_rng(1), 10, 10, 16, 16, 3, 3, padding="valid", name="conv 10x10x16->16"),
          fc_case(np.random.default_rng(2), 1, 96, 32, name="fc 1x96->32")]


def _with_range(case, lo: int, hi: int):
    case.params[20:22] = [lo, hi]
    case.name += f", range [{lo}, {hi}]"
    return case


def _fc_output_cases(rng) -> list:
    """FULLY_CONNECTED's outputs per unit (fc_outputs_fast: per-channel sums from their bias, each checked
    against 2^30) on both weight layouts: depth 8 (the autoencoder's bottleneck) and depths that are not
    whole words, an odd number of 4-input groups (fc_block_wide's pair loop and its last group alone), units
    not a multiple of 4, depth 640, input zero points -128 and 0, per tensor and per channel, narrow
    activation ranges, 64 per-channel units in the full range (fc_outputs_full_fours) and beside it in [-127, 127];
    and the per-sum choice of requantisation at 2^30, in a narrow range and in the full one with output zero
    points 127 and -128 (fc_outputs_full_fours leaving units to fc_requantize at each place in its group)."""
    shapes = [(8, 13, True, -128, (-128, 127)), (8, 8, False, 0, (-100, 90)), (6, 7, True, 0, (0, 127)),
              (128, 8, True, -128, (-100, 90)), (128, 8, False, -128, (-100, 90)), (36, 5, True, 0, (-128, 127)), (4, 5, True, -128, (-3, 127)),
              (20, 6, False, -128, (-128, 127)), (640, 5, True, -128, (-128, 127)), (640, 6, True, 0, (-50, 50)),
              (16, 64, True, -128, (-128, 127)), (16, 64, True, -128, (-127, 127))]
    cases = []
    for depth, units, per_channel, zero_point, act in shapes:
        for layout in (lambda case: case, wide):
            case = fc_case(rng, 1, depth, units, per_channel=per_channel, zero_point=zero_point,
                           misalign=_skew(rng), name=f"fc out 1x{depth}->{units} zp {zero_point}"
                           f"{' per channel' if per_channel else ' per tensor'}")
            cases.append(layout(_with_range(case, *act)))
    edges = [(None, (-100, 90), ""), (127, (-128, 127), ", zero point 127, full range"),
             (-128, (-128, 127), ", zero point -128, full range")]
    return cases + [layout(fc_sum_edges_case(rng, zero_point, act,
                                             name=f"fc per-channel requantisation, sums at 2^30{label}"))
                    for zero_point, act, label in edges for layout in (lambda case: case, wide)]


def _fc_wide_group_cases(rng) -> list:
    """fc_blocks_wide's LDM loop (8 groups of 4 inputs per turn) and the 4, 2 and 1 groups after it, on int16
    weights: depths 4 and 8 (1 and 2 groups alone), 16 (4), 24 (4 and 2), 28 (4, 2 and 1), 32 (one turn), 36 (a
    turn and 1), 60 (a turn, 4, 2 and 1), 10 and 33 (tails after the groups), 128, 448 and 640; units 1, 3, 4, 6,
    7, 8, 12, 28, 128 and 640 (blocks of 4, more than one 32-unit chunk, units left alone), input zero points
    -128 and 0, per tensor and per channel, narrow ranges, batch 2, and the detector's 32 -> 1 head; each case
    within the largest record before them (the M0+ board's RAM)."""
    shapes = [(1, 16, 12, False, -128, (-128, 127)), (1, 24, 7, True, 0, (-100, 90)),
              (1, 28, 8, False, 0, (0, 127)), (2, 33, 12, True, -128, (-60, 70)), (1, 10, 3, True, 0, (-128, 127)),
              (1, 4, 640, False, -128, (-128, 127)), (1, 16, 128, True, 0, (-20, 127)),
              (1, 128, 28, True, -128, (-128, 127)), (1, 448, 4, False, -128, (-128, 127)),
              (1, 448, 8, False, -128, (-128, 127)), (1, 640, 6, True, 0, (-128, 40)),
              (1, 32, 1, True, -128, (-128, 127)), (1, 32, 7, True, -128, (-128, 127)),
              (1, 36, 8, False, 0, (-128, 127)), (2, 60, 12, True, -128, (-128, 127))]
    return [wide(_with_range(fc_case(rng, batches, depth, units, per_channel=per_channel, zero_point=zero_point,
                                     misalign=_skew(rng), name=f"fc groups {batches}x{depth}->{units} zp {zero_point}"
                                     f"{' per channel' if per_channel else ' per tensor'}"), *act))
            for batches, depth, units, per_channel, zero_point, act in shapes]


def _fused_fc_cases(rng) -> list:
    """FULLY_CONNECTED on its fused stream (fully_connected_fused.c): the autoencoder's 128 inputs (4 loop turns)
    into 2 blocks, depths 8, 4, 60 and 36 (2 groups, 1, a turn with 4, 2 and 1, a turn with 4), the deepest
    expanded row (640), batches 2 and 3, per tensor and per channel, no bias, input zero points -128, 0 and 127,
    outputs 0 to 3 bytes off a word; right shifts at both ends of 1..22 with the largest multiplier and output
    zero points 127 and -128; and one layer on both int16 layouts (test_fused_fc_requantises_in_registers)."""
    shapes = [(1, 128, 8, True, -128, True, 0), (2, 8, 4, False, 0, True, 1), (1, 4, 12, True, 127, False, 2),
              (1, 60, 16, False, -128, True, 3), (1, 640, 4, True, 0, True, 0), (3, 36, 8, True, None, True, 1)]
    cases = [fused(full_range(fc_case(rng, batches, depth, units, bias=bias, per_channel=per_channel,
                                      zero_point=zero_point, misalign=_skew(rng),
                                      name=f"fused fc {batches}x{depth}->{units}")), skew)
             for batches, depth, units, per_channel, zero_point, bias, skew in shapes]
    for output_zero_point in (127, -128):
        case = full_range(fc_case(rng, 1, 16, 8, zero_point=-128, name=f"fused fc shifts 1 and 22, output zero point "
                                  f"{output_zero_point}"))
        case.arrays[3] = np.array([1 << 30, 2**31 - 1] * 4, np.int32)
        case.arrays[4] = np.array([-1, -22, -1, -22, -5, -9, -13, -17], np.int32)
        case.params[19] = output_zero_point
        cases.append(fused(case, 2))
    layer = [full_range(fc_case(np.random.default_rng(3), 1, 128, 16, name="fc 1x128->16")) for _ in range(2)]
    return cases + [wide(layer[0]), fused(layer[1])]


def _fused_pointwise_cases(rng) -> list:
    """1x1 CONV_2D on its fused stream (conv2d_pointwise_fused.c): 16 to 288 input channels (fours of groups odd and
    even: the loop's two entries), 2 to 16 output channels, 3 pixels (one triple), 4, 20 and 25 (a last triple over
    one or two pixels of the one before), stride 2 (triples across rows), per tensor and per channel, no bias, input
    zero points -128, 0 and 127, inputs off a word; right shifts at both ends of 1..22 with the largest multiplier and
    output zero points 127 and -128; 16 input channels (one four of groups, an odd count); each also on blocks
    instantiated for its shape (TC_POINTWISE_FUSED_AT, as a model.c instantiates them); and one layer on its fused
    stream, on those blocks and on int16 weights (test_fused_pointwise_path_is_taken,
    test_fused_blocks_for_the_shape_are_taken)."""
    shapes = [(1, 3, 32, 2, 1, True, -128, True), (5, 5, 48, 6, 1, True, 0, True), (2, 2, 64, 10, 1, False, 127, False),
              (9, 7, 32, 6, 2, True, -128, True), (8, 7, 64, 8, 2, True, 127, True), (1, 4, 288, 4, 1, True, 0, True),
              (3, 3, 128, 16, 1, True, None, True), (3, 5, 96, 14, 1, False, None, False)]
    cases = [fused_pointwise(full_range(conv_case(rng, h, w, cin, cout, 1, 1, stride=stride, padding="valid",
                                                  per_channel=per_channel, zero_point=zero_point, bias=bias,
                                                  misalign=_skew(rng), name=f"fused 1x1 {h}x{w}x{cin}->{cout}"
                                                  f"{' s2' if stride == 2 else ''}")))
             for h, w, cin, cout, stride, per_channel, zero_point, bias in shapes]
    for output_zero_point in (127, -128):
        case = full_range(conv_case(rng, 2, 3, 32, 8, 1, 1, padding="valid", zero_point=-128,
                                    name=f"fused 1x1 shifts 1 and 22, output zero point {output_zero_point}"))
        case.arrays[3] = np.array([1 << 30, 2**31 - 1] * 4, np.int32)
        case.arrays[4] = np.array([-1, -22, -1, -22, -5, -9, -13, -17], np.int32)
        case.params[19] = output_zero_point
        cases.append(fused_pointwise(case))
    layer = [full_range(conv_case(np.random.default_rng(24), 6, 5, 32, 32, 1, 1, padding="valid",
                                  name="1x1 6x5x32->32")) for _ in range(3)]
    sixteen = [fused_pointwise(full_range(conv_case(rng, 4, 6, 16, 32, 1, 1, padding="valid", zero_point=zp,
                                                    name=f"fused 1x1 4x6x16->32 (one four), zero point {zp}")))
               for zp in (-128, 5)]
    return (cases + sixteen + [blocked(copy.deepcopy(case)) for case in cases + sixteen]
            + [wide(layer[0]), fused_pointwise(layer[1]), blocked(fused_pointwise(layer[2]))])


_BROADCASTS = [((1, 5, 7, 9), (1, 5, 7, 9)), ((1, 5, 6, 8), (1, 1, 1, 8)), ((1, 1, 1, 5), (1, 3, 4, 5)),
               ((1, 3, 1, 6), (1, 1, 5, 1)), ((2, 3, 4, 3), (1, 1, 1, 1)), ((1, 1, 1, 1), (1, 4, 3, 7)),
               ((1, 1, 1, 13), (1, 1, 1, 13))]


def _table_cases(rng) -> list:
    """ADD and SUB by tables: every broadcast (dense, per channel, per pixel, a scalar on either side),
    each clamp, the largest differences from the zero points, and output shifts outside the SMMULR
    path's 1..22 (shift 0 and -23..-31), which it leaves to tc_requantize."""
    cases = []
    for i, (shape1, shape2) in enumerate(_BROADCASTS):
        cases.append(add_case(rng, shape1, shape2, subtract=i % 2 == 1, misalign=_skew(rng), tables=True,
                              name=f"{'sub' if i % 2 else 'add'} tables{i} {shape1} {shape2}"))
    for i, (zps, out_shift, act) in enumerate([([-128, 127, 0], -1, (-128, 127)), ([127, -128, -7], -22, (-5, 60)),
                                               ([3, -9, 127], 0, (-128, 127)), ([0, 0, -128], -23, (-128, 127)),
                                               ([-50, 60, 5], -31, (-100, 90))]):
        multipliers = [int(v) for v in rng.integers(1 << 30, 1 << 31, size=3)]
        params = [*zps, 20, multipliers[0], -1, multipliers[1], -int(rng.integers(1, 4)), multipliers[2], out_shift,
                  *act]
        cases.append(add_case(rng, (1, 4, 5, 7), (1, 4, 1, 7), subtract=i % 2 == 0, params=params, extremes=i < 2,
                              tables=True, name=f"{'sub' if i % 2 == 0 else 'add'} tables, output shift {out_shift}"))
    for subtract in (False, True):  # no left shift: sums of a few hundred, outputs in range, many exact ties
        params = [int(rng.integers(-128, 128)), int(rng.integers(-128, 128)), 3, 0, 1 << 30, 0, 1 << 30, 0, 1 << 30,
                  -1, -128, 127]
        cases.append(add_case(rng, (1, 8, 8, 8), (1, 8, 8, 8), subtract=subtract, params=params, tables=True,
                              name=f"{'sub' if subtract else 'add'} tables, rounding ties"))
    return cases


def _table_quad_cases(rng) -> list:
    """ADD and SUB by tables on unit-step runs into [-128, 127] (table_quads, four elements a turn after a head
    up to a word-aligned output, then a tail): counts 1 to 7, 16, the ops that copy their tables to RAM (1024
    elements and more; 2049 rather than 4097, for the M0+'s 16 KiB), inputs and output off word boundaries, in
    place on either input, zero points -128 and 0, inputs at the extremes; broadcasts in runs of 67 (per channel:
    each run's head and tail) and 64 (per pixel); and the runs it leaves to the element loop: a narrower range
    (its twin in test_table_quads_path_is_taken), runs under 64 elements (16 channels, a scalar), a negative
    output multiplier."""
    cases = []
    for i, (count, in_place) in enumerate([(1, 0), (3, 0), (4, 0), (5, 0), (7, 0), (16, 0), (1024, 0), (2049, 0),
                                           (2049, 1), (2049, 2), (2048, 1), (2048, 2)]):
        zero_points = [[-128, 0, -128], [0, -128, 0], [0, 0, -128]][i % 3]
        case = add_case(rng, (1, 1, 1, count), (1, 1, 1, count), subtract=i % 4 == 1, misalign=_skew(rng),
                        params=add_params(rng, zero_points, (-128, 127)), extremes=i == 5, tables=True,
                        name=f"{'sub' if i % 4 == 1 else 'add'} quads {count} zp {zero_points}")
        cases.append(table_layout(case, in_place=in_place, output_skew=i % 4))
    for act, name in [((-60, 70), "range [-60, 70]"), ((-128, 127), "full range")]:  # the path's twins
        case = add_case(rng, (1, 8, 8, 16), (1, 8, 8, 16), misalign=(1, 3),
                        params=add_params(rng, [-128, 0, -128], act), tables=True, name=f"add quads 8x8x16 {name}")
        cases.append(table_layout(case, output_skew=2))
    for shape1, shape2 in [((1, 4, 4, 67), (1, 1, 1, 67)), ((1, 4, 5, 64), (1, 4, 1, 64)),
                           ((1, 8, 8, 16), (1, 1, 1, 16)), ((1, 1, 1, 1), (1, 8, 8, 17))]:
        case = add_case(rng, shape1, shape2, params=add_params(rng, [-128, 0, -128], (-128, 127)), tables=True,
                        name=f"add quads broadcast {shape1} {shape2}")
        cases.append(table_layout(case, output_skew=1))
    params = add_params(rng, [0, -128, 0], (-128, 127))
    params[8] = -params[8]
    case = add_case(rng, (1, 4, 8, 33), (1, 4, 8, 33), params=params, tables=True,
                    name="add quads, negative output multiplier (element loop)")
    return cases + [table_layout(case)]


def _mul_cases(rng) -> list:
    """MUL: every broadcast, each clamp, the largest products (zero points at the other end) and shifts
    outside the SMMULR path's -22..-1 (0, positive, below -22), which it leaves to tc_requantize."""
    cases = [mul_case(rng, shape1, shape2, misalign=_skew(rng), name=f"mul{i} {shape1} {shape2}")
             for i, (shape1, shape2) in enumerate(_BROADCASTS)]
    for i, (zps, shift, act) in enumerate([([-128, 127, 0], -1, (-128, 127)), ([127, -128, 9], -22, (-3, 70)),
                                           ([5, -5, -128], 0, (-128, 127)), ([0, 1, 3], 3, (-100, 90)),
                                           ([-1, 2, 127], -23, (-128, 127))]):
        params = [*zps, int(rng.integers(1 << 30, 1 << 31)), shift, *act]
        cases.append(mul_case(rng, (1, 4, 5, 7), (1, 1, 5, 7), params=params, extremes=i < 2,
                              name=f"mul params{i} shift {shift}"))
    # products / 256 (multiplier 1/2, shift -7): outputs in range, exact ties in the rounding division
    cases.append(mul_case(rng, (1, 8, 8, 16), (1, 8, 8, 16), params=[0, 0, -4, 1 << 30, -7, -128, 127],
                          name="mul rounding ties"))
    return cases


def _max_pool_cases(rng) -> list:
    """MAX_POOL_2D's 2x2 windows inside the image, four channels a word on DSP cores where the channels are
    whole words (8, 16, 12): stride 2 and 1, a leftover row and column, misaligned input, the clamp with the
    full int8 range, a ReLU-like one and one on both sides; channel counts that are not whole words (13, 6,
    1, 3), which stay on the portable loop, and the shapes the general loop takes (padding, a 3x3 window)."""
    return [
        max_pool_case(rng, 12, 10, 8, 2, 2, act=(-128, 127), name="max pool 12x10x8 2x2/2 full range"),
        max_pool_case(rng, 9, 11, 16, 2, 2, act=(-3, 127), misalign=1, name="max pool 9x11x16 2x2/2 relu"),
        max_pool_case(rng, 9, 8, 12, 2, 2, stride=1, act=(-100, 90), misalign=3,
                      name="max pool 9x8x12 2x2/1 clamped"),
        max_pool_case(rng, 8, 8, 13, 2, 2, act=(-100, 90), misalign=3, name="max pool 8x8x13 2x2/2 (portable)"),
        max_pool_case(rng, 7, 6, 6, 2, 2, stride=1, act=(-128, 127), misalign=2, name="max pool 7x6x6 2x2/1"),
        max_pool_case(rng, 10, 10, 1, 2, 2, act=(-128, 127), name="max pool 10x10x1 2x2/2 (one channel)"),
        max_pool_case(rng, 9, 9, 3, 2, 2, act=(-20, 127), name="max pool 9x9x3 2x2/2 (three channels)"),
        max_pool_case(rng, 7, 9, 12, 2, 2, padding="same", name="max pool 7x9x12 2x2/2 same (portable)"),
        max_pool_case(rng, 9, 9, 8, 3, 3, padding="same", name="max pool 9x9x8 3x3/2 same (portable)"),
    ]


def _average_pool_cases(rng) -> list:
    """AVERAGE_POOL_2D, four channels a word in halfword sums on DSP cores where the channels are whole words and a
    window has at most 255 taps: the global pools of ResNet-8 (8x8x64), DS-CNN (25x5x64: 125 taps) and MobileNet
    (3x3x256) in smaller depths, SAME padding (windows of 4, 6 and 9 taps), a clamp, misaligned input, windows of
    255 taps all at -128 and all at 127 (the halfword sums' ends); 256 taps and a channel count that is not whole
    words stay on the portable loop."""
    extremes = [max_pool_case(rng, 15, 17, 8, 15, 17, stride=1, act=(-128, 127), name=f"average pool 255 taps {v}",
                              kind=AVG_POOL) for v in (-128, 127)]
    for case, v in zip(extremes, (-128, 127)):
        case.arrays[0][:] = v
    return [
        max_pool_case(rng, 8, 8, 16, 8, 8, stride=1, act=(-128, 127), name="average pool 8x8x16 global",
                      kind=AVG_POOL),
        max_pool_case(rng, 25, 5, 12, 25, 5, stride=1, act=(-128, 127), misalign=2,
                      name="average pool 25x5x12 global (125 taps)", kind=AVG_POOL),
        max_pool_case(rng, 3, 3, 32, 3, 3, stride=1, act=(-128, 127), name="average pool 3x3x32 global",
                      kind=AVG_POOL),
        max_pool_case(rng, 12, 12, 16, 3, 3, stride=1, padding="same", act=(-20, 90),
                      name="average pool 12x12x16 3x3/1 same, clamped", kind=AVG_POOL),
        max_pool_case(rng, 9, 10, 8, 2, 2, padding="same", misalign=1, name="average pool 9x10x8 2x2/2 same",
                      kind=AVG_POOL),
        *extremes,
        max_pool_case(rng, 16, 16, 4, 16, 16, stride=1, act=(-128, 127),
                      name="average pool 16x16x4 global, 256 taps (portable)", kind=AVG_POOL),
        max_pool_case(rng, 7, 7, 6, 3, 3, stride=2, name="average pool 7x7x6 3x3/2 (portable)", kind=AVG_POOL),
    ]


def _copy_cases(rng) -> list:
    """The staged weights' copy: 64 bytes a turn by LDM/STM on Thumb-2 cores, the rest by memcpy: less than a turn,
    one turn exactly, two turns and a halfword, sixteen turns and a tail of 15 words and a halfword (the micro:bit's
    16 KiB of RAM bound the size)."""
    return [copy_case(rng, size, name=f"copy words {size} B") for size in (2, 60, 64, 130, 1024 + 62)]


def _mean_cases(rng) -> list:
    """MEAN over H and W, four channels a word on DSP cores: channel counts of whole words and with a 1..3
    channel tail, one channel, misaligned input, two batches, and more pixels than an int16 lane sums at
    once (257: a second round, all -128 where the lane would overflow)."""
    extreme = mean_case(rng, 1, 1, 257, 4, name="mean 1x257x4 (two rounds of lane sums, all -128)")
    extreme.arrays[0] = np.full_like(extreme.arrays[0], -128)
    return [
        mean_case(rng, 1, 8, 8, 32, name="mean 8x8x32"),
        mean_case(rng, 1, 5, 7, 13, misalign=3, name="mean 5x7x13"),
        mean_case(rng, 2, 3, 4, 6, misalign=1, name="mean 2x3x4x6 (two batches)"),
        mean_case(rng, 1, 6, 6, 1, name="mean 6x6x1 (portable)"),
        mean_case(rng, 1, 16, 20, 8, misalign=2, name="mean 16x20x8 (320 pixels)"),
        extreme,
    ]


def _plane_cases(rng) -> list:
    """The per-channel-plane depthwise path (3x3, multiplier 1, stride 1): padding on every side, none,
    odd and even output widths (the last unpaired output), odd channel counts, input zero points at both
    ends, the clamp with and without the full int8 range, the widest output row it takes beside one too
    wide for it; and the 3x3 stride-2 shapes it leaves to the general path (padding on the bottom and
    right only, leftover rows and columns)."""
    return [
        full_range(depthwise_case(rng, 7, 9, 5, 1, 3, 3, padding="same", misalign=(1, 2),
                                  name="dw plane 7x9x5 s1 same")),
        depthwise_case(rng, 6, 8, 3, 1, 3, 3, padding="same", zero_point=127, name="dw plane 6x8x3 s1 same"),
        depthwise_case(rng, 8, 10, 7, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                       name="dw 8x10x7 s2 same (bottom and right padding)"),
        full_range(depthwise_case(rng, 9, 11, 4, 1, 3, 3, stride=2, padding="same", misalign=(3, 1),
                                  name="dw 9x11x4 s2 same")),
        depthwise_case(rng, 10, 10, 9, 1, 3, 3, stride=2, padding="valid", name="dw 10x10x9 s2 valid"),
        full_range(depthwise_case(rng, 5, 12, 1, 1, 3, 3, padding="valid", name="dw plane 5x12x1 s1 valid")),
        depthwise_case(rng, 3, 126, 2, 1, 3, 3, padding="same", name="dw plane 3x126x2 s1 same (widest row)"),
        depthwise_case(rng, 3, 127, 2, 1, 3, 3, padding="same",
                       name="dw 3x127x2 s1 same (too wide for the plane path)"),
        *_transposed_plane_cases(rng),
        *_stride2_plane_cases(rng),
        *_small_plane_cases(rng),
        *_plane_quads_requantised_cases(rng),
        *_plane_pairs_cases(rng),
        *_plane_hex_cases(np.random.default_rng(20261211)),
    ]


def _negative_multiplier(case):
    """The case with its second channel's multiplier negated, which the plane path leaves to the general one
    (plane_quad_full's rounding takes the accumulator's sign for the product's)."""
    case.arrays[3][1] = -case.arrays[3][1]
    case.name += ", a negative multiplier"
    return case


def _plane_pairs_cases(rng) -> list:
    """The plane path's walk of two channels at a time (plane_copy_rows2: both channels' values of a pixel from
    one halfword) and its requantisation in the asm at both strides: the default detector's 8x8x32 layer and
    its 32x32x8 and 16x16x16 ones cut to fewer rows (the M0+ build's buffers hold 2.3 KB of output), 1, 2, 3,
    5, 8 and 12 channels (a last channel alone), odd widths (a last pixel, a last pair), SAME and VALID,
    walked by rows and by columns, stride 2 with odd and even sizes, in place, zero points -128 and 0, the
    clamp to a narrower range; and a negative multiplier (the general path)."""
    return [
        full_range(depthwise_case(rng, 8, 32, 8, 1, 3, 3, padding="same", zero_point=-128,
                                  name="dw pairs 8x32x8 s1 same (the detector's layer 2, 8 rows)")),
        full_range(depthwise_case(rng, 9, 16, 16, 1, 3, 3, padding="same", zero_point=0,
                                  name="dw pairs 9x16x16 s1 same (the detector's layer 6, 9 rows)")),
        full_range(depthwise_case(rng, 8, 8, 32, 1, 3, 3, padding="same", name="dw pairs 8x8x32 s1 same")),
        full_range(depthwise_case(rng, 16, 16, 1, 1, 3, 3, padding="same", name="dw pairs 16x16x1 s1 same")),
        full_range(depthwise_case(rng, 16, 16, 2, 1, 3, 3, padding="same", name="dw pairs 16x16x2 s1 same")),
        _narrow(depthwise_case(rng, 9, 13, 3, 1, 3, 3, padding="same", zero_point=-128,
                               name="dw pairs 9x13x3 s1 same")),
        full_range(depthwise_case(rng, 9, 11, 5, 1, 3, 3, padding="valid", zero_point=0, misalign=(1, 3),
                                  name="dw pairs 9x11x5 s1 valid")),
        _narrow(depthwise_case(rng, 7, 15, 12, 1, 3, 3, padding="same", name="dw pairs 7x15x12 s1 same")),
        full_range(depthwise_case(rng, 13, 9, 8, 1, 3, 3, padding="valid", zero_point=-128,
                                  name="dw pairs 13x9x8 s1 valid (by columns)")),
        full_range(depthwise_case(rng, 11, 7, 3, 1, 3, 3, padding="same", name="dw pairs 11x7x3 s1 same (by columns)")),
        full_range(depthwise_case(rng, 17, 17, 5, 1, 3, 3, stride=2, padding="same", zero_point=0,
                                  name="dw pairs 17x17x5 s2 same")),
        full_range(depthwise_case(rng, 18, 24, 16, 1, 3, 3, stride=2, padding="same",
                                  name="dw pairs 18x24x16 s2 same")),
        _narrow(depthwise_case(rng, 18, 24, 16, 1, 3, 3, stride=2, padding="same", name="dw pairs 18x24x16 s2 same")),
        full_range(depthwise_case(rng, 20, 19, 12, 1, 3, 3, stride=2, padding="valid", zero_point=-128,
                                  misalign=(2, 1), name="dw pairs 20x19x12 s2 valid")),
        in_place(full_range(depthwise_case(rng, 12, 10, 6, 1, 3, 3, padding="same", zero_point=0,
                                           name="dw pairs 12x10x6 s1 same"))),
        in_place(_narrow(depthwise_case(rng, 9, 9, 5, 1, 3, 3, padding="same", name="dw pairs 9x9x5 s1 same"))),
        in_place(full_range(depthwise_case(rng, 9, 20, 4, 1, 3, 3, stride=2, padding="same",
                                           name="dw pairs 9x20x4 s2 same"))),
        _negative_multiplier(full_range(depthwise_case(rng, 16, 16, 8, 1, 3, 3, padding="same",
                                                       name="dw pairs 16x16x8 s1 same"))),
    ]


def _plane_quads_requantised_cases(rng) -> list:
    """The plane path's four outputs a pass into [-128, 127] with stride 1 (plane_quad_full: requantised and
    stored in the asm): DS-CNN's 25x5 walked by columns (6 passes and 1 output a column) and 5x25 by rows,
    MobileNet's 12x12, SAME and VALID, odd widths and channel counts, zero points -128 and 0, misaligned
    buffers, in place (by rows); beside them the same 25x5 layer clamped to [-60, 70] (requantised in C)."""
    return [
        full_range(depthwise_case(rng, 25, 5, 17, 1, 3, 3, padding="same", zero_point=-128,
                                  name="dw quads 25x5x17 s1 same (by columns)")),
        _narrow(depthwise_case(rng, 25, 5, 17, 1, 3, 3, padding="same", zero_point=-128,
                               name="dw quads 25x5x17 s1 same (by columns)")),
        full_range(depthwise_case(rng, 5, 25, 3, 1, 3, 3, padding="same", zero_point=0, misalign=(1, 3),
                                  name="dw quads 5x25x3 s1 same")),
        full_range(depthwise_case(rng, 12, 12, 16, 1, 3, 3, padding="same", name="dw quads 12x12x16 s1 same")),
        full_range(depthwise_case(rng, 27, 7, 5, 1, 3, 3, padding="valid", zero_point=0,
                                  name="dw quads 27x7x5 s1 valid (by columns)")),
        full_range(depthwise_case(rng, 9, 15, 3, 1, 3, 3, padding="same", misalign=(2, 1),
                                  name="dw quads 9x15x3 s1 same")),
        in_place(full_range(depthwise_case(rng, 25, 5, 8, 1, 3, 3, padding="same", zero_point=-128,
                                           name="dw quads 25x5x8 s1 same (rows: in place)"))),
    ]


def _plane_hex_cases(rng) -> list:
    """The plane path's last six outputs of a stride-1 row into [-128, 127] in one pass (plane_hex_full, rows of
    2 mod 4 outputs from 6 on): MobileNet's 6x6 planes, rows of 10 and 14 (quads before it), SAME and VALID,
    explicit padding on each side, by rows and by columns, in place, 1, 2, 3, 5, 8, 17 and 32 channels, zero
    points -128 and 0, misaligned buffers; rows of 6 as small planes (plane_small_channels: each channel's
    padded plane whole, up to 48 rows, in place too) and one row more on the ring; beside them the same 6x6
    layer clamped to [-60, 70] (a quad and a pair), rows of 8 (two quads), a stride-2 row of 14 and a 6x6
    plane dilated by 2 (the general path)."""
    return [
        full_range(depthwise_case(rng, 6, 6, 32, 1, 3, 3, padding="same", zero_point=-128,
                                  name="dw hex 6x6x32 s1 same")),
        _narrow(depthwise_case(rng, 6, 6, 32, 1, 3, 3, padding="same", zero_point=-128,
                               name="dw hex 6x6x32 s1 same")),
        full_range(depthwise_case(rng, 8, 8, 32, 1, 3, 3, padding="same", zero_point=-128,
                                  name="dw hex 8x8x32 s1 same (two quads a row)")),
        full_range(depthwise_case(rng, 6, 6, 1, 1, 3, 3, padding="same", zero_point=0, name="dw hex 6x6x1 s1 same")),
        full_range(depthwise_case(rng, 9, 10, 17, 1, 3, 3, padding="same", misalign=(1, 3),
                                  name="dw hex 9x10x17 s1 same")),
        full_range(depthwise_case(rng, 7, 14, 3, 1, 3, 3, padding="same", zero_point=-128,
                                  name="dw hex 7x14x3 s1 same")),
        full_range(depthwise_case(rng, 8, 8, 2, 1, 3, 3, padding="valid", zero_point=0, name="dw hex 8x8x2 s1 valid")),
        full_range(depthwise_case(rng, 7, 6, 8, 1, 3, 3, padding=(2, 1, 0, 2), name="dw hex 7x6x8 s1 top and right")),
        full_range(depthwise_case(rng, 6, 6, 5, 1, 3, 3, padding=(0, 2, 2, 0), zero_point=-128,
                                  name="dw hex 6x6x5 s1 bottom and left")),
        full_range(depthwise_case(rng, 10, 6, 3, 1, 3, 3, padding="same", misalign=(2, 1),
                                  name="dw hex 10x6x3 s1 same (by columns)")),
        in_place(full_range(depthwise_case(rng, 6, 10, 5, 1, 3, 3, padding="same", zero_point=0,
                                           name="dw hex 6x10x5 s1 same (in place)"))),
        full_range(depthwise_case(rng, 5, 28, 16, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                                  name="dw hex 5x28x16 s2 same (a quad and a pair, stride 2)")),
        full_range(depthwise_case(rng, 10, 10, 4, 1, 3, 3, dilation=2, padding="same",
                                  name="dw hex 10x10x4 s1 same dilation 2 (the general path)")),
        in_place(full_range(depthwise_case(rng, 46, 6, 2, 1, 3, 3, padding="same", zero_point=-128,
                                           name="dw hex 46x6x2 s1 same (a small plane of 48 rows)"))),
        in_place(full_range(depthwise_case(rng, 47, 6, 2, 1, 3, 3, padding="same", zero_point=-128,
                                           name="dw hex 47x6x2 s1 same (too tall for a small plane)"))),
        in_place(full_range(depthwise_case(rng, 47, 8, 2, 1, 3, 3, padding="same", zero_point=-128,
                                           name="dw hex 47x8x2 s1 same (two quads a row)"))),
        in_place(full_range(depthwise_case(rng, 9, 8, 3, 1, 3, 3, padding="valid", zero_point=0,
                                           name="dw hex 9x8x3 s1 valid (a small plane)"))),
        full_range(depthwise_case(rng, 6, 6, 17, 1, 3, 3, padding="same", misalign=(3, 1),
                                  name="dw hex 6x6x17 s1 same (a small plane)")),
        *_small12_cases(rng),
        *_small_s2_cases(rng),
        *_small3_cases(rng),
    ]


def _small3_cases(rng) -> list:
    """Small planes of rows of 3 from 16 channels into [-128, 127] (plane_tri_full; MobileNet's 3x3x256 layer and its
    6x6x128 -> 3x3 stride-2 one): SAME at stride 1 (each pair's rows copied whole after the padding column:
    plane_copy_small3_rows2) and at stride 2 (rows of 6 copied whole; padding on every side: row by row), VALID at both,
    padding of 2 on the top and left, 2 rows, 17 channels (a last channel alone), misaligned buffers, in place (a plane
    taller than wide too, walked by rows in place), on the channels' records too; beside them the 3x3 layer clamped to a
    narrower range and over 8 channels, which stay on the general path (test_depthwise_small_planes_of_three)."""
    twins = [depthwise_case(np.random.default_rng(37), 3, 3, 64, 1, 3, 3, padding="same", zero_point=-128,
                            name="dw small3 3x3x64 s1 same") for _ in range(2)]
    return [
        full_range(twins[0]), _narrow(twins[1]),
        full_range(depthwise_case(rng, 3, 3, 17, 1, 3, 3, padding="same", misalign=(2, 1),
                                  name="dw small3 3x3x17 s1 same (a last channel alone)")),
        full_range(depthwise_case(rng, 5, 5, 16, 1, 3, 3, padding="valid", zero_point=0,
                                  name="dw small3 5x5x16 s1 valid")),
        full_range(depthwise_case(rng, 2, 3, 24, 1, 3, 3, padding="same", name="dw small3 2x3x24 s1 same (2 rows)")),
        full_range(depthwise_case(rng, 3, 3, 16, 1, 3, 3, padding=(2, 0, 2, 0), zero_point=127,
                                  name="dw small3 3x3x16 s1 pad 2 top and left")),
        in_place(full_range(depthwise_case(rng, 3, 3, 32, 1, 3, 3, padding="same", zero_point=0,
                                           name="dw small3 3x3x32 s1 same (in place)"))),
        in_place(full_range(depthwise_case(rng, 12, 3, 8, 1, 3, 3, padding="same", zero_point=-128,
                                           name="dw small3 12x3x8 s1 same (taller than wide, in place)"))),
        full_range(depthwise_case(rng, 6, 6, 128, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                                  name="dw small3 6x6x128 s2 same")),
        full_range(depthwise_case(rng, 5, 5, 16, 1, 3, 3, stride=2, padding="same", misalign=(1, 3),
                                  name="dw small3 5x5x16 s2 same (padding on every side)")),
        full_range(depthwise_case(rng, 7, 8, 20, 1, 3, 3, stride=2, padding="valid",
                                  name="dw small3 7x8x20 s2 valid (a last column no window reaches)")),
        planes(full_range(depthwise_case(rng, 3, 3, 33, 1, 3, 3, padding="same", zero_point=-128,
                                         name="dw small3 3x3x33 s1 same"))),
        planes(in_place(full_range(depthwise_case(rng, 6, 6, 16, 1, 3, 3, stride=2, padding="same",
                                                  name="dw small3 6x6x16 s2 same (in place)")))),
        full_range(depthwise_case(rng, 3, 3, 8, 1, 3, 3, padding="same",
                                  name="dw small3 3x3x8 s1 same (the general path)")),
    ]


def _small_s2_cases(rng) -> list:
    """Small planes at stride 2, rows of 6 (MobileNet's 12x12x64 -> 6x6 layer): SAME with padding at the bottom and
    right (rows of 12 copied by the asm), SAME with padding on every side and VALID (rows copied one by one, the
    VALID one with a last input row no window reaches), fewer rows than columns, in place; the same SAME layer
    clamped to a narrower range stays on the general path."""
    same = [depthwise_case(np.random.default_rng(31), 12, 12, 16, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                           name="dw small s2 12x12x16 same") for _ in range(2)]
    return [
        full_range(same[0]), _narrow(same[1]),
        full_range(depthwise_case(rng, 11, 11, 6, 1, 3, 3, stride=2, padding="same", misalign=(2, 1),
                                  name="dw small s2 11x11x6 same (padding on every side)")),
        full_range(depthwise_case(rng, 14, 13, 5, 1, 3, 3, stride=2, padding="valid", zero_point=0,
                                  name="dw small s2 14x13x5 valid (a last row no window reaches)")),
        full_range(depthwise_case(rng, 8, 12, 4, 1, 3, 3, stride=2, padding="same",
                                  name="dw small s2 8x12x4 same (4 rows of 6)")),
        in_place(full_range(depthwise_case(rng, 12, 12, 8, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                                           name="dw small s2 12x12x8 same (in place)"))),
    ]


def _small12_cases(rng) -> list:
    """Small planes of rows of 12 (two passes of six a row; MobileNet's 12x12x64 layer): SAME, the tallest (22 rows, in
    place), one row more (the ring), VALID (rows copied one by one, 5 channels: a last channel alone), and padding
    of 2 on the left and bottom (the copy's rows word-aligned)."""
    return [
        full_range(depthwise_case(rng, 12, 12, 16, 1, 3, 3, padding="same", zero_point=-128, misalign=(1, 2),
                                  name="dw small12 12x12x16 s1 same")),
        in_place(full_range(depthwise_case(rng, 22, 12, 4, 1, 3, 3, padding="same", zero_point=0,
                                           name="dw small12 22x12x4 s1 same (the tallest, in place)"))),
        full_range(depthwise_case(rng, 23, 12, 4, 1, 3, 3, padding="same",
                                  name="dw small12 23x12x4 s1 same (too tall: the ring)")),
        full_range(depthwise_case(rng, 14, 14, 5, 1, 3, 3, padding="valid", zero_point=-128,
                                  name="dw small12 14x14x5 s1 valid (rows copied one by one)")),
        full_range(depthwise_case(rng, 12, 12, 6, 1, 3, 3, padding=(0, 2, 2, 0),
                                  name="dw small12 12x12x6 s1 bottom and left")),
    ]


def _small_plane_cases(rng) -> list:
    """3x3 layers of fewer than 16 outputs a channel (36 from 16 channels into [-128, 127]), which the plane
    path leaves to the general one but for rows of 3 from 16 channels into [-128, 127] (the 3x3x64 plane here,
    _small3_cases): 1x1, 2x2, 3x3, 3x4, 3x5 and 4x6 planes, SAME and VALID, stride 2 on even and odd sizes, 1 to
    128 channels (odd counts, more than one 16-channel chunk), zero points -128 and 0, the clamp with and without
    the full range; into [-128, 127] from 16 channels, 5x6 planes and stride-2 rows of 10 outputs too; beside them
    the smallest the plane path takes there, a 6x6 plane of 16 channels and stride-2 rows of 12 outputs, and a
    10x10 plane."""
    return [
        depthwise_case(rng, 1, 1, 3, 1, 3, 3, padding="same", zero_point=0, name="dw small 1x1x3 s1 same"),
        depthwise_case(rng, 2, 2, 5, 1, 3, 3, padding="same", zero_point=-128, name="dw small 2x2x5 s1 same"),
        full_range(depthwise_case(rng, 3, 3, 64, 1, 3, 3, padding="same", name="dw small 3x3x64 s1 same")),
        depthwise_case(rng, 3, 3, 128, 1, 3, 3, padding="same", zero_point=0, name="dw small 3x3x128 s1 same"),
        depthwise_case(rng, 3, 5, 8, 1, 3, 3, padding="same", zero_point=-128, name="dw small 3x5x8 s1 same"),
        depthwise_case(rng, 5, 7, 1, 1, 3, 3, padding="valid", name="dw small 5x7x1 s1 valid"),
        depthwise_case(rng, 4, 6, 21, 1, 3, 3, padding="same", name="dw small 4x6x21 s1 same"),
        depthwise_case(rng, 5, 6, 3, 1, 3, 3, padding="valid", zero_point=0, name="dw small 5x6x3 s1 valid (3x4)"),
        depthwise_case(rng, 6, 6, 128, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                       name="dw small 6x6x128 s2 same (bottom and right padding)"),
        depthwise_case(rng, 7, 7, 5, 1, 3, 3, stride=2, padding="same", name="dw small 7x7x5 s2 same (every side)"),
        full_range(depthwise_case(rng, 10, 10, 16, 1, 3, 3, padding="same", name="dw plane 10x10x16 s1 same")),
        full_range(depthwise_case(rng, 5, 6, 16, 1, 3, 3, padding="same", name="dw small 5x6x16 s1 same")),
        full_range(depthwise_case(rng, 6, 6, 16, 1, 3, 3, padding="same", name="dw plane 6x6x16 s1 same")),
        full_range(depthwise_case(rng, 20, 20, 16, 1, 3, 3, stride=2, padding="same",
                                  name="dw small 20x20x16 s2 same")),
        full_range(depthwise_case(rng, 20, 24, 16, 1, 3, 3, stride=2, padding="same",
                                  name="dw plane 20x24x16 s2 same")),
        depthwise_case(rng, 6, 6, 64, 1, 3, 3, padding="same", name="dw small 6x6x64 s1 same"),
        *_small_plane_outputs_cases(rng),
    ]


def _small_plane_outputs_cases(rng) -> list:
    """The general path's groups of 4 channels into [-128, 127] (depthwise_rows_outputs: 3 taps a row, or 2
    beside a padded column, requantised in the asm): planes 1x1 to 6x6 and 25x5, 1 to 128 channels (no
    group, whole groups, a tail of 1..3), SAME and VALID, padding on each side alone, stride 2 on odd and
    even sizes, zero points -128 and 0, in place; beside them a 3x3 filter dilated by 2 (3 taps a row)
    and a padding of 2 (1 tap a row: the C loop)."""
    cases = [
        (1, 1, 4, 1, "same", 0), (2, 2, 1, 1, "same", -128), (2, 3, 12, 1, "same", None),
        (3, 3, 20, 1, "same", 0), (3, 4, 3, 1, "same", None), (3, 5, 5, 1, "same", -128),
        (5, 6, 64, 1, "same", None), (6, 6, 16, 1, "valid", None), (8, 8, 8, 1, "valid", 0),
        (25, 5, 16, 2, "same", None), (26, 6, 20, 2, "same", -128), (7, 7, 16, 2, "same", 0),
        (6, 6, 16, 1, (1, 0, 0, 0), None), (6, 6, 16, 1, (0, 1, 0, 0), None),
        (6, 6, 20, 1, (0, 0, 1, 0), 0), (6, 6, 20, 1, (0, 0, 0, 1), -128),
        (4, 6, 4, 1, (2, 2, 2, 2), None),
    ]
    out = [full_range(depthwise_case(rng, h, w, c, 1, 3, 3, stride=stride, padding=padding, zero_point=zp,
                                     name=f"dw outputs {h}x{w}x{c} s{stride} {padding}"))
           for h, w, c, stride, padding, zp in cases]
    out.append(full_range(depthwise_case(rng, 7, 7, 8, 1, 3, 3, dilation=2, padding="same",
                                         name="dw outputs 7x7x8 s1 same dilation 2")))
    out.append(in_place(full_range(depthwise_case(rng, 5, 6, 16, 1, 3, 3, padding="same",
                                                  name="dw outputs 5x6x16 s1 same"))))
    out.append(_narrow(depthwise_case(rng, 5, 6, 64, 1, 3, 3, padding="same", name="dw outputs 5x6x64 s1 same")))
    return out


def _stride2_plane_cases(rng) -> list:
    """The plane path with stride 2 (output rows of 12 or more): padding on the bottom and right only
    (even sizes) and on every side (odd ones), none, 4, 2 and 1 outputs a pass, a tall plane walked by
    columns, zero points at both ends, odd channel counts, the clamp with and without the full range;
    the layer of the widest row it takes beside its twin that the general path runs (a shift of 0)."""
    return [
        depthwise_case(rng, 6, 24, 3, 1, 3, 3, stride=2, padding="same", misalign=(1, 2),
                       name="dw plane 6x24x3 s2 same (bottom and right padding)"),
        full_range(depthwise_case(rng, 5, 25, 5, 1, 3, 3, stride=2, padding="same", zero_point=-128,
                                  name="dw plane 5x25x5 s2 same (padding on every side)")),
        depthwise_case(rng, 7, 30, 2, 1, 3, 3, stride=2, padding="valid", zero_point=127,
                       name="dw plane 7x30x2 s2 valid"),
        depthwise_case(rng, 30, 26, 2, 1, 3, 3, stride=2, padding="same",
                       name="dw plane 30x26x2 s2 same (by columns)"),
        depthwise_case(rng, 3, 124, 2, 1, 3, 3, stride=2, padding="same",
                       name="dw plane 3x124x2 s2 same (62 outputs a row)"),
        _unscaled(depthwise_case(rng, 3, 124, 2, 1, 3, 3, stride=2, padding="same", name="dw 3x124x2 s2 same")),
    ]


def _transposed_plane_cases(rng) -> list:
    """The plane path walking a plane taller than wide by columns: padding on every side with 4, 2 and 1
    outputs a pass (11 tall), a 1-pixel-wide output, an Nx1 image and a 1xN one (rows, not transposed),
    a zero point at each end, odd channel counts, and one too tall to transpose (a 130-value column)."""
    return [
        depthwise_case(rng, 11, 4, 5, 1, 3, 3, padding="same", misalign=(2, 1),
                       name="dw plane 11x4x5 s1 same (by columns)"),
        full_range(depthwise_case(rng, 14, 6, 3, 1, 3, 3, padding="same", zero_point=-128,
                                  name="dw plane 14x6x3 s1 same (by columns)")),
        depthwise_case(rng, 32, 3, 7, 1, 3, 3, padding="valid", zero_point=127,
                       name="dw plane 32x3x7 s1 valid (one column)"),
        depthwise_case(rng, 30, 1, 4, 1, 3, 3, padding="same", name="dw plane 30x1x4 s1 same (Nx1 image)"),
        depthwise_case(rng, 1, 30, 4, 1, 3, 3, padding="same", name="dw plane 1x30x4 s1 same (1xN image)"),
        depthwise_case(rng, 130, 2, 2, 1, 3, 3, padding="same",
                       name="dw plane 130x2x2 s1 same (too tall to transpose)"),
        full_range(depthwise_case(rng, 25, 5, 8, 1, 3, 3, padding="same", name="dw plane 25x5x8 s1 same (by columns)")),
    ]


def _window_cases(rng) -> list:
    """The whole-window CONV_2D path (1 to 3 input channels, windows of up to 40 bytes once padded to
    whole words): 1, 2 and 3 channels, padding on every side, stride 2, dilation, a single output pixel
    (an odd pixel count), odd channel counts and more than one chunk of channels with an odd tail, input
    zero points at both ends, no bias, per-tensor scales, the largest window it takes beside the next
    one up, and a layer it leaves to the general path (a shift of 0 on one channel)."""
    return [
        conv_case(rng, 9, 8, 1, 8, 3, 3, stride=2, padding="same", misalign=(1, 3),
                  name="conv window 9x8x1->8 s2 same"),
        full_range(conv_case(rng, 7, 9, 3, 5, 3, 3, padding="same", zero_point=-128,
                             name="conv window 7x9x3->5 same (padding on every side)")),
        conv_case(rng, 10, 9, 2, 3, 3, 3, dilation=2, padding="same", zero_point=127, bias=False,
                  name="conv window 10x9x2->3 d2 same, no bias"),
        conv_case(rng, 11, 11, 3, 19, 3, 3, stride=2, padding="valid", per_channel=False,
                  name="conv window 11x11x3->19 s2 valid (two chunks, odd tail)"),
        conv_case(rng, 3, 3, 1, 7, 3, 3, padding="valid", name="conv window 3x3x1->7 (one output pixel)"),
        conv_case(rng, 6, 7, 1, 4, 1, 1, padding="valid", name="conv window 6x7x1->4 k1x1"),
        full_range(conv_case(rng, 9, 9, 2, 6, 4, 4, padding="same", name="conv window 9x9x2->6 k4x4 (32 bytes)")),
        conv_case(rng, 9, 9, 3, 6, 3, 4, padding="same", name="conv window 9x9x3->6 k3x4 (36 bytes)"),
        conv_case(rng, 12, 12, 1, 6, 3, 3, padding="same", name="conv window 12x12x1->6 same"),
        _unscaled(conv_case(rng, 12, 12, 1, 6, 3, 3, padding="same", name="conv 12x12x1->6 same")),
    ] + _small_window_cases(rng) + _one_channel_3x3_cases(rng) + _window_pairs_cases(
        np.random.default_rng(16))  # its own: the cases after these keep their data


def _window_pairs_cases(rng) -> list:
    """window_pairs' runs (window_run: a row's pairs of windows inside the image in one call, the channel pairs
    in one asm loop, its groups entered by a computed jump) beside the pairs across the border: 3x3 over 3
    channels (MobileNet's and ResNet-8's first layers) and over 1 channel 5x5 (copied windows), 4x4 (rows of a
    word, gathered across the border a word a row) and 10x4 (DS-CNN's, every group of code run); output channels
    1, 3, 8, 16, 17 and 32 (a lone last channel through the spare word, two chunks); stride 1 and 2; SAME,
    VALID and folded padding on every side; odd image widths and heights (an odd last pixel twice); rows of
    long runs; misaligned input; zero points -128 and 0; full and narrow ranges."""
    return [
        _narrow(conv_case(rng, 13, 11, 3, 8, 3, 3, stride=2, padding="same", zero_point=-128,
                          name="conv window 13x11x3->8 s2 same (MobileNet's first layer, odd image)")),
        full_range(conv_case(rng, 9, 10, 3, 16, 3, 3, padding="same", zero_point=0,
                             name="conv window 9x10x3->16 same (ResNet-8's first layer)")),
        _narrow(conv_case(rng, 8, 9, 3, 17, 3, 3, stride=2, padding=(1, 2, 2, 1), zero_point=0,
                          name="conv window 8x9x3->17 s2 padded on every side (two chunks, a lone channel)")),
        conv_case(rng, 7, 12, 3, 1, 3, 3, padding="same", zero_point=-128, name="conv window 7x12x3->1 same"),
        conv_case(rng, 10, 7, 3, 3, 3, 3, padding="valid", zero_point=0, misalign=(1, 2),
                  name="conv window 10x7x3->3 valid (odd rows)"),
        full_range(conv_case(rng, 11, 13, 3, 32, 3, 3, stride=2, padding="same", zero_point=-128,
                             name="conv window 11x13x3->32 s2 same (two chunks)")),
        full_range(conv_case(rng, 6, 40, 3, 8, 3, 3, padding="valid", zero_point=-128,
                             name="conv window 6x40x3->8 valid (long runs)")),
        _unscaled(full_range(conv_case(rng, 6, 40, 3, 8, 3, 3, padding="valid", zero_point=-128,
                                       name="conv 6x40x3->8 valid"))),
        _narrow(conv_case(rng, 12, 9, 1, 8, 5, 5, padding=(2, 1, 0, 3), zero_point=0,
                          name="conv window 12x9x1->8 k5x5 padded top 2, bottom 1, right 3")),
        conv_case(rng, 15, 7, 1, 17, 10, 4, stride=2, padding="same", zero_point=-128,
                  name="conv window 15x7x1->17 k10x4 s2 same"),
        _narrow(conv_case(rng, 9, 11, 1, 16, 4, 4, padding=(0, 2, 1, 1), zero_point=-128,
                          name="conv window 9x11x1->16 k4x4 padded bottom 2, left, right")),
    ]


def _small_window_cases(rng) -> list:
    """The window path's filters of at most 3 rows of at most 3 bytes (window_small: each row a word read
    from the image): rows wider than its 32-pixel batch with windows up to the image's last byte, dilation
    (every window gathered at the border), 3 channels 1x1 with two chunks of channels, 2 rows of 3 bytes,
    misaligned input and zero points at both ends; and 4-byte rows with SAME padding on the bottom and right,
    which window_pairs takes."""
    return [
        conv_case(rng, 5, 40, 1, 6, 3, 3, padding="valid", misalign=(2, 1),
                  name="conv window 5x40x1->6 valid (38-pixel rows, the image's last byte)"),
        conv_case(rng, 9, 9, 1, 5, 3, 3, stride=2, dilation=2, padding="same", zero_point=127,
                  name="conv window 9x9x1->5 s2 d2 same"),
        conv_case(rng, 8, 7, 3, 20, 1, 1, stride=2, padding="valid", zero_point=-128, misalign=(1, 0),
                  name="conv window 8x7x3->20 k1x1 s2 (two chunks)"),
        conv_case(rng, 7, 8, 2, 9, 2, 2, padding="same", name="conv window 7x8x2->9 k2x2 same (4-byte rows)"),
        full_range(conv_case(rng, 6, 9, 1, 7, 2, 3, padding="same", zero_point=-128, misalign=(3, 2),
                             name="conv window 6x9x1->7 k2x3 same")),
    ]


def _one_channel_3x3_cases(rng) -> list:
    """window_small's packed 3x3 windows (each pixel over every channel, two a step, requantised in registers):
    the default detector's 66x66x1 -> 8 s2 valid layer (at 18x18), stride 1 and 2 on odd and even images,
    SAME padding, padding on one side at a time (a PAD folded in) and VALID, output channels 1, 3, 4, 5, 8, 9,
    16 and 17 (a lone last channel through the spare pixel, two chunks), the last pixel's odd channel at the
    tensor's end, input zero points -128 and 0, full and narrow activation ranges, filters of 1, 2 and 3 rows
    of 1 to 3 bytes (1x3, 3x1, 2x3, 1x1 over 3 channels, 3x1 over 1), and the 5x5 beside them (window_pairs)."""
    sides = {"top": (1, 0, 0, 0), "bottom": (0, 1, 0, 0), "left": (0, 0, 1, 0), "right": (0, 0, 0, 1)}
    return [
        full_range(conv_case(rng, 18, 18, 1, 8, 3, 3, stride=2, padding="valid", zero_point=-128,
                             name="conv window 18x18x1->8 s2 valid (the detector's first layer)")),
        _narrow(conv_case(rng, 18, 18, 1, 8, 3, 3, stride=2, padding="valid", zero_point=0,
                          name="conv window 18x18x1->8 s2 valid")),
        _unscaled(conv_case(rng, 18, 18, 1, 8, 3, 3, stride=2, padding="valid", zero_point=-128,
                            name="conv 18x18x1->8 s2 valid")),
        conv_case(rng, 9, 7, 1, 1, 3, 3, padding="same", zero_point=-128, name="conv window 9x7x1->1 same"),
        _narrow(conv_case(rng, 8, 10, 1, 3, 3, 3, stride=2, padding="same", misalign=(1, 2),
                          name="conv window 8x10x1->3 s2 same")),
        full_range(conv_case(rng, 11, 9, 1, 4, 3, 3, stride=2, padding="same", zero_point=0,
                             name="conv window 11x9x1->4 s2 same (padding on every side)")),
        conv_case(rng, 7, 6, 1, 5, 3, 3, padding="valid", zero_point=0, name="conv window 7x6x1->5 valid"),
        _narrow(conv_case(rng, 10, 9, 1, 9, 3, 3, stride=2, padding="valid", zero_point=-128,
                          name="conv window 10x9x1->9 s2 valid (the odd channel at the tensor's end)")),
        conv_case(rng, 12, 11, 1, 16, 3, 3, padding="same", zero_point=-128, name="conv window 12x11x1->16 same"),
        _narrow(conv_case(rng, 9, 8, 1, 17, 3, 3, stride=2, padding="same", zero_point=0,
                          name="conv window 9x8x1->17 s2 same (two chunks, a lone last channel)")),
        *[conv_case(rng, 7, 8, 1, 8, 3, 3, stride=stride, padding=pad, zero_point=zero_point,
                    name=f"conv window 7x8x1->8 s{stride} padded {side}")
          for (side, pad), stride, zero_point in zip(sides.items(), (1, 2, 2, 1), (-128, 0, 127, -128))],
        full_range(conv_case(rng, 6, 9, 1, 6, 1, 3, padding="same", zero_point=-128, name="conv window 6x9x1->6 k1x3")),
        _narrow(conv_case(rng, 9, 6, 1, 5, 3, 1, stride=2, padding="same", name="conv window 9x6x1->5 k3x1 s2")),
        conv_case(rng, 8, 7, 1, 4, 2, 3, stride=2, padding="valid", zero_point=0, name="conv window 8x7x1->4 k2x3 s2"),
        conv_case(rng, 6, 5, 3, 9, 1, 1, padding="valid", zero_point=-128, name="conv window 6x5x3->9 k1x1"),
        _narrow(conv_case(rng, 10, 11, 1, 8, 5, 5, stride=2, padding="same", zero_point=-128,
                          name="conv window 10x11x1->8 k5x5 s2 same")),
    ]


def _small_padded_cases(rng) -> list:
    """window_small under explicit padding (a PAD folded in, tinyctl.engine.pad_fusion): the windows across
    the border composed a word a row, in their own runs beside the windows inside. The default detector's
    first layer (1 on every side, stride 2, the last row's last window past the image's end), padding on
    one side, on two, asymmetric and wider than a window (windows wholly outside), rows of more than one
    32-pixel batch, columns of more than 32 rows, 1x1 over 3 channels and 2x3 over 1, output channels 1, 3, 8 and 16, odd and even
    images, zero points -128, 0 and 127, full and narrow ranges; and an image narrower than a word
    (gathered by window_border)."""
    return [
        full_range(conv_case(rng, 16, 16, 1, 8, 3, 3, stride=2, padding=(1, 1, 1, 1), zero_point=-128,
                             name="conv window 16x16x1->8 s2 padded 1 (the detector's folded PAD)")),
        conv_case(rng, 18, 18, 1, 8, 3, 3, stride=2, padding="valid", zero_point=-128,
                  name="conv window 18x18x1->8 s2 valid (beside the folded PAD)"),
        _narrow(conv_case(rng, 9, 11, 1, 16, 3, 3, padding=(2, 0, 0, 1), zero_point=0,
                          name="conv window 9x11x1->16 padded top 2, right 1")),
        conv_case(rng, 10, 12, 1, 1, 3, 3, stride=2, padding=(0, 1, 2, 1), zero_point=127,
                  name="conv window 10x12x1->1 s2 padded bottom 1, left 2, right 1"),
        _narrow(conv_case(rng, 7, 9, 1, 3, 3, 3, padding=(1, 0, 4, 0), zero_point=-128,
                          name="conv window 7x9x1->3 padded left 4 (windows wholly outside)")),
        full_range(conv_case(rng, 4, 70, 1, 8, 3, 3, padding=(1, 1, 1, 1), zero_point=0,
                             name="conv window 4x70x1->8 padded 1 (three batches a row)")),
        conv_case(rng, 7, 6, 3, 3, 1, 1, padding=(1, 2, 0, 1), zero_point=-128,
                  name="conv window 7x6x3->3 k1x1 padded bottom 2, top 1, right 1"),
        _narrow(conv_case(rng, 8, 9, 1, 16, 2, 3, stride=2, padding=(1, 1, 1, 0), zero_point=0,
                          name="conv window 8x9x1->16 k2x3 s2 padded top, bottom, left")),
        conv_case(rng, 5, 3, 1, 8, 3, 3, padding=(1, 1, 1, 1), zero_point=-128,
                  name="conv window 5x3x1->8 padded 1 (an image narrower than a word)"),
        _narrow(conv_case(rng, 70, 5, 1, 3, 3, 3, padding=(1, 1, 1, 1), zero_point=0,
                          name="conv window 70x5x1->3 padded 1 (the left windows down the column, three runs)")),
        conv_case(rng, 69, 6, 1, 8, 3, 3, stride=2, padding=(1, 1, 1, 1), zero_point=-128,
                  name="conv window 69x6x1->8 s2 padded 1 (a column of 35 rows)"),
    ]


def _first_layer_cases(rng) -> list:
    """The window path's first-layer shapes and their edges: 3x3 over 3 channels (read straight from the
    image) with stride 1 and 2 on odd and even images, SAME and VALID; 10x4 over 1 channel (40-byte windows
    of one word a row, the KWS DS-CNN's first layer; across the border a word a row) with padding on every
    side; 5x5 over 1 channel and 4x5 over 2 (copied first); output channels 1, 3, 8, 16 and 64 (an odd last
    channel alone); input zero points -128 and 0; the full and narrow activation ranges; the next window up
    (44 bytes), past the path; and the 3x3x3 and 10x4 layers on the general path (a shift of 0 on one
    channel)."""
    return [
        full_range(conv_case(rng, 16, 16, 3, 8, 3, 3, stride=2, padding="same", zero_point=-128,
                             name="conv window 16x16x3->8 s2 same (MobileNet's first layer)")),
        _unscaled(conv_case(rng, 16, 16, 3, 8, 3, 3, stride=2, padding="same", zero_point=-128,
                            name="conv 16x16x3->8 s2 same")),
        _narrow(conv_case(rng, 9, 11, 3, 16, 3, 3, padding="same", zero_point=0, misalign=(1, 2),
                          name="conv window 9x11x3->16 same (ResNet-8's first layer)")),
        conv_case(rng, 15, 13, 3, 3, 3, 3, stride=2, padding="same", name="conv window 15x13x3->3 s2 same"),
        _narrow(conv_case(rng, 7, 8, 3, 1, 3, 3, padding="valid", zero_point=-128,
                          name="conv window 7x8x3->1 valid")),
        full_range(conv_case(rng, 13, 6, 1, 64, 10, 4, stride=2, padding="same", zero_point=0,
                             name="conv window 13x6x1->64 k10x4 s2 same (DS-CNN's first layer)")),
        _unscaled(conv_case(rng, 13, 6, 1, 64, 10, 4, stride=2, padding="same", zero_point=0,
                            name="conv 13x6x1->64 k10x4 s2 same")),
        _narrow(conv_case(rng, 15, 9, 1, 3, 10, 4, padding="same", zero_point=-128, misalign=(3, 1),
                          name="conv window 15x9x1->3 k10x4 same (padding on every side)")),
        conv_case(rng, 12, 7, 1, 1, 10, 4, padding="valid", name="conv window 12x7x1->1 k10x4 valid"),
        conv_case(rng, 12, 4, 1, 8, 10, 4, stride=2, padding="same", zero_point=-128,
                  name="conv window 12x4x1->8 k10x4 s2 same (image one word wide)"),
        conv_case(rng, 14, 9, 1, 5, 10, 4, dilation=2, padding="same", name="conv window 14x9x1->5 k10x4 d2 same"),
        _narrow(conv_case(rng, 9, 8, 1, 8, 5, 5, padding="same", zero_point=0, name="conv window 9x8x1->8 k5x5 same")),
        conv_case(rng, 11, 10, 1, 16, 5, 5, stride=2, padding="same", name="conv window 11x10x1->16 k5x5 s2 same"),
        full_range(conv_case(rng, 9, 10, 2, 3, 4, 5, stride=2, padding="same", zero_point=-128,
                             name="conv window 9x10x2->3 k4x5 s2 same (40 bytes)")),
        conv_case(rng, 14, 7, 1, 6, 11, 4, padding="same", name="conv 14x7x1->6 k11x4 (44 bytes, past the window path)"),
    ]


def _in_place_cases(rng) -> list:
    """Depthwise written in place, its output the planner's shift below its input, on each path: the
    plane (padding on every side, none, an odd channel count, a tall plane it then walks by rows, stride 2), the
    chunked DSP loop (stride 2, 5x5, dilation, more than one 16-channel chunk, the general
    requantisation, 3x3 planes too small for the plane path) and the portable one (7x7)."""
    return [in_place(case) for case in [
        full_range(depthwise_case(rng, 7, 9, 5, 1, 3, 3, padding="same", name="dw plane 7x9x5 s1 same")),
        depthwise_case(rng, 6, 10, 3, 1, 3, 3, padding="valid", zero_point=127, name="dw plane 6x10x3 s1 valid"),
        depthwise_case(rng, 5, 5, 8, 1, 3, 3, padding="valid", zero_point=-128, name="dw small 5x5x8 s1 valid"),
        full_range(depthwise_case(rng, 4, 6, 21, 1, 3, 3, padding="same", name="dw small 4x6x21 s1 same")),
        depthwise_case(rng, 6, 6, 16, 1, 3, 3, stride=2, padding="same", zero_point=0, name="dw small 6x6x16 s2 same"),
        depthwise_case(rng, 9, 11, 20, 1, 3, 3, stride=2, padding="same", name="dw 9x11x20 s2 same"),
        depthwise_case(rng, 6, 5, 37, 1, 5, 5, padding="same", zero_point=-128, name="dw 6x5x37 k5x5 same"),
        depthwise_case(rng, 9, 9, 18, 1, 3, 3, dilation=2, padding="same", name="dw 9x9x18 d2 same"),
        _unscaled(depthwise_case(rng, 6, 6, 12, 1, 3, 3, padding="same", name="dw 6x6x12 k3x3 same")),
        depthwise_case(rng, 8, 8, 8, 1, 7, 7, padding="same", name="dw 8x8x8 k7x7 same (portable)"),
        depthwise_case(rng, 11, 4, 5, 1, 3, 3, padding="same", name="dw plane 11x4x5 s1 same (rows: in place)"),
        full_range(depthwise_case(rng, 25, 5, 8, 1, 3, 3, padding="same",
                                  name="dw plane 25x5x8 s1 same (rows: in place)")),
        depthwise_case(rng, 7, 26, 3, 1, 3, 3, stride=2, padding="same", name="dw plane 7x26x3 s2 same"),
    ]]


def _unscaled(case):
    """The case with a shift of 0 on its first channel: outside the 1x1 and depthwise paths' fast
    requantisation (which needs a right shift of 1 to 22), so they take the general one."""
    case.arrays[4] = case.arrays[4].copy()
    case.arrays[4][0] = 0
    case.name += ", shift 0"
    return case


def _special_cases(rng) -> list:
    """The branches of the matrix-product CONV_2D path (1x1 filters read in place, other windows
    gathered with padding, strides and dilation; odd pixel and channel counts, windows that are not
    whole words, more output channels than one chunk, the activation clamp with and without the full
    int8 range, windows and requantisations it leaves to the general path) and of the depthwise
    path (several channel chunks with a 1..3-channel tail, 3-tap rows inside the image and shorter ones
    at the borders, strides, dilation, filters too large for it), and FULLY_CONNECTED rows expanded to
    int16 or, when longer, read as they are."""
    return [
        full_range(conv_case(rng, 7, 5, 37, 45, 1, 1, padding="valid", name="conv 1x1 7x5x37->45")),
        conv_case(rng, 9, 9, 12, 8, 1, 1, stride=2, padding="same", zero_point=-128, name="conv 1x1/2 9x9x12->8"),
        full_range(conv_case(rng, 3, 3, 6, 4, 1, 1, padding="valid", name="conv 1x1 3x3x6->4")),
        conv_case(rng, 2, 3, 260, 5, 1, 1, padding="valid", name="conv 1x1 2x3x260->5 (deeper than the 1x1 path)"),
        _unscaled(conv_case(rng, 4, 4, 16, 8, 1, 1, padding="valid", name="conv 1x1 4x4x16->8")),
        full_range(conv_case(rng, 9, 8, 5, 6, 3, 3, stride=2, dilation=2, padding="same",
                             name="conv 9x8x5->6 k3x3 s2 d2 same")),
        conv_case(rng, 7, 6, 3, 9, 3, 2, padding="same", name="conv 7x6x3->9 k3x2 same"),
        conv_case(rng, 7, 7, 1, 5, 3, 3, stride=2, padding="same", misalign=(3, 1),
                  name="conv 7x7x1->5 k3x3 s2 same (padding on every side, windows inside copied whole)"),
        conv_case(rng, 11, 12, 3, 7, 5, 5, stride=2, padding="valid", zero_point=127,
                  name="conv 11x12x3->7 k5x5 s2 valid (every window inside, 15-byte rows)"),
        conv_case(rng, 5, 5, 32, 5, 3, 3, padding="same", name="conv 5x5x32->5 k3x3 (window over 256 bytes)"),
        full_range(depthwise_case(rng, 5, 7, 37, 1, 3, 3, padding="same", name="dw 5x7x37 k3x3 same")),
        depthwise_case(rng, 11, 9, 20, 1, 3, 3, stride=2, dilation=2, padding="same", zero_point=-128,
                       name="dw 11x9x20 k3x3 s2 d2 same"),
        full_range(depthwise_case(rng, 5, 9, 18, 1, 3, 2, stride=2, padding="valid", name="dw 5x9x18 k3x2 s2")),
        _unscaled(depthwise_case(rng, 6, 6, 12, 1, 3, 3, padding="same", name="dw 6x6x12 k3x3 same")),
        depthwise_case(rng, 8, 8, 8, 1, 7, 7, padding="same", name="dw 8x8x8 k7x7 same (portable)"),
        fc_case(rng, 2, 640, 9, name="fc 2x640->9 (the deepest rows expanded)"),
        fc_case(rng, 1, 641, 4, zero_point=-128, name="fc 1x641->4 (rows read as they are)"),
        fc_case(rng, 3, 7, 5, per_channel=False, misalign=(1, 2), name="fc 3x7->5"),
        full_range(fc_case(rng, 2, 33, 7, per_channel=False, zero_point=-128, name="fc 2x33->7 per tensor")),
        fc_case(rng, 1, 31, 1, per_channel=False, misalign=(3, 1), name="fc 31->1 per tensor"),
        fc_case(rng, 1, 640, 3, per_channel=False, zero_point=127, name="fc 640->3 per tensor"),
        scale_case(rng, CONV, -128, (-128, 127), name="conv 1x1 requantisation edges, zero point -128"),
        scale_case(rng, CONV, 127, (-128, 127), name="conv 1x1 requantisation edges, zero point 127"),
        scale_case(rng, DEPTHWISE, 5, (-100, 90), name="depthwise requantisation edges, zero point 5"),
        scale_case(rng, DEPTHWISE, 0, (-128, 127), name="depthwise requantisation edges, zero point 0"),
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(cases, host outputs, {target: firmware result}) for every target in TARGETS."""
    tmp = tmp_path_factory.mktemp("dsp")
    cases = _cases()
    lib = host_engine(tmp)
    expected = [host_output(lib, case) for case in cases]
    return cases, expected, build_and_run(TARGETS, cases, tmp)


def _m4_per_mac(runs) -> dict[str, float]:
    """Each case's instructions per MAC in the Cortex-M4 DSP build, by case name."""
    cases, _, results = runs
    return {case.name: results["m4_dsp"].instructions[i] / case.macs for i, case in enumerate(cases)}


def _m4_cycles_per_mac(runs) -> dict[str, float]:
    """Each case's estimated cycles per MAC in the Cortex-M4 DSP build (nucleo-f446re's wait states), by case name."""
    cases, _, results = runs
    return {case.name: results["m4_dsp"].cycles[i] / case.macs for i, case in enumerate(cases)}


def test_cases_cover_every_kernel(runs):
    cases, _, _ = runs
    assert {case.kind for case in cases} == {CONV, DEPTHWISE, FC, ADD, SUB, ADD_TABLE, MUL, MAX_POOL, MEAN, CONV_WIDE,
                                             FC_WIDE, FC_FUSED, DW_PLANES, AVG_POOL, COPY, CONV_FUSED}
    odd = [case for case in cases if case.kind in (CONV, DEPTHWISE) and case.params[3] % 4]
    assert len(odd) >= 8, "channel counts that are not whole words"
    assert any(case.params[16] or case.params[17] for case in cases if case.kind in (CONV, DEPTHWISE)), "padding"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_firmware_equals_portable_host_build(runs, target):
    cases, expected, results = runs
    failures = []
    for case, want, got in zip(cases, expected, results[target].outputs):
        diff = np.flatnonzero(got != want)
        if diff.size:
            failures.append(f"{case.name}: {diff.size}/{want.size} differ, first at {diff[0]}: "
                            f"{got[diff[0]]} vs host {want[diff[0]]}")
    assert not failures, f"{target}:\n" + "\n".join(failures)


def test_dsp_paths_are_taken(runs):
    """On the M4, each MAC kernel's DSP build executes well under the portable build's instructions
    (depthwise only with depth multiplier 1 and filters of up to 36 taps, ADD/SUB/MUL only with
    parameters the DSP path takes, MAX_POOL_2D only on 2x2 windows inside the image with
    channel counts of whole words, AVERAGE_POOL_2D on whole words, MEAN with 4 or more channels)."""
    cases, _, results = runs
    dsp, portable = results["m4_dsp"].instructions, results["m4_portable"].instructions
    checked = set()
    for i, case in enumerate(cases):
        if case.macs < 200 or "requantisation" in case.name or "(portable)" in case.name or (
                case.kind == DEPTHWISE and case.params[7] != case.params[3]):
            continue
        if case.kind in (ADD, SUB) and "left shift 22" in case.name:
            assert dsp[i] > portable[i] * 0.9, f"{case.name}: ADD outside the DSP path's range"
            continue
        assert dsp[i] < portable[i] / 1.3, f"{case.name}: {dsp[i]} DSP vs {portable[i]} portable instructions"
        checked.add(KIND_NAMES[case.kind])
    assert checked == {"conv", "depthwise", "fc", "add", "sub", "add table", "mul", "max pool", "average pool",
                       "mean", "conv int16 weights", "fc int16 weights", "fc fused", "depthwise channel records",
                       "copy words", "conv 1x1 fused"}


@pytest.mark.parametrize("name, most", [("conv 10x10x16->16", 0.9), ("fc 1x96->32", 0.85)])
def test_int16_weights_save_instructions(runs, name, most):
    """The same layer on its weights pre-widened to int16 costs at most `most` of its instructions on int8
    weights on the M4 (the inner loops lose the SXTB16s: 18 -> 14 per 16 conv MACs, 23 -> 15 for fc)."""
    cases, _, results = runs
    count = {case.name: results["m4_dsp"].instructions[i] for i, case in enumerate(cases)}
    assert count[f"{name}, int16 weights"] < most * count[name], (count[f"{name}, int16 weights"], count[name])


def test_wide_fc_streams_weights_with_ldm(runs):
    """On the M4, FULLY_CONNECTED on int16 weights runs fc_block_wide's LDM loop (46 instructions per 64 MACs):
    the instructions that a second block of 4 units over 448 inputs adds, per MAC, stay under the 56 per 64
    MACs of the LDRD loop before (the row's expansion is paid once, the outputs are few)."""
    cases, _, results = runs
    count = {case.name: results["m4_dsp"].instructions[i] for i, case in enumerate(cases)}
    name = "fc groups 1x448->{} zp -128 per tensor, range [-128, 127], int16 weights"
    per_mac = (count[name.format(8)] - count[name.format(4)]) / (448 * 4)
    assert per_mac < 56 / 64, per_mac


def test_fused_fc_requantises_in_registers(runs):
    """On the M4, a layer on its fused stream (each block's sums requantised in registers, its four outputs stored
    as one word) costs at most 0.9 of the same layer on int16 weights with its outputs requantised apart."""
    cases, _, results = runs
    count = {case.name: results["m4_dsp"].instructions[i] for i, case in enumerate(cases)}
    wide_count = count["fc 1x128->16, full range, int16 weights"]
    fused_count = count["fc 1x128->16, full range, fused, output 0 off a word"]
    assert fused_count < 0.9 * wide_count, (fused_count, wide_count)


@pytest.mark.parametrize("layout", ["", ", int16 weights"])
def test_per_channel_fc_takes_the_fast_outputs(runs, layout):
    """Per-channel scales cost an FC layer about what one scale for all does on the M4 (fc_outputs_fast,
    no scan of the biases), not tc_outputs_dsp's choice of formula per output."""
    cases, _, results = runs
    count = {case.name: results["m4_dsp"].instructions[i] for i, case in enumerate(cases)}
    name = "fc out 1x128->8 zp -128 per {}, range [-100, 90]" + layout
    per_channel, per_tensor = count[name.format("channel")], count[name.format("tensor")]
    assert per_channel < 1.1 * per_tensor, (per_channel, per_tensor)


def test_full_range_per_channel_fc_takes_the_asm_outputs(runs):
    """On the M4, per-channel outputs in the full int8 range (fc_outputs_full_fours) cost at least 4 instructions
    a unit less than the same layer's clamped into [-127, 127] (fc_outputs_fast's loop in C), on both layouts."""
    cases, _, results = runs
    count = {case.name: results["m4_dsp"].instructions[i] for i, case in enumerate(cases)}
    for layout in ("", ", int16 weights"):
        name = "fc out 1x16->64 zp -128 per channel, range [{}, 127]" + layout
        full, clamped = count[name.format(-128)], count[name.format(-127)]
        assert full < clamped - 4 * 64, (layout, full, clamped)


def test_depthwise_plane_path_is_taken(runs):
    """The widest row the plane path takes costs well under the general path's instructions per MAC
    on the next width (2 channels: the general path's scalar tail)."""
    per_mac = _m4_per_mac(runs)
    plane = per_mac["dw plane 3x126x2 s1 same (widest row)"]
    general = per_mac["dw 3x127x2 s1 same (too wide for the plane path)"]
    assert plane < general / 1.5, f"{plane:.2f} vs {general:.2f} instructions per MAC"


def test_depthwise_small_planes_of_three(runs):
    """Rows of 3 from 16 channels into [-128, 127] as a small plane (plane_tri_full, the plane copied whole) cost per
    MAC under 0.85 times the same 3x3x64 layer clamped to a narrower range, which stays on the general path."""
    per_mac = _m4_cycles_per_mac(runs)
    small = per_mac["dw small3 3x3x64 s1 same, full range"]
    general = per_mac["dw small3 3x3x64 s1 same, range [-60, 70]"]
    assert small < general * 0.85, f"{small:.2f} vs {general:.2f} cycles per MAC"


def test_depthwise_groups_requantise_in_registers(runs):
    """A 5x6 plane into [-128, 127] (depthwise_rows_outputs: the sums requantised in the asm) costs well under
    the same layer clamped to a narrower range (requantised in C, on the plane path)."""
    per_mac = _m4_per_mac(runs)
    fused = per_mac["dw outputs 5x6x64 s1 same, full range"]
    clamped = per_mac["dw outputs 5x6x64 s1 same, range [-60, 70]"]
    assert fused < clamped / 1.05, f"{fused:.2f} vs {clamped:.2f} instructions per MAC"


@pytest.mark.parametrize("fused, most", [("dw quads 25x5x17 s1 same (by columns)", 1 / 1.17),
                                         ("dw pairs 18x24x16 s2 same", 1 / 1.15)])
def test_depthwise_plane_quads_requantise_in_registers(runs, fused, most):
    """DS-CNN's 25x5 plane and a stride-2 one into [-128, 127] (plane_quad_full: the four outputs of a pass
    requantised and stored in the asm) cost well under the same layers clamped to a narrower range
    (requantised in C)."""
    per_mac = _m4_per_mac(runs)
    full, clamped = per_mac[f"{fused}, full range"], per_mac[f"{fused}, range [-60, 70]"]
    assert full < clamped * most, f"{full:.2f} vs {clamped:.2f} instructions per MAC"


def test_depthwise_plane_takes_six_outputs_a_pass(runs):
    """Rows of 6 outputs into [-128, 127] walked by the ring (plane_hex_full: six outputs in one pass; 47 rows,
    too many for a small plane) cost per MAC under 1.05 times rows of 8 in two quads (2.95 against 3.01),
    where a quad and a pair cost 1.13 times."""
    per_mac = _m4_per_mac(runs)
    hexes = next(v for name, v in per_mac.items() if name.startswith("dw hex 47x6x2 s1 same (too tall"))
    quads = next(v for name, v in per_mac.items() if name.startswith("dw hex 47x8x2 s1 same (two quads"))
    assert hexes < quads * 1.05, f"{hexes:.2f} vs {quads:.2f} instructions per MAC"


def test_depthwise_small_planes_are_copied_whole(runs):
    """A 6x6 plane into [-128, 127] (plane_small_channels: each channel's padded plane copied at once, its
    rows in one call) costs per MAC under 1.04 times an 8x8 one on the ring (3.31 against 3.37), where the
    ring's copy and call a row cost 1.09 times."""
    per_mac = _m4_per_mac(runs)
    small = per_mac["dw hex 6x6x32 s1 same, full range"]
    ring = per_mac["dw hex 8x8x32 s1 same (two quads a row), full range"]
    assert small < ring * 1.04, f"{small:.2f} vs {ring:.2f} instructions per MAC"


def test_depthwise_plane_copies_channel_pairs(runs):
    """Two channels' rows copied in one walk of the image (one halfword load a pixel, 2.1 instructions a value)
    cost well under one channel's (four byte loads a step, 6.7 a value): 16x16 planes of 2 and 1 channels."""
    per_mac = _m4_per_mac(runs)
    pair = per_mac["dw pairs 16x16x2 s1 same, full range"]
    single = per_mac["dw pairs 16x16x1 s1 same, full range"]
    assert pair < single / 1.12, f"{pair:.2f} vs {single:.2f} instructions per MAC"


def test_depthwise_plane_path_takes_stride_2(runs):
    """A stride-2 layer with rows the plane path takes costs well under the same layer on the general path."""
    per_mac = _m4_per_mac(runs)
    plane = per_mac["dw plane 3x124x2 s2 same (62 outputs a row)"]
    general = per_mac["dw 3x124x2 s2 same, shift 0"]
    assert plane < general / 1.3, f"{plane:.2f} vs {general:.2f} instructions per MAC"


def test_depthwise_plane_walks_tall_planes_by_columns(runs):
    """A plane taller than wide costs well under the same layer run in place, which walks it by rows (5
    outputs a row, against 25 a column), both into [-128, 127]."""
    per_mac = _m4_per_mac(runs)
    columns = per_mac["dw plane 25x5x8 s1 same (by columns), full range"]
    rows = next(v for name, v in per_mac.items() if name.startswith("dw plane 25x5x8 s1 same (rows: in place)"))
    assert columns < rows / 1.25, f"{columns:.2f} by columns vs {rows:.2f} by rows instructions per MAC"


def test_an_m33_without_dsp_runs_the_portable_paths(runs):
    """+nodsp leaves __ARM_FEATURE_DSP undefined, so the M33 build without it takes the portable C (and the
    assembler would refuse an SMLAD there): many more instructions on the MAC kernels than with it."""
    cases, _, results = runs
    macs = [i for i, case in enumerate(cases) if case.kind in (CONV, DEPTHWISE, FC) and case.macs >= 200]
    with_dsp = sum(results["m33_dsp"].instructions[i] for i in macs)
    without = sum(results["m33_nodsp"].instructions[i] for i in macs)
    assert without > 1.3 * with_dsp, f"{without} instructions without DSP vs {with_dsp} with it"


def test_conv_window_path_is_taken(runs):
    """A 1-channel 3x3 layer costs well under two thirds of the general path's instructions per MAC, which it
    takes when one channel's requantisation is outside the window path's."""
    per_mac = _m4_per_mac(runs)
    window = per_mac["conv window 12x12x1->6 same"]
    general = per_mac["conv 12x12x1->6 same, shift 0"]
    assert window < general / 1.5, f"{window:.2f} vs {general:.2f} instructions per MAC"


def test_one_channel_3x3_takes_the_packed_path(runs):
    """The default detector's first layer (3x3 over 1 channel, stride 2) costs under half the general path's
    instructions per MAC (window_small: 5 SMLADs a pixel and channel, the requantisation in registers),
    which it takes when one channel's requantisation is outside the window path's."""
    per_mac = _m4_per_mac(runs)
    window = per_mac["conv window 18x18x1->8 s2 valid (the detector's first layer), full range"]
    general = per_mac["conv 18x18x1->8 s2 valid, shift 0"]
    assert window < general / 2, f"{window:.2f} vs {general:.2f} instructions per MAC"


def test_folded_pad_keeps_the_packed_path(runs):
    """The default detector's first layer with its PAD folded in (1 on every side) costs under 1.3 times the
    layer on the padded image per MAC: the windows across the border composed a word a row in runs of their
    own (window_small's small_patches), not gathered a byte at a time."""
    per_mac = _m4_per_mac(runs)
    padded = per_mac["conv window 16x16x1->8 s2 padded 1 (the detector's folded PAD), full range"]
    valid = per_mac["conv window 18x18x1->8 s2 valid (beside the folded PAD)"]
    assert padded < 1.3 * valid, f"{padded:.2f} vs {valid:.2f} per MAC"


def test_short_windows_take_the_block_paths(runs):
    """On int16 weights a 1x1 layer over 8 channels into [-128, 127] (pointwise_pixels, 1.7 per MAC) costs under
    the same layer at stride 2 (pointwise_wide, its pixels' coordinates divided out and its blocks written out: 2.6
    against 3.9 on matmul_dsp's patch read in place, that copy of it gone), and that one under the layer at stride
    1 clamped to a narrower range (pointwise_wide's byte clamp, in a loop: 2.9), and that one well under the layer
    with an odd channel count (matmul_dsp's gathered patches: blocks2x2_wide, a last channel alone and
    tc_outputs2_dsp, 7.6) and the layer over 9 channels (a tail: a call in C per block, 7.4)."""
    per_mac = _m4_per_mac(runs)
    fused = per_mac["short 1x1 16x16x8->8, full range, int16 weights"]
    clamped = per_mac["short 1x1 16x16x8->8, range [-60, 70], int16 weights"]
    blocks = per_mac["short 1x1 16x16x8->7, range [-60, 70], int16 weights"]
    tails = per_mac["short 1x1 16x16x9->8, range [-60, 70], int16 weights"]
    strided = per_mac["short 1x1 32x32x8->8 s2, full range, int16 weights"]
    assert fused < strided < clamped < min(blocks, tails) * 0.8, \
        f"{fused:.2f}, {strided:.2f}, {clamped:.2f}, {blocks:.2f}, {tails:.2f} per MAC"


def test_pointwise_pixels_path_is_taken(runs):
    """A 1x1 layer over 8 or 16 channels into [-128, 127] (pointwise_pixels: two pixels' lanes in registers, over 16
    channels in two halves, against a stream of weights and scales, 2.35 and 1.88 estimated cycles per MAC) costs
    well under its twin in a narrower range (pointwise_wide's pairs of pixels and byte clamp, 4.36 and 2.74). In
    instructions the 16-channel halves are closer (1.35 against 1.81): the sums' store and loads between them."""
    per_mac = _m4_cycles_per_mac(runs)
    for layer in ("pixels 1x1 16x16x8->8", "pixels 1x1 12x12x16->16"):
        pixels = per_mac[f"{layer}, full range, int16 weights"]
        clamped = per_mac[f"{layer}, range [-60, 70], int16 weights"]
        assert pixels < clamped * 0.75, f"{layer}: {pixels:.2f} vs {clamped:.2f} per MAC"


def test_rgb_bottom_row_takes_the_triples(runs):
    """An RGB layer at stride 2 with SAME padding below and right costs about what its VALID twin (the same 2x12
    outputs) does in estimated cycles per MAC (3.64 against 3.44): its last output row, half of them, on the triples,
    the row below the image read from a row of the zero point, rather than gathered at the border (4.49)."""
    per_mac = _m4_cycles_per_mac(runs)
    same = per_mac["rgb 4x24x3->8 s2 same, full range"]
    valid = per_mac["rgb 5x25x3->8 s2 valid, full range"]
    assert same < 1.2 * valid, f"{same:.2f} vs {valid:.2f} per MAC"


def test_fused_pointwise_path_is_taken(runs):
    """A 1x1 layer over 32 channels on its fused stream (three pixels a block, its sums from its biases, its scales
    after its weights) costs well under the same layer on int16 weights (tc_pointwise_wide: two pixels a block, the
    doubled bias added to each sum, a table of scales worked out on the stack first) in estimated cycles on the M4:
    1.37 against 2.03 per MAC (1.19 against 1.28 instructions)."""
    per_mac = _m4_cycles_per_mac(runs)
    fused = per_mac["1x1 6x5x32->32, full range, fused stream"]
    wide_weights = per_mac["1x1 6x5x32->32, full range, int16 weights"]
    assert fused < wide_weights * 0.8, f"{fused:.2f} vs {wide_weights:.2f} per MAC"


def test_plane_passes_for_the_step_are_taken(runs):
    """The channel records on walks instantiated for the layer's shape (depthwise_plane_walks.h: the output step an
    immediate, each output stored in one cycle, the geometry constant, the rows' passes inline) cost less than on
    the kernel's own for any shape, same shape and range: a ring at stride 2 (4.35 against 4.86 estimated cycles per
    MAC on the M4) and a small plane's rows of 6 (2.71 against 3.12)."""
    per_mac = _m4_cycles_per_mac(runs)
    for steps, any_step in [("dw steps 12x24x16 s2, full range, channel records, its ring passes",
                             "dw records 12x24x16 s2 same, full range, channel records"),
                            ("dw steps 6x6x17 s1 (rows of 6), full range, channel records, its small passes",
                             "dw records 6x6x17 s1 same (rows of 6), full range, channel records")]:
        assert per_mac[steps] < per_mac[any_step] * 0.98, f"{steps}: {per_mac[steps]:.2f} vs {per_mac[any_step]:.2f}"


def test_fused_blocks_for_the_shape_are_taken(runs):
    """A 1x1 layer on its fused stream costs less on blocks instantiated for its depth and channels (straight through:
    no loop counter or entry, the output step an immediate, the lanes at fixed offsets, the output address in a
    register, two blocks a loop turn) than on fused_blocks' loop for any shape: 1.30 against 1.37 estimated cycles per
    MAC on the M4."""
    per_mac = _m4_cycles_per_mac(runs)
    fused = per_mac["1x1 6x5x32->32, full range, fused stream"]
    blocks = per_mac["1x1 6x5x32->32, full range, fused stream, its blocks"]
    assert blocks < fused * 0.98, f"{blocks:.3f} vs {fused:.3f} per MAC"


def test_window_triples_path_is_taken(runs):
    """A 3x3 layer over 32 channels inside the image into [-128, 127] (matmul_triples) costs well under its twin
    in a narrower range (pairs of pixels, their sums stored and requantised apart); the triples' larger gain is
    in estimated cycles (1.39 against 2.24 per MAC; 1.14 against 1.35 instructions): the lanes' loads pipelined,
    each weight flash line read once per three pixels."""
    per_mac = _m4_cycles_per_mac(runs)
    triples = per_mac["triples 3x3 12x10x32->8 valid, full range, int16 weights"]
    pairs = per_mac["triples 3x3 12x10x32->8 valid, range [-60, 70], int16 weights"]
    assert triples < pairs * 0.9, f"{triples:.2f} vs {pairs:.2f} per MAC"


def test_rgb_triples_path_is_taken(runs):
    """A 3x3 layer over 3 channels into [-128, 127] (window_run3, three pixels a pass) costs well under its twin in a
    narrower range (window_pair_loop's LDM pairs, two pixels a pass) in estimated cycles."""
    per_mac = _m4_cycles_per_mac(runs)
    triples, pairs = (per_mac[f"rgb 14x14x3->8 valid, {name}"] for name in ("full range", "range [-60, 70]"))
    assert triples < pairs * 0.9, f"{triples:.2f} vs {pairs:.2f} per MAC"


def test_table_quads_path_is_taken(runs):
    """ADD by tables on a unit-step run into [-128, 127] (table_quads: 43 instructions per 4 elements, 11.4 an
    element here with the tables' copy to RAM) costs well under its twin in a narrower range (the element loop
    with its byte clamp, 18.0); its larger gain is in estimated cycles (the loads pipelined, the tables read from
    RAM), not asserted here."""
    per_element = _m4_per_mac(runs)
    quads, clamped = (per_element[f"add quads 8x8x16 {name}, output +2"] for name in ("full range", "range [-60, 70]"))
    assert quads < clamped * 0.85, f"{quads:.2f} vs {clamped:.2f} per element"


def test_windows_inside_expand_from_the_image(runs):
    """A 3x3 layer over 8 channels into [-128, 127] expands the windows inside the image row by row from it
    (expand_pair), without the byte patch that its dilated twin's windows, the same MACs, are gathered into."""
    per_mac = _m4_per_mac(runs)
    inside = per_mac["short 3x3 14x13x8->16 (windows inside), full range, int16 weights"]
    dilated = per_mac["short 3x3 14x13x8->16 dilation 2, full range, int16 weights"]
    assert inside < dilated * 0.9, f"{inside:.2f} vs {dilated:.2f} per MAC"


@pytest.mark.parametrize("window, general", [
    ("conv window 16x16x3->8 s2 same (MobileNet's first layer), full range", "conv 16x16x3->8 s2 same, shift 0"),
    ("conv window 13x6x1->64 k10x4 s2 same (DS-CNN's first layer), full range", "conv 13x6x1->64 k10x4 s2 same, shift 0"),
])
def test_conv_window_path_takes_first_layers(runs, window, general):
    """A 3x3 layer over 3 channels (read straight from the image) and a 10x4 one over 1 channel (40-byte
    windows) cost well under the general path's instructions per MAC, which they take when one channel's
    requantisation is outside the window path's."""
    per_mac = _m4_per_mac(runs)
    assert per_mac[window] < per_mac[general] / 1.3, f"{per_mac[window]:.2f} vs {per_mac[general]:.2f} per MAC"


def test_window_pairs_run_through_rows(runs):
    """A 3x3 layer over 3 channels with every window inside the image costs under a third of the general path's
    instructions per MAC (1.37 against 5.05), which it takes when one channel's requantisation is outside the
    window path's: a row's pairs of windows in one run (window_run) and the channel pairs in one asm loop, where a
    call a pair of pixels and one a pair of channels cost 1.94."""
    per_mac = _m4_per_mac(runs)
    window = per_mac["conv window 6x40x3->8 valid (long runs), full range"]
    general = per_mac["conv 6x40x3->8 valid, full range, shift 0"]
    assert window < general / 3, f"{window:.2f} vs {general:.2f} instructions per MAC"


def test_deep_windows_take_the_matmul_path(runs):
    """A 3x3x64 layer (576-byte windows, in bands of filter rows) costs under the same layer on the general
    path, which it takes when one channel's requantisation is outside the matmul path's (12 output
    channels, as many as the M0+'s buffers hold: 1.70 against 1.83; the gap widens with more channels,
    1.34 against 1.54 on ResNet-8's 8x8x64->64)."""
    per_mac = _m4_per_mac(runs)
    bands, general = per_mac["conv 5x5x64->12 k3x3"], per_mac["conv 5x5x64->12 k3x3, shift 0"]
    assert bands < general * 0.95, f"{bands:.2f} vs {general:.2f} instructions per MAC"


def test_depthwise_small_planes_of_twelve(runs):
    """Rows of 12 as a small plane (two passes of six a row, the plane copied at once): 22 rows cost per MAC under
    0.9 times 23 rows on the ring (2.84 against 3.28 estimated cycles), where a row's copy and calls come on top of
    three quads."""
    per_mac = _m4_cycles_per_mac(runs)
    small = next(v for name, v in per_mac.items() if name.startswith("dw small12 22x12x4 s1 same (the tallest"))
    ring = next(v for name, v in per_mac.items() if name.startswith("dw small12 23x12x4 s1 same (too tall"))
    assert small < ring * 0.9, f"{small:.2f} vs {ring:.2f} cycles per MAC"


def test_depthwise_small_planes_at_stride_2(runs):
    """Rows of 6 at stride 2 as a small plane (plane_hex_full's stride-2 rows, 12 copied pixels a row) cost per MAC
    under 0.7 times the same layer clamped to a narrower range, which stays on the general path (5.05 against 9.58
    estimated cycles)."""
    per_mac = _m4_cycles_per_mac(runs)
    small = per_mac["dw small s2 12x12x16 same, full range"]
    general = next(v for name, v in per_mac.items() if name.startswith("dw small s2 12x12x16 same, range"))
    assert small < general * 0.7, f"{small:.2f} vs {general:.2f} cycles per MAC"
