/* MEAN over H and W, int8 in and out with their own scales (TFLM's integer path). */
#include "tinyctl_dsp.h"

#if TC_DSP
#define LANE_PIXELS 256 /* int8 values an int16 lane sums without overflow: 256 * -128 = -32768 */

/* sums[k] = the sum of channel k of a word's 4 channels over `count` pixels `step` bytes apart: SXTAB16
 * adds the even and the odd channels into int16 lanes, LANE_PIXELS pixels at a time. */
static void channel_sums4(const int8_t *x, int32_t step, int32_t count, int32_t sums[4])
{
    sums[0] = sums[1] = sums[2] = sums[3] = 0;
    while (count > 0) {
        int32_t n = count < LANE_PIXELS ? count : LANE_PIXELS, even = 0, odd = 0;
        for (count -= n; n > 0; --n, x += step) {
            const int32_t v = tc_load_s8x4(x);
            even = __sxtab16(even, v);
            odd = tc_sxtab16_odd(odd, v);
        }
        sums[0] += (int16_t)even, sums[1] += (int16_t)odd, sums[2] += even >> 16, sums[3] += odd >> 16;
    }
}
#endif

void tc_mean_hw_s8(const int8_t *input, const tc_dims *input_dims, int8_t *output,
                   int32_t input_zero_point, int32_t output_zero_point,
                   int32_t multiplier, int shift)
{
    const int32_t count = input_dims->h * input_dims->w, channels = input_dims->c;
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
        const int8_t *image = input + b * count * channels;
        for (int32_t c = 0; c < channels;) {
            int32_t sums[4], n = 1;
#if TC_DSP
            if (c + 4 <= channels) { /* four channels a word */
                channel_sums4(image + c, channels, count, sums);
                n = 4;
            } else
#endif
            {
                sums[0] = 0;
                for (int32_t i = 0; i < count; ++i) {
                    sums[0] += image[i * channels + c];
                }
            }
            for (int32_t k = 0; k < n; ++k, ++c) {
                const int32_t v = tc_requantize(sums[k] - input_zero_point * count, mean_multiplier, mean_shift);
                *output++ = tc_clamp_s8(v + output_zero_point, INT8_MIN, INT8_MAX);
            }
        }
    }
}
