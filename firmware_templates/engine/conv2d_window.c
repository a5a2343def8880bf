/* CONV_2D on cores with the DSP extension for windows of 1 to 3 input channels (a first layer on an
 * image): each output pixel's whole window (filter rows x taps x channels, the weights' OHWI order, packed
 * and padded to whole words) is expanded to int16 lanes with the input offset, two pixels interleaved,
 * straight from the image where it can (a 3x3 window over 3 channels, rows of whole words), else through a
 * copy. The weights of a chunk of channels are expanded once to int16 lanes on the stack, zero past each
 * channel's bytes, so the SMLAD loop has no scalar tail and the padding bytes, whatever they hold, add
 * nothing. Taps outside the image hold the input zero point (0 after the offset), as in the reference,
 * which skips them. Filters of at most 3 rows of at most 3 bytes (a 1-channel 3x3) take window_small
 * instead (conv2d_window_small.c). */
#include "conv2d_window.h"

#if TC_DSP
#define WINDOW_MAX_DEPTH 40  /* window bytes, padded to whole words (a 1-channel 10x4 filter) */

static int32_t padded_depth(const tc_dims *wd)
{
    return (wd->h * wd->w * wd->c + 3) & ~3;
}

int tc_conv2d_window_fits(const tc_dims *in, const tc_dims *wd, const tc_output_params *p)
{
    return in->c < 4 && padded_depth(wd) <= WINDOW_MAX_DEPTH && p->fast_scale;
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

/* The window at (y0, x0) into patch, its rows `pitch` bytes apart: the input zero point where a tap falls
 * outside the image, each row's taps inside it (tc_taps_inside) copied a channel at a time. */
void tc_window_border(const int8_t *image, const tc_dims *in, const tc_dims *wd, const tc_window *win,
                      int32_t y0, int32_t x0, int8_t zero_point, int32_t pitch, int8_t *patch)
{
    const int32_t c = in->c, row_bytes = wd->w * c;
    const tc_tap_span cols = tc_taps_inside(x0, win->dilation_w, wd->w, in->w);
    for (int32_t fy = 0; fy < wd->h; ++fy, patch += pitch) {
        const int32_t y = y0 + fy * win->dilation_h, inside = y >= 0 && y < in->h;
        const int32_t lo = inside ? cols.lo : wd->w, hi = inside ? cols.hi : wd->w;
        for (int32_t i = 0; i < row_bytes; ++i) {
            patch[i] = zero_point;
        }
        const int8_t *from = image + (y * in->w + x0) * c;
        for (int32_t fx = lo; fx < hi; ++fx) {
            for (int32_t ch = 0; ch < c; ++ch) {
                patch[fx * c + ch] = from[fx * win->dilation_w * c + ch];
            }
        }
    }
}

/* The word of v's bytes 0 and 2, and of 1 and 3, plus the offset, into lanes[0] and lanes[1]. */
static inline __attribute__((always_inline)) void word_lanes(int32_t v, int32_t offset2, int32_t *lanes)
{
    lanes[0] = __sxtab16(offset2, v);
    lanes[1] = tc_sxtab16_odd(offset2, v);
}

/* A 3x3 window over 3 channels inside the image (rows of 9 bytes from r0, `row_step` bytes apart) as its
 * 7 packed words' lanes, read straight from the image: a word across two rows joins a load from each
 * (BFI, PKHBT), the last word's 4th byte meets a zero weight. */
static inline __attribute__((always_inline)) void rgb3x3_lanes(const int8_t *r0, int32_t row_step, int32_t offset2,
                                                               int32_t *lanes)
{
    const int8_t *r1 = r0 + row_step, *r2 = r1 + row_step;
    word_lanes(tc_load_s8x4(r0), offset2, lanes);
    word_lanes(tc_load_s8x4(r0 + 4), offset2, lanes + 4);
    word_lanes((int32_t)(((uint32_t)tc_load_s8x4(r1 - 1) & 0xffffff00u) | ((uint32_t)tc_load_s8x4(r0 + 8) & 0xffu)),
               offset2, lanes + 8);
    word_lanes(tc_load_s8x4(r1 + 3), offset2, lanes + 12);
    word_lanes((int32_t)(((uint32_t)tc_load_s8x4(r1 + 7) & 0xffffu) | ((uint32_t)tc_load_s8x4(r2 - 2) & 0xffff0000u)),
               offset2, lanes + 16);
    word_lanes(tc_load_s8x4(r2 + 2), offset2, lanes + 20);
    word_lanes(tc_load_s8x4(r2 + 6), offset2, lanes + 24);
}

/* A window inside the image whose rows are whole words (`row_words` each, `row_step` bytes apart), its
 * words' lanes read straight from the image. */
static inline __attribute__((always_inline)) void word_rows_lanes(const int8_t *from, int32_t rows, int32_t row_words,
                                                                  int32_t row_step, int32_t offset2, int32_t *lanes)
{
    for (int32_t r = 0; r < rows; ++r, from += row_step) {
        for (int32_t k = 0; k < row_words; ++k, lanes += 4) {
            word_lanes(tc_load_s8x4(from + 4 * k), offset2, lanes);
        }
    }
}

/* A window of 4-byte rows (a 1-channel filter 4 taps wide, no dilation across) over an image at least a
 * word wide, across its border, a word a row (border_word), the input zero point's bytes (zp4) in the rows
 * outside. */
static inline __attribute__((always_inline)) void word_border_lanes(const window_row *r, int32_t x0, const tc_dims *in,
                                                                    const tc_dims *wd, const tc_window *win,
                                                                    uint32_t zp4, int32_t offset2, int32_t *lanes)
{
    const int32_t width = in->w * in->c;
    const border_word b = border_word_of(x0 * in->c, width, zp4);
    for (int32_t fy = 0; fy < wd->h; ++fy, lanes += 4) {
        const int32_t y = r->y0 + fy * win->dilation_h;
        const uint32_t v = y >= 0 && y < in->h && b.keep ? border_word_read(r->image + y * width, b) : zp4;
        word_lanes((int32_t)v, offset2, lanes);
    }
}

/* The window at x0 of row r expanded into its lanes, a group every 4 words (lanes + 2 for the second pixel
 * of a pair): 3x3 over 3 channels and rows of whole words straight from the image, other windows inside it
 * copied into patch first, those across its border gathered by tc_window_border. */
static inline __attribute__((always_inline)) void
window_lanes(const window_row *r, int32_t x0, const tc_dims *in, const tc_dims *wd, const tc_window *win,
             int8_t zero_point, int32_t offset2, int8_t *patch, int32_t *lanes)
{
    const int32_t row_bytes = wd->w * in->c, row_words = (row_bytes + 3) >> 2;
    const int32_t row_step = win->dilation_h * in->w * in->c;
    if ((x0 < 0 || x0 > r->x_limit) && row_bytes == 4 && in->w * in->c >= 4 && win->dilation_w == 1) {
        word_border_lanes(r, x0, in, wd, win, (uint8_t)zero_point * 0x01010101u, offset2, lanes);
        return;
    } else if (x0 < 0 || x0 > r->x_limit) {
        tc_window_border(r->image, in, wd, win, r->y0, x0, zero_point, row_bytes, patch);
    } else if (row_bytes == 9 && wd->h == 3) {
        rgb3x3_lanes(r->top + x0 * in->c, row_step, offset2, lanes);
        return;
    } else if ((row_bytes & 3) == 0) {
        word_rows_lanes(r->top + x0 * in->c, wd->h, row_words, row_step, offset2, lanes);
        return;
    } else {
        copy_window(r->top + x0 * in->c, wd->h, row_bytes, row_words, row_step, patch);
    }
    tc_expand_s8(patch, padded_depth(wd) >> 2, 0, offset2, lanes, 4, 0);
}

/* The weights of channels first .. first + n - 1 as int16 lanes, once per chunk: per group of 4 window
 * bytes the even and odd lanes of one channel then of the next, pairs of channels one after another (a
 * lone last channel beside a zero row), zero weights past each channel's bytes. */
static void chunk_lanes(const int8_t *weights, int32_t depth, int32_t groups, int32_t first, int32_t n,
                        int32_t *lanes)
{
    int8_t row[WINDOW_MAX_DEPTH];
    for (int32_t k = 0; k < n + (n & 1); ++k) {
        for (int32_t i = 0; i < 4 * groups; ++i) {
            row[i] = k < n && i < depth ? weights[(first + k) * depth + i] : 0;
        }
        tc_expand_s8(row, groups, 0, 0, lanes + (k >> 1) * 4 * groups + 2 * (k & 1), 4, 0);
    }
}

/* Where window_block reads and writes, advanced by it: the next channel's scale, the two pixels' next
 * outputs, and the activation range as 4 bytes each (lo4, hi4; a byte-wise clamp). */
typedef struct {
    const tc_channel_scale *scales;
    int8_t *out0, *out1;
    int32_t lo4, hi4;
} window_cursor;

/* One pair of channels for two pixels: their lanes (interleaved a group apart) against the channels' int16
 * lanes (chunk_lanes) from *w, a group a step (one LDM for the four pixel words, one LDRD per channel,
 * eight SMLADs); the four sums then requantised where they are (tc_output_scaled's steps, SSAT to int8),
 * packed into a word {pixel 0: channel k, k + 1; pixel 1: k, k + 1}, clamped byte-wise (SSUB8 and SEL,
 * unless `full`) and stored as two halfwords. In asm for the LDMs, whose registers must ascend (r4-r7), and
 * because it needs 13 registers (the cursor's fields read from the stack). */
static inline __attribute__((always_inline)) void window_block(const int32_t *lanes, const int32_t **w, int32_t groups,
                                                               window_cursor *at, const int full)
{
    register int32_t x0e __asm("r4"), x0o __asm("r5"), x1e __asm("r6"), x1o __asm("r7");
    int32_t a00 = 0, a10 = 0, a01 = 0, a11 = 0, ke, ko;
    const int32_t *weights = *w;
#define WINDOW_SCALE(acc) /* acc = ssat8((ke + ((bias2 + 2 acc) * multiplier rounded high) + round) >> right) */ \
    "add %[ke], %[x0e], %[" acc "], lsl #1\n\t"                                                                 \
    "smmulr %[ke], %[ke], %[x0o]\n\t"                                                                           \
    "add %[ke], %[ke], %[ke], asr #31\n\t"                                                                      \
    "add %[ke], %[ke], %[x1e]\n\t"                                                                              \
    "asr %[ke], %[ke], %[x1o]\n\t"                                                                              \
    "ssat %[" acc "], #8, %[ke]\n\t"
#define WINDOW_LOOP_AND_SCALE                                                                                  \
    "1:\n\t"                                                                                                  \
    "ldmia %[lanes]!, {%[x0e], %[x0o], %[x1e], %[x1o]}\n\t"                                                   \
    "ldrd %[ke], %[ko], [%[w]], #8\n\t"                                                                       \
    "smlad %[a00], %[ke], %[x0e], %[a00]\n\t"                                                                 \
    "smlad %[a00], %[ko], %[x0o], %[a00]\n\t"                                                                 \
    "smlad %[a10], %[ke], %[x1e], %[a10]\n\t"                                                                 \
    "smlad %[a10], %[ko], %[x1o], %[a10]\n\t"                                                                 \
    "ldrd %[ke], %[ko], [%[w]], #8\n\t"                                                                       \
    "smlad %[a01], %[ke], %[x0e], %[a01]\n\t"                                                                 \
    "smlad %[a01], %[ko], %[x0o], %[a01]\n\t"                                                                 \
    "smlad %[a11], %[ke], %[x1e], %[a11]\n\t"                                                                 \
    "smlad %[a11], %[ko], %[x1o], %[a11]\n\t"                                                                 \
    "subs %[n], %[n], #1\n\t"                                                                                 \
    "bne 1b\n\t"                                                                                              \
    "ldr %[ko], %[scales]\n\t"                                                                                \
    "ldmia %[ko]!, {%[x0e], %[x0o], %[x1e], %[x1o]}\n\t"                                                      \
    WINDOW_SCALE("a00") WINDOW_SCALE("a10")                                                                    \
    "ldmia %[ko]!, {%[x0e], %[x0o], %[x1e], %[x1o]}\n\t"                                                      \
    "str %[ko], %[scales]\n\t"                                                                                \
    WINDOW_SCALE("a01") WINDOW_SCALE("a11")                                                                    \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                          \
    "bfi %[a00], %[a10], #16, #8\n\t"                                                                         \
    "bfi %[a00], %[a11], #24, #8\n\t"
#define WINDOW_STORE                                                                                           \
    "ldr %[ke], %[out0]\n\t"                                                                                  \
    "strh %[a00], [%[ke]], #2\n\t"                                                                            \
    "str %[ke], %[out0]\n\t"                                                                                  \
    "lsr %[a00], %[a00], #16\n\t"                                                                             \
    "ldr %[ke], %[out1]\n\t"                                                                                  \
    "strh %[a00], [%[ke]], #2\n\t"                                                                            \
    "str %[ke], %[out1]"
#define WINDOW_OPERANDS                                                                                        \
    : [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11), [lanes] "+r"(lanes),                 \
      [w] "+r"(weights), [n] "+r"(groups), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e),                \
      [x1o] "=&r"(x1o), [ke] "=&r"(ke), [ko] "=&r"(ko), [scales] "+m"(at->scales), [out0] "+m"(at->out0),      \
      [out1] "+m"(at->out1)                                                                                    \
    : [lo4] "m"(at->lo4), [hi4] "m"(at->hi4)                                                                   \
    : "cc", "memory"
    if (full) {
        __asm volatile(WINDOW_LOOP_AND_SCALE WINDOW_STORE WINDOW_OPERANDS);
    } else {
        __asm volatile(WINDOW_LOOP_AND_SCALE
                       "ldr %[ke], %[lo4]\n\t"
                       "ssub8 %[ko], %[a00], %[ke]\n\t"
                       "sel %[a00], %[a00], %[ke]\n\t"
                       "ldr %[ke], %[hi4]\n\t"
                       "ssub8 %[ko], %[ke], %[a00]\n\t"
                       "sel %[a00], %[a00], %[ke]\n\t"
                       WINDOW_STORE WINDOW_OPERANDS);
    }
#undef WINDOW_SCALE
#undef WINDOW_LOOP_AND_SCALE
#undef WINDOW_STORE
#undef WINDOW_OPERANDS
    *w = weights;
}

