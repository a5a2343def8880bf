/* What the CONV_2D whole-window paths share (private to conv2d_window.c, window_pairs, its RGB triples in
 * conv2d_window_rgb.c, and conv2d_window_small.c, window_small): the geometry of a row of windows, a window
 * gathered across the image's border, a row word across it, window_pairs' job and cursor, and the entry points
 * of window_small and of the triples. */
#ifndef CONV2D_WINDOW_SHARED_H
#define CONV2D_WINDOW_SHARED_H

#include "tinyctl_dsp.h"

#if TC_DSP
#define WINDOW_CHUNK 16  /* output channels whose weights sit on the stack at once */

/* The geometry of one output row's windows: the first byte of the image row at the windows' top, and
 * the largest window origin x0 (none when below 0) whose window lies inside the image and whose last row,
 * read a whole word at a time, ends inside the image (a window past it is gathered by tc_window_border).
 * Out of line: inlined into window_pairs, its one caller in conv2d_window.c, it costs that loop registers
 * (ResNet-8's first layer +2.2 k instructions on the M4). Unused in conv2d_window_rgb.c, which includes this
 * header for window_pairs' job. */
typedef struct {
    const int8_t *image, *top;
    int32_t y0, x_limit;
} window_row;

static __attribute__((noinline, unused)) window_row window_row_of(const int8_t *input, const tc_dims *in,
                                                                 const tc_dims *wd, const tc_window *win, int32_t b,
                                                                 int32_t oy, int32_t row_words)
{
    const int32_t c = in->c, y0 = oy * win->stride_h - win->pad_top, last_y = y0 + (wd->h - 1) * win->dilation_h;
    const int8_t *image = input + b * in->h * in->w * c;
    int32_t x_limit = in->w - 1 - (wd->w - 1) * win->dilation_w;
    if (last_y == in->h - 1) {
        const int32_t spare = in->w * c - 4 * row_words; /* bytes of the last row left after x0 = 0 */
        x_limit = spare < 0 ? -1 : (spare / c < x_limit ? spare / c : x_limit);
    }
    if (y0 < 0 || last_y >= in->h || win->dilation_w != 1) {
        x_limit = -1;
    }
    window_row r = {image, x_limit < 0 ? image : image + y0 * in->w * c, y0, x_limit};
    return r;
}

/* The window at (y0, x0) into patch, its rows `pitch` bytes apart: the input zero point where a tap falls
 * outside the image (conv2d_window.c). */
void tc_window_border(const int8_t *image, const tc_dims *in, const tc_dims *wd, const tc_window *win, int32_t y0,
                      int32_t x0, int8_t zero_point, int32_t pitch, int8_t *patch);

/* A word of an image row's bytes from `at` on, some of them past either end of the row (`width` >= 4 bytes):
 * where it is loaded from inside the row (from), how far it is shifted into place (shl, shr: 8 times the
 * bytes outside on each side), which of its bytes lie inside (keep, 0 when none do) and the input zero
 * point's bytes in the others (fill). */
typedef struct {
    int32_t from, shl, shr;
    uint32_t keep, fill;
} border_word;

static inline __attribute__((always_inline)) border_word border_word_of(int32_t at, int32_t width, uint32_t zp4)
{
    const int32_t left = at < 0 ? -at : 0, right = at + 4 > width ? at + 4 - width : 0;
    const uint32_t keep = left >= 4 || right >= 4 ? 0u : (~0u << (8 * left)) >> (8 * right);
    border_word b = {left ? 0 : (right ? width - 4 : at), 8 * left, 8 * right, keep, zp4 & ~keep};
    return b;
}

/* The word b of the image row at `row` (see border_word). */
static inline __attribute__((always_inline)) uint32_t border_word_read(const int8_t *row, border_word b)
{
    return ((((uint32_t)tc_load_s8x4(row + b.from) << b.shl) >> b.shr) & b.keep) | b.fill;
}

/* Two int16 weights as one word of lanes, each doubled: the window paths' sums start at twice the bias, so
 * that they are the sum tc_scale_fast multiplies. */
static inline int32_t tc_doubled_lanes(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)(2 * lo) & 0xffffu) | ((uint32_t)(2 * hi) << 16));
}

/* What window_pairs' pixel loops share for a chunk of channels: the stream (pair_stream) and its groups, the
 * chunk's and the layer's channel counts, the window's rows (`rows` of `row_bytes`, `row_words` words once
 * copied, `row_step` bytes apart in the image) and the bytes from one window to the next, the input offset in
 * both halfwords, the two pixels' lanes, the patch a window is copied into, and the activation range. */
typedef struct {
    const int32_t *stream;
    int32_t groups, chunk, channels;
    int32_t rows, row_bytes, row_words, row_step, window_step, offset2;
    int32_t *lanes;
    int8_t *patch;
    int32_t lo, hi;
} window_job;

/* What window_pair_loop reads and writes: the two pixels' lanes, the bytes of its groups' code it jumps over,
 * where the first pixel's next outputs go and the bytes from just past them to the second's (the triples' loop:
 * from the first to the second), and the activation range as 4 bytes each (lo4, hi4; a byte-wise clamp). */
typedef struct {
    const int32_t *lanes;
    int32_t skip;
    int8_t *out;
    int32_t step, lo4, hi4;
} window_cursor;

/* A row of 3x3 windows over 3 channels as tc_window_run3 reads it: its first row's start (at x = 0), the bytes from
 * its first row to its second and from its second to its third (the image's row step, or a step to a row of the
 * input zero point in place of a row below the image: window_pairs' SAME padding), the last x0 whose window lies
 * inside the image's width (-1: none), and whether a right-border triple's reads past the right edge land in rows. */
typedef struct {
    const int8_t *top;
    int32_t step1, step2, x_limit, border;
} rgb_rows;

/* The outputs of `triples` triples of pixels whose 3x3 windows over 3 channels lie inside `rows` (the last
 * triple's third reaching one column past its right edge: `right_border`), into [-128, 127], for an even chunk of
 * channels (conv2d_window_rgb.c). */
void tc_window_run3(const window_job *j, const rgb_rows *rows, const int8_t *from, int32_t triples, int8_t *out,
                    int32_t pixel_step, int right_border);

/* Whether window_small takes the filter, and the convolution on it (conv2d_window_small.c). */
int tc_window_small_fits(const tc_dims *wd);
void tc_conv2d_window_small_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                               int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                               const tc_output_params *p);
#endif
#endif
