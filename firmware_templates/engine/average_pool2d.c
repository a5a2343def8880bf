/* AVERAGE_POOL_2D, int8: the mean of the in-image window positions only, rounded half away
 * from zero by integer division, as the reference does. On cores with the DSP extension, channel
 * counts of whole words sum four channels a word in two halfword pairs (window_means_words). */
#include "tinyctl_dsp.h"

/* The reference's rounded division of a window's sum by its count of taps. */
static inline int32_t rounded_mean(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

static int32_t window_mean(const int8_t *first, int32_t rows, int32_t columns, int32_t row, int32_t column)
{
    int32_t sum = 0;
    for (int32_t y = 0; y < rows; ++y) {
        for (int32_t x = 0; x < columns; ++x) {
            sum += first[y * row + x * column];
        }
    }
    return rounded_mean(sum, rows * columns);
}

#if TC_DSP
/* Halfword sums stay exact up to this many taps: 255 * 128 < 2^15. */
#define WORDS_MAX_TAPS 255

/* The means of one window (`rows` by `columns` taps from first, `row` and `column` bytes apart) of `channels`
 * (whole words) channels into out, clamped to [lo, hi]: per word of four channels, SXTAB16 adds each tap's even and
 * odd channels into two halfword pairs (3 instructions a tap for 4 values; the per-channel loop took 14 a value
 * on MobileNet's 3x3x256 pool). */
static void window_means_words(const int8_t *first, int32_t rows, int32_t columns, int32_t row, int32_t column,
                               int32_t channels, int8_t *out, int32_t lo, int32_t hi)
{
    const int32_t count = rows * columns;
    for (int32_t c = 0; c < channels; c += 4, first += 4, out += 4) {
        int32_t even = 0, odd = 0;
        for (int32_t y = 0; y < rows; ++y) {
            const int8_t *tap = first + y * row;
            for (int32_t x = columns; x > 0; --x, tap += column) {
                const int32_t v = tc_load_s8x4(tap);
                even = __sxtab16(even, v);
                odd = tc_sxtab16_odd(odd, v);
            }
        }
        out[0] = tc_clamp_s8(rounded_mean((int16_t)even, count), lo, hi);
        out[1] = tc_clamp_s8(rounded_mean((int16_t)odd, count), lo, hi);
        out[2] = tc_clamp_s8(rounded_mean(even >> 16, count), lo, hi);
        out[3] = tc_clamp_s8(rounded_mean(odd >> 16, count), lo, hi);
    }
}
#endif

/* window_means_words where the channels are whole words and a window has at most WORDS_MAX_TAPS taps, on DSP
 * cores; else NULL (the per-channel loop). */
static tc_pool_pixel_fn pixel_means(const tc_dims *in, int32_t filter_h, int32_t filter_w)
{
#if TC_DSP
    if (in->c % 4 == 0 && filter_h * filter_w <= WORDS_MAX_TAPS) {
        return window_means_words;
    }
#endif
    (void)in, (void)filter_h, (void)filter_w;
    return NULL;
}

void tc_average_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                          int8_t *output, const tc_dims *output_dims,
                          int32_t filter_h, int32_t filter_w, const tc_window *window,
                          const tc_int8_io *io)
{
    tc_pool_s8(input, input_dims, output, output_dims, filter_h, filter_w, window, io, window_mean,
               pixel_means(input_dims, filter_h, filter_w));
}
