/* MEAN over H and W, int8 in and out with their own scales (TFLM's integer path). */
#include "tinyctl_engine.h"

void tc_mean_hw_s8(const int8_t *input, const tc_dims *input_dims, int8_t *output,
                   int32_t input_zero_point, int32_t output_zero_point,
                   int32_t multiplier, int shift)
{
    const int32_t count = input_dims->h * input_dims->w;
    /* Fold 1/count into the multiplier: pre-scale by 2^floor(log2 count), capped so the
     * shift stays >= -31, then divide (truncating) by count, as the reference does. */
    int pre = 0;
    while ((count >> (pre + 1)) != 0) {
        ++pre;
    }
    pre = pre < 31 + shift ? pre : 31 + shift;
    const int32_t mean_multiplier = (int32_t)(((int64_t)multiplier << pre) / count);
    const int mean_shift = shift - pre;

    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *image = input + b * count * input_dims->c;
        for (int32_t c = 0; c < input_dims->c; ++c) {
            int32_t sum = 0;
            for (int32_t i = 0; i < count; ++i) {
                sum += image[i * input_dims->c + c];
            }
            sum -= input_zero_point * count;
            int32_t v = tc_requantize(sum, mean_multiplier, mean_shift) + output_zero_point;
            *output++ = tc_clamp_s8(v, INT8_MIN, INT8_MAX);
        }
    }
}
