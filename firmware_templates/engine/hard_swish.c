/* HARD_SWISH x * relu6(x + 3) / 6, int8 in and out (TFLM's int8 reference, which works in int16
 * fixed point: multipliers are int16 with an exponent, results are int16 before the clamp). */
#include "tinyctl_engine.h"

/* a * b / 2^15 rounded to nearest, ties toward +infinity (gemmlowp's int16 version). */
static int16_t rounding_doubling_high_mul_s16(int16_t a, int16_t b)
{
    const int32_t ab = (int32_t)a * b;
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

/* a * b / 2^15 truncated toward zero. */
static int16_t doubling_high_mul_s16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * b) / (1 << 15));
}

static int16_t saturating_shift_left_s16(int16_t v, int amount)
{
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

/* gemmlowp's int16 RoundingDivideByPOT: its mask 2^exponent - 1 is an int16, so from exponent 16
 * on it is all ones and the result is -1 for negative x, +1 otherwise. */
static int16_t rounding_divide_by_pot_s16(int16_t x, int exponent)
{
    if (exponent >= 16) {
        return (int16_t)(x < 0 ? -1 : 1);
    }
    return (int16_t)tc_rounding_divide_by_pot(x, exponent);
}

void tc_hard_swish_s8(const int8_t *input, int8_t *output, int32_t size,
                      int32_t input_zero_point, int32_t output_zero_point,
                      int16_t reluish_multiplier, int reluish_exponent,
                      int16_t output_multiplier, int output_exponent)
{
    for (int32_t i = 0; i < size; ++i) {
        /* The input on a scale 2^7 finer, then on the output scale (before output_exponent). */
        const int16_t hires = (int16_t)((input[i] - input_zero_point) * (1 << 7));
        const int16_t preshift_output = rounding_doubling_high_mul_s16(hires, output_multiplier);

        /* relu6(x + 3) / 6 as a Q15 fraction in [0, 1]: x rescaled so that 3 maps to 2^15
         * (saturating), then mapped from [-1, 1] to [0, 1]. All but one bit of a left shift
         * comes before the multiply, so any saturation that matters happens in the last bit. */
        int16_t reluish = hires;
        if (reluish_exponent > 0) {
            reluish = saturating_shift_left_s16(reluish, reluish_exponent - 1);
        }
        reluish = rounding_doubling_high_mul_s16(reluish, reluish_multiplier);
        if (reluish_exponent > 0) {
            reluish = saturating_shift_left_s16(reluish, 1);
        } else if (reluish_exponent < 0) {
            reluish = rounding_divide_by_pot_s16(reluish, -reluish_exponent);
        }
        reluish = (int16_t)((reluish + (1 << 15)) >> 1);

        const int16_t out = (int16_t)(rounding_divide_by_pot_s16(doubling_high_mul_s16(reluish, preshift_output),
                                                                 -output_exponent) + output_zero_point);
        output[i] = tc_clamp_s8(out, INT8_MIN, INT8_MAX);
    }
}
