/* LOGISTIC, int8 in, int8 out with scale 1/256 and zero point -128 (TFLM's int8 reference:
 * gemmlowp's fixed-point logistic on the input in Q4). */
#include "tinyctl_engine.h"

/* 1 / (1 + exp(-|x|)), mirrored to 1 - that for x < 0; Q0, so 1 is INT32_MAX. */
static int8_t logistic_of_q4(int32_t q4)
{
    const int32_t magnitude = q4 > 0 ? q4 : -q4;
    const int32_t positive = tc_one_over_one_plus_x(tc_exp_on_negative_values(-magnitude, 4));
    const int32_t y = q4 == 0 ? INT32_C(1) << 30 : (q4 > 0 ? positive : INT32_MAX - positive);
    return tc_clamp_s8(tc_rounding_divide_by_pot(y, 23) + INT8_MIN, INT8_MIN, INT8_MAX);
}

void tc_logistic_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zero_point,
                    int32_t input_range_radius, int32_t input_multiplier, int input_left_shift)
{
    tc_q4_map_s8(input, output, size, input_zero_point, input_range_radius, input_multiplier, input_left_shift,
                 logistic_of_q4);
}