/* The int8 outputs of two pixels (out0[k], out1[k]) for channels k < n, a pair of channels a step
 * (window_block; scales[n] must be readable when n is odd, its outputs then go to a spare word), clamped
 * to [lo, hi] (`full`: the whole int8 range, a constant in each of the two copies). */
static inline __attribute__((always_inline)) void
window_outputs_loop(const int32_t *lanes, const int32_t *w, int32_t n, int32_t groups, const tc_channel_scale *scales,
                    int8_t *out0, int8_t *out1, int32_t lo, int32_t hi, const int full)
{
    window_cursor at = {scales, out0, out1, (int32_t)((uint8_t)lo * 0x01010101u),
                        (int32_t)((uint8_t)hi * 0x01010101u)};
    for (int32_t k = 0; k + 1 < n; k += 2) {
        window_block(lanes, &w, groups, &at, full);
    }
    if (n & 1) {
        int8_t spare[4];
        at.out0 = spare, at.out1 = spare + 2;
        window_block(lanes, &w, groups, &at, full);
        out0[n - 1] = spare[0], out1[n - 1] = spare[2];
    }
}

/* window_outputs_loop in a function of its own, so that its loop has the registers to itself. */
static __attribute__((noinline)) void window_outputs(const int32_t *lanes, const int32_t *w, int32_t n, int32_t groups,
                                                     const tc_channel_scale *scales, int8_t *out0, int8_t *out1,
                                                     int32_t lo, int32_t hi)
{
    if (lo == INT8_MIN && hi == INT8_MAX) {
        window_outputs_loop(lanes, w, n, groups, scales, out0, out1, lo, hi, 1);
    } else {
        window_outputs_loop(lanes, w, n, groups, scales, out0, out1, lo, hi, 0);
    }
}

