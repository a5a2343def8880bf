"""Proof that the DSP kernels' cheaper requantisation, tc_scale_fast (tinyctl_dsp.h: SMMULR, then one
add and one shift with the rounding and the output zero point folded into one constant), equals
TFLite's MultiplyByQuantizedMultiplier (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT)
plus the output zero point over its whole domain: every accumulator a (bias included) with
|a| < 2^30, every multiplier, every right shift r in 1..22 and every zero point (the domain the
kernels check with tc_output_params.fast_scale before they take it).

The proof has a symbolic part and an exhaustive part, which runs the C itself on a Cortex-M4 under
QEMU (tc_scale_fast and the engine's tc_rounding_divide_by_pot, which tests/test_kernels.py holds
bit-exact with TFLite-Micro).

1. The high multiply. The reference's SaturatingRoundingDoublingHighMul(a, M) adds 2^30 to a * M when
   it is >= 0, 1 - 2^30 when < 0, then divides by 2^31 truncating toward zero: for P >= 0 that is
   floor((P + 2^30) / 2^31); for P < 0, trunc((P + 1 - 2^30) / 2^31) = -floor((-P - 1 + 2^30) / 2^31)
   = floor((P + 2^30) / 2^31) (as -floor(-n / d) = ceil(n / d) = floor((n + d - 1) / d) for d = 2^31).
   It saturates only for a = M = -2^31, outside |a| < 2^30. SMMULR(2a, M) is floor((2aM + 2^31) / 2^32)
   = floor((aM + 2^30) / 2^31): the same integer x = X(a, M) for every M, and 2a does not overflow.
   So both sides are functions of x alone, and x spans exactly [-2^30, 2^30] (|x| <= |a|): with
   M = -2^31, X(a, M) = -a, so the firmware reaches every such x through tc_scale_fast itself.
2. The zero point z enters tc_scale_fast as z * 2^r inside the floor of the shift, which adds exactly
   z to it; the reference adds z after. So z = 0 proves every z, given no overflow: |x| <= 2^30,
   the rounding term <= 2^21 and |z * 2^r| <= 2^29 keep the sum inside int32 (checked at the ends).
3. The rounding division, both sides as functions of x for one r, satisfy f(x + 2^r) = f(x) + 1
   whenever x and x + 2^r have the same sign: RoundingDivideByPOT is (x >> r) plus a term of the
   remainder x & (2^r - 1) and the sign; tc_scale_fast is (x - (x < 0) + 2^(r - 1)) >> r. So one
   whole period of remainders on each side of 0, x in [-2^r, 2^r), decides every x of both signs:
   the firmware compares them there, exhaustively, for every r in 1..22, with zero points -128, 0
   and 127, and at the ends x = +-(2^30 - k) for the overflow argument of 2."""

from __future__ import annotations

import shutil

import pytest

from dsp_harness import build_firmware
from tinyctl.qemu import run_firmware
from tinyctl.targets import resolve_board

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("arm-none-eabi-gcc", "qemu-system-arm")),
    reason="needs arm-none-eabi-gcc and qemu-system-arm")

PROOF_C = r"""/* tc_scale_fast against the reference's rounding division (test_requant_proof.py): exits with the
 * number of right shifts that had a mismatch, 0 when none. */
#include <stdint.h>

#include "platform.h"
#include "tinyctl_dsp.h"

#define ENDS 4096 /* accumulators checked at each end of the domain */

/* Whether tc_scale_fast(a) equals RoundingDivideByPOT(X(a, -2^31) = -a, right) + zero_point for every a in
 * [first, last]. */
static int agrees(int32_t first, int32_t last, int32_t right, int32_t zero_point)
{
    const tc_channel_scale s = {0, INT32_MIN, (INT32_C(1) << (right - 1)) + zero_point * (INT32_C(1) << right),
                                right};
    uint32_t differ = 0;
    for (int32_t a = first; a <= last; ++a) {
        differ |= (uint32_t)(tc_scale_fast(a, &s) ^ (tc_rounding_divide_by_pot(-a, right) + zero_point));
    }
    return differ == 0;
}

int app_main(const char *args)
{
    (void)args;
    static const int32_t zero_points[] = {-128, 0, 127};
    const int32_t end = (INT32_C(1) << 30) - 1;
    int failed = 0;
    for (int32_t right = 1; right <= 22; ++right) {
        int ok = 1;
        for (int z = 0; z < 3; ++z) {
            const int32_t period = INT32_C(1) << right, zp = zero_points[z];
            ok &= agrees(-period + 1, period, right, zp); /* x = -a in [-2^r, 2^r) */
            ok &= agrees(-end, -end + ENDS, right, zp) && agrees(end - ENDS, end, right, zp);
        }
        failed += !ok;
    }
    return failed;
}
"""


def test_scale_fast_equals_the_reference_everywhere(tmp_path):
    board = resolve_board("nucleo-f446re")
    elf = build_firmware(board, tmp_path / "fw", [], main_c=PROOF_C)
    run = run_firmware(board, elf, [], workdir=tmp_path, timeout_s=300)
    assert run.exit_code == 0, f"{run.exit_code} right shifts where tc_scale_fast differs: {run.console[-300:]}"


def test_the_proof_can_fail(tmp_path):
    """The same firmware with the rounding term off by one (ties rounded the other way) fails."""
    board = resolve_board("nucleo-f446re")
    broken = PROOF_C.replace("(INT32_C(1) << (right - 1)) +", "(INT32_C(1) << (right - 1)) - 1 +")
    elf = build_firmware(board, tmp_path / "fw", [], main_c=broken)
    run = run_firmware(board, elf, [], workdir=tmp_path, timeout_s=300)
    assert run.exit_code == 22


def test_window_small_sign_shortcut_equals_scale_fast_everywhere():
    """conv2d_window_small.c's small_pixels_loop (and conv2d_window.c's window_pair_loop, tinyctl_dsp.h's
    TC_SCALE_DOUBLED_ASM, the int16-weight blocks' and tc_pointwise_pixels' requantisation, and depthwise_plane.c's
    PLANE_REQUANT4_ASM, where no multiplier is negative) requantises as tc_scale_fast does, except that the -1 for a negative value is taken from
    the accumulator's sign (`add acc, x, acc, asr #31`) instead of the high product's.
    With a multiplier M >= 0 (TFLite's are in [2^30, 2^31) or 0), x = X(a, M) = floor((aM +
    2^30) / 2^31) has a's sign or is 0: a >= 0 gives aM + 2^30 >= 0, so x >= 0; a < 0 gives aM + 2^30 <=
    2^30 < 2^31, so x <= 0. The two differ only where a < 0 and x = 0, where the loop computes
    (round - 1) >> r and tc_scale_fast round >> r, round = 2^(r - 1) + z * 2^r. Exhaustively over that
    remaining domain, every right shift r in 1..22 and every zero point z, they are equal; the
    sign lemma is checked at its edges."""
    for right in range(1, 23):
        for zero_point in range(-128, 128):
            rounding = (1 << (right - 1)) + zero_point * (1 << right)
            assert (rounding - 1) >> right == rounding >> right == zero_point
    for multiplier in (0, 1, 1 << 30, (1 << 31) - 1):
        for a in (-(1 << 30) + 1, -(1 << 20), -2, -1, 0, 1, 2, (1 << 30) - 1):
            x = (a * multiplier + (1 << 30)) >> 31   # X(a, M), Python's >> floors
            assert (x <= 0) if a < 0 else (x >= 0)
