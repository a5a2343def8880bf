/* MAX_POOL_2D, int8; padded positions are skipped, not treated as values. */
#include "tinyctl_dsp.h"

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

#if TC_DSP
/* The lane-wise max (min) of four int8 lanes: SSUB8 sets each lane's GE flag where a >= b, SEL then takes
 * a's lane where it is set and b's elsewhere (the operands swapped for the min). One asm statement, so
 * that nothing between the two touches the GE flags. */
static inline int32_t max_s8x4(int32_t a, int32_t b)
{
    int32_t m;
    __asm("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(m) : "r"(a), "r"(b) : "cc");
    return m;
}

static inline int32_t min_s8x4(int32_t a, int32_t b)
{
    int32_t m;
    __asm("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(m) : "r"(a), "r"(b) : "cc");
    return m;
}

/* max_pool2x2_inside for channel counts of whole words on DSP cores: four channels a word (taps t,
 * t + c, t + row, t + row + c), clamped to [lo, hi] lane-wise unless the range is the whole int8 one. A
 * function of its own, so that its loop has the registers to itself. */
static __attribute__((noinline)) void
max_pool2x2_words(const int8_t *input, const tc_dims *in, int8_t *output, const tc_dims *out, const tc_window *window,
                  int32_t lo, int32_t hi)
{
    const int full = lo == INT8_MIN && hi == INT8_MAX;
    const int32_t c = in->c, row = in->w * c, row_c = row + c, next = window->stride_w * c - c;
    const int32_t lo4 = (int32_t)((uint8_t)lo * 0x01010101u), hi4 = (int32_t)((uint8_t)hi * 0x01010101u);
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int8_t *t = input + (b * in->h + oy * window->stride_h) * row;
            for (int32_t ox = out->w; ox > 0; --ox, t += next) {
                for (int32_t k = c >> 2; k > 0; --k, t += 4, output += 4) {
                    int32_t m = max_s8x4(max_s8x4(tc_load_s8x4(t), tc_load_s8x4(t + c)),
                                         max_s8x4(tc_load_s8x4(t + row), tc_load_s8x4(t + row_c)));
                    if (!full) {
                        m = min_s8x4(max_s8x4(m, lo4), hi4);
                    }
                    memcpy(output, &m, sizeof m);
                }
            }
        }
    }
}
#endif

/* The 2x2 windows that lie inside the image (most max pools): the 4 taps of each channel, without
 * tc_pool_s8's per-channel loop over a window of any size; on DSP cores four channels a word where the
 * channels are whole words. Returns whether it took the op. */
static int max_pool2x2_inside(const int8_t *input, const tc_dims *in, int8_t *output, const tc_dims *out,
                              int32_t filter_h, int32_t filter_w, const tc_window *window, const tc_int8_io *io)
{
    if (filter_h != 2 || filter_w != 2 || window->pad_top != 0 || window->pad_left != 0
        || (out->h - 1) * window->stride_h + 2 > in->h || (out->w - 1) * window->stride_w + 2 > in->w) {
        return 0;
    }
    const int32_t c = in->c, row = in->w * c, lo = io->act_min, hi = io->act_max;
#if TC_DSP
    if (c % 4 == 0) {
        max_pool2x2_words(input, in, output, out, window, lo, hi);
        return 1;
    }
#endif
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
        tc_pool_s8(input, input_dims, output, output_dims, filter_h, filter_w, window, io, window_max, NULL);
    }
}
