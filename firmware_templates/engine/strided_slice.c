/* STRIDED_SLICE, int8, up to 4-D: the output's elements are the input's at start + i * step on each
 * axis (TFLite-Micro copies bytes; the input and output are quantized alike). */
#include <string.h>

#include "tinyctl_engine.h"

void tc_strided_slice_s8(const int8_t *input, const tc_dims *input_dims,
                         int8_t *output, const tc_dims *output_dims,
                         const int32_t *start, const int32_t *step)
{
    const int32_t stride_w = input_dims->c, stride_h = input_dims->w * stride_w;
    const int32_t stride_n = input_dims->h * stride_h;
    for (int32_t n = 0; n < output_dims->n; ++n) {
        const int8_t *image = input + (start[0] + n * step[0]) * stride_n;
        for (int32_t y = 0; y < output_dims->h; ++y) {
            const int8_t *row = image + (start[1] + y * step[1]) * stride_h;
            for (int32_t x = 0; x < output_dims->w; ++x) {
                const int8_t *pixel = row + (start[2] + x * step[2]) * stride_w + start[3];
                if (step[3] == 1) {   /* a contiguous run of channels */
                    memcpy(output, pixel, (size_t)output_dims->c);
                    output += output_dims->c;
                    continue;
                }
                for (int32_t c = 0; c < output_dims->c; ++c) {
                    *output++ = pixel[c * step[3]];
                }
            }
        }
    }
}
