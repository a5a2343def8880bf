/* MUL, int8, broadcasting up to 4-D, with a fused activation. */
#include "tinyctl_engine.h"

static int8_t mul_element(int32_t a, int32_t b, const void *params)
{
    const tc_mul_params *p = (const tc_mul_params *)params;
    int32_t product = (a - p->input1_zero_point) * (b - p->input2_zero_point);
    int32_t v = tc_requantize(product, p->multiplier, p->shift) + p->output_zero_point;
    return tc_clamp_s8(v, p->act_min, p->act_max);
}

void tc_mul_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_mul_params *params)
{
    tc_broadcast_s8(input1, strides1, input2, strides2, output, output_dims, mul_element, params);
}
