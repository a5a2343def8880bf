/* TANH, int8 in, int8 out with scale 1/128 and zero point 0 (TFLM's int8 reference: gemmlowp's
 * fixed-point tanh on the input in Q4). */
#include "tinyctl_engine.h"

/* tanh(|x|) = (1 - exp(-2|x|)) / (1 + exp(-2|x|)): -|x| read as Q5 doubles it. */
static int8_t tanh_of_q4(int32_t q4)
{
    const int32_t magnitude = q4 > 0 ? q4 : -q4;
    const int32_t t = tc_one_minus_x_over_one_plus_x(tc_exp_on_negative_values(-magnitude, 5));
    const int32_t y = q4 == 0 ? 0 : (q4 > 0 ? t : -t);
    return tc_clamp_s8(tc_rounding_divide_by_pot(y, 24), INT8_MIN, INT8_MAX);
}

void tc_tanh_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zero_point,
                int32_t input_range_radius, int32_t input_multiplier, int input_left_shift)
{
    tc_q4_map_s8(input, output, size, input_zero_point, input_range_radius, input_multiplier, input_left_shift,
                 tanh_of_q4);
}
