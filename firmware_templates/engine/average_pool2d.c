/* AVERAGE_POOL_2D, int8: the mean of the in-image window positions only, rounded half away
 * from zero by integer division, as the reference does. */
#include "tinyctl_engine.h"

static int32_t window_mean(const int8_t *first, int32_t rows, int32_t columns, int32_t row, int32_t column)
{
    const int32_t count = rows * columns;
    int32_t sum = 0;
    for (int32_t y = 0; y < rows; ++y) {
        for (int32_t x = 0; x < columns; ++x) {
            sum += first[y * row + x * column];
        }
    }
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

void tc_average_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                          int8_t *output, const tc_dims *output_dims,
                          int32_t filter_h, int32_t filter_w, const tc_window *window,
                          const tc_int8_io *io)
{
    tc_pool_s8(input, input_dims, output, output_dims, filter_h, filter_w, window, io, window_mean);
}
