/* LEAKY_RELU, int8: TFLite's identity and alpha multipliers. */
#include "tinyctl_engine.h"

void tc_leaky_relu_s8(const int8_t *input, int8_t *output, int32_t size, const tc_leaky_relu_params *params)
{
    const int negative_alpha = params->alpha_multiplier < 0;
    const int32_t alpha_multiplier = negative_alpha ? -params->alpha_multiplier : params->alpha_multiplier;
    for (int32_t i = 0; i < size; ++i) {
        int32_t x = input[i] - params->input_zero_point;
        int32_t v;
        if (x >= 0) {
            v = tc_requantize(x, params->identity_multiplier, params->identity_shift);
        } else {
            v = tc_requantize(x, alpha_multiplier, params->alpha_shift);
            v = negative_alpha ? -v : v;
        }
        output[i] = tc_clamp_s8(v + params->output_zero_point, INT8_MIN, INT8_MAX);
    }
}
