/* TANH, int8 in, int8 out with scale 1/128 and zero point 0 (TFLM's int8 reference: gemmlowp's
 * fixed-point tanh on the input in Q4). */
#include "tinyctl_engine.h"

void tc_tanh_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zero_point,
                int32_t input_range_radius, int32_t input_multiplier, int input_left_shift)
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = input[i] - input_zero_point;
        if (x <= -input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t q4 = tc_requantize(x, input_multiplier, input_left_shift);
            /* tanh(|x|) = (1 - exp(-2|x|)) / (1 + exp(-2|x|)): -|x| read as Q5 doubles it. */
            const int32_t magnitude = q4 > 0 ? q4 : -q4;
            const int32_t t = tc_one_minus_x_over_one_plus_x(tc_exp_on_negative_values(-magnitude, 5));
            const int32_t y = q4 == 0 ? 0 : (q4 > 0 ? t : -t);
            output[i] = tc_clamp_s8(tc_rounding_divide_by_pot(y, 24), INT8_MIN, INT8_MAX);
        }
    }
}
