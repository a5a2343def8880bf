/* RESIZE_NEAREST_NEIGHBOR, int8 NHWC: every output pixel copies its source pixel's channels. */
#include <string.h>

#include "tinyctl_engine.h"

void tc_resize_nearest_neighbor_s8(const int8_t *input, const tc_dims *input_dims,
                                   int8_t *output, const tc_dims *output_dims,
                                   const int32_t *source_y, const int32_t *source_x)
{
    const int32_t depth = input_dims->c;
    for (int32_t b = 0; b < output_dims->n; ++b) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * depth;
        for (int32_t y = 0; y < output_dims->h; ++y) {
            const int8_t *row = image + source_y[y] * input_dims->w * depth;
            for (int32_t x = 0; x < output_dims->w; ++x) {
                memcpy(output, row + source_x[x] * depth, (size_t)depth);
                output += depth;
            }
        }
    }
}
