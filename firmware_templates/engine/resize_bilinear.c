/* RESIZE_BILINEAR, int8 NHWC: TFLite's integer interpolation (positions in 1/1024ths of a pixel, the
 * four weights multiply to 2^20ths, then a division rounding half away from zero). The taps come
 * from the build; see tc_resize_bilinear_s8 in tinyctl_engine.h. */
#include "tinyctl_engine.h"

#define TC_ONE 1024

/* sum / 2^20 rounded half away from zero, as TFLite's reference does without TFLITE_SINGLE_ROUNDING
 * ((sum +- 2^19) / 2^20, truncating). A negative sum takes one off before the flooring shift: for
 * s = -m that gives floor((2^19 - 1 - m) / 2^20) = -floor((m + 2^19) / 2^20). Three instructions. */
static inline int8_t tc_round_2_20(int32_t sum)
{
    return (int8_t)((sum + (1 << 19) - (sum < 0)) >> 20);
}

void tc_resize_bilinear_s8(const int8_t *input, const tc_dims *input_dims,
                           int8_t *output, const tc_dims *output_dims,
                           const int32_t *rows, const int32_t *cols)
{
    const int32_t depth = input_dims->c;
    for (int32_t b = 0; b < output_dims->n; ++b) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * depth;
        for (int32_t y = 0; y < output_dims->h; ++y) {
            const int8_t *top = image + rows[3 * y], *bottom = image + rows[3 * y + 1];
            const int32_t dy = rows[3 * y + 2];
            for (int32_t x = 0; x < output_dims->w; ++x) {
                const int32_t left = cols[3 * x], right = cols[3 * x + 1], dx = cols[3 * x + 2];
                /* A fraction lies in [-512, 1024), so the weights' magnitudes add up to at most
                 * 2048^2 and every sum fits int32 (TFLite's int64 sum takes the same values). */
                const int32_t w_tl = (TC_ONE - dy) * (TC_ONE - dx), w_bl = dy * (TC_ONE - dx);
                const int32_t w_tr = (TC_ONE - dy) * dx, w_br = dy * dx;
                for (int32_t c = 0; c < depth; ++c) {
                    const int32_t sum = top[left + c] * w_tl + bottom[left + c] * w_bl
                                      + top[right + c] * w_tr + bottom[right + c] * w_br;
                    *output++ = tc_round_2_20(sum);
                }
            }
        }
    }
}
