/* REDUCE_MAX over H and W, int8 (input and output quantized alike): each channel's largest value. */
#include "tinyctl_engine.h"

void tc_reduce_max_hw_s8(const int8_t *input, const tc_dims *input_dims, int8_t *output)
{
    const int32_t count = input_dims->h * input_dims->w, depth = input_dims->c;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *image = input + b * count * depth;
        for (int32_t c = 0; c < depth; ++c) {
            int8_t largest = INT8_MIN;
            for (int32_t i = 0; i < count; ++i) {
                largest = image[i * depth + c] > largest ? image[i * depth + c] : largest;
            }
            *output++ = largest;
        }
    }
}
