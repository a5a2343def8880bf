/* PAD, int8, 4-D: copies the input into the interior and fills the rest with pad_value
 * (the output zero point for PAD, which is real 0). */
#include <string.h>

#include "tinyctl_engine.h"

void tc_pad_s8(const int8_t *input, const tc_dims *input_dims,
               int8_t *output, const tc_dims *output_dims,
               const int32_t before[4], int8_t pad_value)
{
    const tc_dims *in = input_dims;
    const tc_dims *out = output_dims;
    memset(output, pad_value, (size_t)(out->n * out->h * out->w * out->c));
    /* Without channel padding an input row stays contiguous in the output: one copy a row, not a
     * call per pixel (a first layer's single channel made that 40 instructions a byte). */
    const int32_t whole_rows = in->c == out->c;
    const int32_t runs = whole_rows ? 1 : in->w, run = whole_rows ? in->w * in->c : in->c;
    for (int32_t b = 0; b < in->n; ++b) {
        for (int32_t y = 0; y < in->h; ++y) {
            for (int32_t x = 0; x < runs; ++x) {
                const int8_t *src = input + ((b * in->h + y) * in->w + x) * in->c;
                int8_t *dst = output + (((b + before[0]) * out->h + y + before[1]) * out->w
                                        + x + before[2]) * out->c + before[3];
                memcpy(dst, src, (size_t)run);
            }
        }
    }
}