/* Windows that are not tc_window_small_fits: two pixels a pass against each pair of channels' int16 weights, expanded
 * on the stack once per chunk of channels (window_block). */
static void window_pairs(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p)
{
    const int32_t depth = wd->h * wd->w * wd->c, groups = padded_depth(wd) >> 2;
    const int32_t channels = out->c, offset2 = tc_dup16(-io->input_zero_point);
    const int32_t row_words = (wd->w * in->c + 3) >> 2;
    const int8_t zero_point = (int8_t)io->input_zero_point;
    int32_t lanes[WINDOW_MAX_DEPTH], weight_lanes[WINDOW_CHUNK * WINDOW_MAX_DEPTH / 2];
    int8_t patch[WINDOW_MAX_DEPTH + 4] = {0}; /* + a row's spill */
    tc_channel_scale scales[WINDOW_CHUNK + 1];
    for (int32_t first = 0; first < channels; first += WINDOW_CHUNK) {
        const int32_t chunk = channels - first < WINDOW_CHUNK ? channels - first : WINDOW_CHUNK;
        chunk_lanes(weights, depth, groups, first, chunk, weight_lanes);
        tc_channel_scales(p, first, chunk, scales);
        scales[chunk] = scales[chunk - 1]; /* read beside an odd last channel, its outputs unused */
        int8_t *row_output = output + first;
        for (int32_t row = 0; row < out->n * out->h; ++row, row_output += out->w * channels) {
            const window_row r = window_row_of(input, in, wd, win, row / out->h, row % out->h, row_words);
            for (int32_t ox = 0; ox < out->w; ox += 2) {
                const int32_t second = ox + 1 < out->w ? ox + 1 : ox; /* an odd last pixel twice */
                const int32_t x0 = ox * win->stride_w - win->pad_left;
                window_lanes(&r, x0, in, wd, win, zero_point, offset2, patch, lanes);
                window_lanes(&r, x0 + (second - ox) * win->stride_w, in, wd, win, zero_point, offset2, patch,
                             lanes + 2);
                window_outputs(lanes, weight_lanes, chunk, groups, scales, row_output + ox * channels,
                               row_output + second * channels, p->min, p->max);
            }
        }
    }
}

void tc_conv2d_window_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p)
{
    if (tc_window_small_fits(wd)) {
        tc_conv2d_window_small_s8(input, in, weights, wd, output, out, win, io, p);
    } else {
        window_pairs(input, in, weights, wd, output, out, win, io, p);
    }
}
#endif
