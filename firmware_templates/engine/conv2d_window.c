/* CONV_2D on cores with the DSP extension for windows of 1 to 3 input channels (a first layer on an
 * image): each output pixel's whole window (filter rows x taps x channels, the weights' OHWI order) is
 * gathered a word at a time and expanded to int16 lanes with the input offset, two pixels interleaved as
 * tc_block2x2 reads them, and padded to whole words; a copy of the weights on the stack pads each
 * channel's row with zero weights to match, so the SMLAD loop has no scalar tail and the padding bytes,
 * whatever they hold, add nothing. Taps outside the image hold the input zero point (0 after the offset),
 * as in the reference, which skips them. */
#include "tinyctl_dsp.h"

#if TC_DSP
#define WINDOW_MAX_DEPTH 32  /* window bytes, padded to whole words */
#define WINDOW_CHUNK 16      /* output channels whose padded weights sit on the stack at once */

static int32_t padded_depth(const tc_dims *wd)
{
    return (wd->h * wd->w * wd->c + 3) & ~3;
}

int tc_conv2d_window_fits(const tc_dims *in, const tc_dims *wd, const tc_output_params *p)
{
    return in->c < 4 && padded_depth(wd) <= WINDOW_MAX_DEPTH && p->fast_scale;
}

/* The geometry of one output row's windows: the first byte of the image row at the windows' top, and
 * the largest window origin x0 (none when below 0) whose window lies inside the image and whose last row,
 * read a whole word at a time, ends inside the image (a window past it is gathered by window_border). */
typedef struct {
    const int8_t *image, *top;
    int32_t y0, x_limit;
} window_row;

static window_row window_row_of(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_window *win,
                                int32_t b, int32_t oy, int32_t row_words)
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

/* A window wholly inside the image, each of its rows (`row_bytes` from `from`, `row_step` bytes apart)
 * copied as `row_words` whole words into patch, a row's last word overlapping the next row's start,
 * which the next row's copy then overwrites (the last row's spills into the padding). */
static inline void copy_window(const int8_t *from, int32_t rows, int32_t row_bytes, int32_t row_words,
                               int32_t row_step, int8_t *patch)
{
    for (int32_t r = 0; r < rows; ++r, from += row_step, patch += row_bytes) {
        for (int32_t k = 0; k < row_words; ++k) {
            const int32_t v = tc_load_s8x4(from + 4 * k);
            memcpy(patch + 4 * k, &v, sizeof v);
            __asm volatile(""); /* else gcc calls the C library's memcpy for the row */
        }
    }
}

/* The window at (y0, x0) a byte at a time into patch: the input zero point where a tap falls outside
 * the image. */
static void window_border(const int8_t *image, const tc_dims *in, const tc_dims *wd, const tc_window *win,
                          int32_t y0, int32_t x0, int8_t zero_point, int8_t *patch)
{
    const int32_t c = in->c;
    for (int32_t fy = 0; fy < wd->h; ++fy) {
        const int32_t y = y0 + fy * win->dilation_h;
        for (int32_t fx = 0; fx < wd->w; ++fx, patch += c) {
            const int32_t x = x0 + fx * win->dilation_w;
            const int inside = y >= 0 && y < in->h && x >= 0 && x < in->w;
            for (int32_t ch = 0; ch < c; ++ch) {
                patch[ch] = inside ? image[(y * in->w + x) * c + ch] : zero_point;
            }
        }
    }
}

/* The window at x0 of row r expanded into its lanes (lanes + 2 for the second pixel of a pair). */
static inline __attribute__((always_inline)) void
window_lanes(const window_row *r, int32_t x0, const tc_dims *in, const tc_dims *wd, const tc_window *win,
             int8_t zero_point, int32_t offset2, int8_t *patch, int32_t *lanes)
{
    const int32_t row_bytes = wd->w * in->c, row_words = (row_bytes + 3) >> 2;
    if (x0 >= 0 && x0 <= r->x_limit) {
        copy_window(r->top + x0 * in->c, wd->h, row_bytes, row_words, win->dilation_h * in->w * in->c, patch);
    } else {
        window_border(r->image, in, wd, win, r->y0, x0, zero_point, patch);
    }
    tc_expand_s8(patch, padded_depth(wd) >> 2, 0, offset2, lanes, 4, 0);
}

/* Channels first .. first + n - 1: their weight rows padded to `depth4` bytes with zeros into `padded`,
 * then a row of zeros when n is odd (window_sums takes channels in pairs). */
static void chunk_weights(const int8_t *weights, int32_t depth, int32_t depth4, int32_t first, int32_t n,
                          int8_t *padded)
{
    for (int32_t k = 0; k < n + (n & 1); ++k) {
        const int8_t *row = weights + (first + k) * depth;
        for (int32_t i = 0; i < depth4; ++i) {
            padded[k * depth4 + i] = k < n && i < depth ? row[i] : 0;
        }
    }
}

/* sums[k] = the two pixels' sums for channel k < n (rounded up to even), two channels a step: a
 * function of its own, so that its loop has the registers to itself. */
static __attribute__((noinline)) void window_sums(const int32_t *lanes, const int8_t *padded, int32_t n,
                                                  int32_t depth4, int32_t *sums)
{
    const int32_t groups = depth4 >> 2;
    for (const int32_t *end = sums + 2 * n; sums < end; sums += 4, padded += 2 * depth4) {
        tc_block2x2(lanes, 0, padded, padded + depth4, groups, 0, sums);
    }
}

void tc_conv2d_window_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p)
{
    const int32_t depth = wd->h * wd->w * wd->c, depth4 = padded_depth(wd);
    const int32_t channels = out->c, offset2 = tc_dup16(-io->input_zero_point);
    const int32_t row_words = (wd->w * in->c + 3) >> 2;
    const int8_t zero_point = (int8_t)io->input_zero_point;
    int32_t lanes[WINDOW_MAX_DEPTH], sums[WINDOW_CHUNK][2];
    int8_t patch[WINDOW_MAX_DEPTH + 4] = {0}, padded[WINDOW_CHUNK * WINDOW_MAX_DEPTH]; /* patch: + a row's spill */
    tc_channel_scale scales[WINDOW_CHUNK];
    for (int32_t first = 0; first < channels; first += WINDOW_CHUNK) {
        const int32_t chunk = channels - first < WINDOW_CHUNK ? channels - first : WINDOW_CHUNK;
        chunk_weights(weights, depth, depth4, first, chunk, padded);
        tc_channel_scales(p, first, chunk, scales);
        int8_t *row_output = output + first;
        for (int32_t row = 0; row < out->n * out->h; ++row, row_output += out->w * channels) {
            const window_row r = window_row_of(input, in, wd, win, row / out->h, row % out->h, row_words);
            for (int32_t ox = 0; ox < out->w; ox += 2) {
                const int32_t second = ox + 1 < out->w ? ox + 1 : ox; /* an odd last pixel twice */
                const int32_t x0 = ox * win->stride_w - win->pad_left;
                window_lanes(&r, x0, in, wd, win, zero_point, offset2, patch, lanes);
                window_lanes(&r, x0 + (second - ox) * win->stride_w, in, wd, win, zero_point, offset2, patch,
                             lanes + 2);
                window_sums(lanes, padded, chunk, depth4, sums[0]);
                tc_outputs2_dsp((const int32_t(*)[2])sums, scales, chunk, row_output + ox * channels,
                                row_output + second * channels, p->min, p->max);
            }
        }
    }
}
#endif
