/* MAX_POOL_2D, int8; padded positions are skipped, not treated as values. */
#include "tinyctl_engine.h"

static int32_t window_max(const int8_t *first, int32_t rows, int32_t columns, int32_t row, int32_t column)
{
    int32_t best = INT8_MIN;
    for (int32_t y = 0; y < rows; ++y) {
        for (int32_t x = 0; x < columns; ++x) {
            const int32_t v = first[y * row + x * column];
            best = v > best ? v : best;
        }
    }
    return best;
}

void tc_max_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                      int8_t *output, const tc_dims *output_dims,
                      int32_t filter_h, int32_t filter_w, const tc_window *window,
                      const tc_int8_io *io)
{
    tc_pool_s8(input, input_dims, output, output_dims, filter_h, filter_w, window, io, window_max);
}
