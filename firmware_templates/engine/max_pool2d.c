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

static inline int32_t max2(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

/* The 2x2 windows that lie inside the image (most max pools): the 4 taps of each channel, without
 * tc_pool_s8's per-channel loop over a window of any size. Returns whether it took the op. */
static int max_pool2x2_inside(const int8_t *input, const tc_dims *in, int8_t *output, const tc_dims *out,
                              int32_t filter_h, int32_t filter_w, const tc_window *window, const tc_int8_io *io)
{
    if (filter_h != 2 || filter_w != 2 || window->pad_top != 0 || window->pad_left != 0
        || (out->h - 1) * window->stride_h + 2 > in->h || (out->w - 1) * window->stride_w + 2 > in->w) {
        return 0;
    }
    const int32_t c = in->c, row = in->w * c, lo = io->act_min, hi = io->act_max;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const int8_t *t = input + ((b * in->h + oy * window->stride_h) * in->w + ox * window->stride_w) * c;
                for (int32_t ch = 0; ch < c; ++ch, ++t) {
                    *output++ = tc_clamp_s8(max2(max2(t[0], t[c]), max2(t[row], t[row + c])), lo, hi);
                }
            }
        }
    }
    return 1;
}

void tc_max_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                      int8_t *output, const tc_dims *output_dims,
                      int32_t filter_h, int32_t filter_w, const tc_window *window,
                      const tc_int8_io *io)
{
    if (!max_pool2x2_inside(input, input_dims, output, output_dims, filter_h, filter_w, window, io)) {
        tc_pool_s8(input, input_dims, output, output_dims, filter_h, filter_w, window, io, window_max);
    }
}
