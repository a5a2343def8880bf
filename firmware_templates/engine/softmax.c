/* SOFTMAX along the last axis, int8 in, int8 out with scale 1/256 and zero point -128 (TFLM's
 * int8 reference: gemmlowp fixed-point exp of the scaled differences to the row maximum). */
#include "tinyctl_engine.h"

enum { ACCUMULATION_INTEGER_BITS = 12 };

/* exp(beta * input_scale * diff) in Q0 for diff <= 0, through the difference in Q5. */
static int32_t exp_of_difference(int32_t diff, int32_t input_multiplier, int input_left_shift)
{
    return tc_exp_on_negative_values(tc_requantize(diff, input_multiplier, input_left_shift), 5);
}

void tc_softmax_s8(const int8_t *input, int8_t *output, int32_t outer, int32_t depth,
                   int32_t input_multiplier, int input_left_shift, int32_t diff_min)
{
    for (int32_t row = 0; row < outer; ++row, input += depth, output += depth) {
        int32_t max = INT8_MIN;
        for (int32_t c = 0; c < depth; ++c) {
            max = input[c] > max ? input[c] : max;
        }

        /* Sum of exp() in Q12: below 2^31 for rows of up to 4095 values (each exp is at most 1). */
        uint32_t sum = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = input[c] - max;
            if (diff >= diff_min) {
                sum += (uint32_t)tc_rounding_divide_by_pot(exp_of_difference(diff, input_multiplier, input_left_shift),
                                                           ACCUMULATION_INTEGER_BITS);
            }
        }

        /* 1 / sum = scale * 2^-bits_over_unit, with sum normalised to [1, 2) so scale is in (1/2, 1]. */
        int headroom = 0;
        while ((sum << headroom) < UINT32_C(0x80000000)) {
            ++headroom;
        }
        const int bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom;
        const int32_t scale = tc_one_over_one_plus_x((int32_t)((sum << headroom) - UINT32_C(0x80000000)));
        const int exponent = bits_over_unit + 31 - 8;

        /* An exponent past 31 (an exp sum of 512 or more, only possible in rows longer than 511)
         * stops TFLM at a check; every probability is then below 1/512 and rounds to the minimum. */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = input[c] - max;
            int32_t v = INT8_MIN;
            if (diff >= diff_min && exponent <= 31) {
                const int32_t e = exp_of_difference(diff, input_multiplier, input_left_shift);
                v = tc_rounding_divide_by_pot(tc_doubling_high_mul(scale, e), exponent) + INT8_MIN;
            }
            output[c] = tc_clamp_s8(v, INT8_MIN, INT8_MAX);
        }
    }
}
