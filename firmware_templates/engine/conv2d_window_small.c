/* CONV_2D on cores with the DSP extension for filters of at most 3 rows of at most 3 bytes (taps x
 * channels: a 1-channel 3x3 first layer, a 1x1 over 3 channels), the whole-window path's small windows
 * (window_small; the others take conv2d_window.c's window_pairs): each window's rows read a word each
 * straight from the image and packed into 5 words of int16 lanes, then each pixel over every channel's
 * weights and requantisation streamed by LDMs; windows across the border (a PAD folded in,
 * tinyctl.engine.pad_fusion) composed a word a row and run apart. */
#include "conv2d_window_shared.h"

#if TC_DSP
#define SMALL_ROWS 3         /* window_small's filters: at most 3 rows of at most 3 bytes, */
#define SMALL_LANES 5        /* packed into 5 words of int16 lanes (r8-r12 in small_pixels_loop), */
#define SMALL_PIXELS 32      /* for up to 32 output pixels at once, */
#define SMALL_PAIR_WORDS 19  /* against a stream of 19 words a pair of channels (17 into the whole int8 range) */

/* The small path (window_small): filters of at most SMALL_ROWS rows of at most 3 bytes (taps x channels,
 * a 1-channel 3x3 first layer), each row one word of the window read straight from the image, its 4th byte
 * dropped, and the window's 9 bytes packed into 5 words of int16 lanes (small_pixels_loop). */
int tc_window_small_fits(const tc_dims *wd)
{
    return wd->h <= SMALL_ROWS && wd->w * wd->c <= 3;
}

/* Row r's n windows from x0 on, `stride` taps apart, each across the image's border, into patches (a word a
 * row, rows a word apart): each row's word composed by border_word (the input zero point's bytes in the rows
 * outside the image) where the image is at least a word wide and the filter has no dilation across, else
 * gathered by tc_window_border. The bytes past each row and the rows past the filter meet zero weights,
 * whatever they hold. */
static void small_patches(const window_row *r, int32_t x0, int32_t n, const tc_dims *in, const tc_dims *wd,
                          const tc_window *win, int8_t zero_point, int8_t (*patches)[4 * SMALL_ROWS])
{
    const int32_t width = in->w * in->c;
    const uint32_t zp4 = (uint8_t)zero_point * 0x01010101u;
    if (width < 4 || win->dilation_w != 1) {
        for (int32_t i = 0; i < n; ++i, x0 += win->stride_w) {
            tc_window_border(r->image, in, wd, win, r->y0, x0, zero_point, 4, patches[i]);
        }
        return;
    }
    const int8_t *rows[SMALL_ROWS]; /* the filter's rows in the image, else NULL */
    for (int32_t fy = 0; fy < wd->h; ++fy) {
        const int32_t y = r->y0 + fy * win->dilation_h;
        rows[fy] = y >= 0 && y < in->h ? r->image + y * width : NULL;
    }
    for (int32_t i = 0; i < n; ++i, x0 += win->stride_w) {
        const border_word b = border_word_of(x0 * in->c, width, zp4);
        for (int32_t fy = 0; fy < wd->h; ++fy) {
            const uint32_t v = rows[fy] ? border_word_read(rows[fy], b) : zp4;
            memcpy(patches[i] + 4 * fy, &v, sizeof v);
        }
    }
}

/* One channel's weights as lanes in small_pixels_loop's order, zero past the filter. */
static void small_weights(const int8_t *weights, const tc_dims *wd, int32_t *to)
{
    const int32_t row_bytes = wd->w * wd->c;
    int32_t t[SMALL_ROWS][3] = {{0}};
    for (int32_t i = 0; i < wd->h * row_bytes; ++i) {
        t[i / row_bytes][i % row_bytes] = weights[i];
    }
    to[0] = tc_doubled_lanes(t[0][0], t[0][2]), to[1] = tc_doubled_lanes(t[1][0], t[1][2]);
    to[2] = tc_doubled_lanes(t[2][0], t[2][2]), to[3] = tc_doubled_lanes(t[0][1], t[1][1]);
    to[4] = tc_doubled_lanes(t[2][1], 0);
}

/* The words of a pair of channels in the stream small_pixels reads, the activation range's two past the
 * whole int8 range (`full`). */
static int32_t small_pair_words(int32_t full)
{
    return full ? SMALL_PAIR_WORDS - 2 : SMALL_PAIR_WORDS;
}

/* The stream small_pixels reads for channels first .. first + n - 1, small_pair_words a pair of channels (a
 * lone last channel twice): the first channel's weights (small_weights), twice each channel's bias (the
 * sums' starts), the second's weights, the first's multiplier and rounding term, both right shifts in one
 * word (the first's in bits 0-7, which ASR reads, the second's from bit 9, and bit 8 set unless the pair is
 * the last), the second's multiplier and rounding term, then, unless `full`, the activation range as 4
 * bytes each (lo4, hi4). */
static void small_stream(const int8_t *weights, const tc_dims *wd, const tc_output_params *p, int32_t first,
                         int32_t n, int32_t full, int32_t *stream)
{
    const int32_t depth = wd->h * wd->w * wd->c;
    tc_channel_scale s[2];
    for (int32_t k = 0; k < n; k += 2, stream += small_pair_words(full)) {
        const int32_t second = k + 1 < n ? k + 1 : k;
        tc_channel_scales(p, first + k, 1, &s[0]);
        tc_channel_scales(p, first + second, 1, &s[1]);
        small_weights(weights + (first + k) * depth, wd, stream);
        small_weights(weights + (first + second) * depth, wd, stream + 7);
        const int32_t shifts = s[0].right | (k + 2 < n ? 0x100 : 0) | s[1].right << 9;
        const int32_t tail[7] = {s[0].multiplier, s[0].round, shifts, s[1].multiplier, s[1].round,
                                 (int32_t)((uint8_t)p->min * 0x01010101u), (int32_t)((uint8_t)p->max * 0x01010101u)};
        stream[5] = s[0].bias2, stream[6] = s[1].bias2;
        memcpy(stream + 12, tail, (size_t)(small_pair_words(full) - 12) * sizeof(int32_t));
    }
}

/* Where small_pixels_loop's pixel loop reads and writes, right after the stream it reads (small_chunk), so
 * that the pair loop leaves its pointer there and one LDM loads the next pixel's: the bytes from a pixel's last
 * output to the next pixel's first, the window's second and third rows' distance from its first, the input
 * offset in both halfwords, the distance to the next window, the stream's bytes, the next window's first row
 * and the window past the last. */
typedef struct {
    int32_t skip, steps[2], offset2, advance, stream_bytes;
    const int8_t *from, *end;
} small_cursor;

#define SMALL_STREAM_WORDS (WINDOW_CHUNK / 2 * SMALL_PAIR_WORDS)

/* A chunk's stream (small_stream), placed to end where its cursor begins. */
typedef struct {
    int32_t stream[SMALL_STREAM_WORDS];
    small_cursor at;
} small_chunk;

/* small_chunk's cursor follows its stream with no padding between (the pair loop runs from one into the other). */
typedef char small_cursor_follows_stream[offsetof(small_chunk, at) == sizeof(int32_t) * SMALL_STREAM_WORDS ? 1 : -1];

/* The int8 outputs of the pixels from c->from up to c->end (at least one; c->skip bytes from one's last output
 * to the next's first), two channels a step from the stream (small_stream) before c: a window's rows a, b, c
 * (words at c->from and c->steps after it) as SMALL_LANES words of int16 lanes plus the input offset in
 * r8-r12, {a0, a2}, {b0, b2}, {c0, c2}, {a1, b1}, {c1, c3} (each row's 4th byte dropped or against a zero
 * weight); a pair's weights and biases loaded by two LDMs, five SMLADs a channel, its requantisation by a
 * third LDM (both right shifts in one word, whose LSRS to the second's leaves in the carry whether another
 * pair follows), the pair requantised in registers (tc_output_scaled's steps, SSAT to int8), packed, clamped
 * byte-wise (SSUB8 and SEL, unless `full`) and stored as a halfword (an odd last channel's pair writes one
 * byte past it). SMMLAR adds the rounding term to the high product, and the sum's sign stands for the
 * product's (the multiplier is positive): they differ only where the product rounds to 0, where the shift
 * then drops the 1 taken from round's 2^(right - 1). In asm for the LDMs, whose registers must ascend, and
 * because it needs all 14 allocatable registers (the pixel loop's state read from the cursor; `to` starts at
 * the first output less the skip, which each pixel adds). */
static inline __attribute__((always_inline)) void small_pixels_loop(const small_cursor *c, int8_t *out, const int full)
{
    register const int32_t *at __asm("r0") = (const int32_t *)(const void *)c;
    register int32_t w0 __asm("r1"), w1 __asm("r2"), w2 __asm("r3"), w3 __asm("r4"), w4 __asm("r5");
    register int32_t a __asm("r6"), b __asm("r7");
    register int32_t x0 __asm("r8"), x1 __asm("r9"), x2 __asm("r10"), x3 __asm("r11"), x4 __asm("r12");
    register int8_t *to __asm("lr") = out;
#define SMALL_SUM(acc)                                                                                         \
    "smlad %[" acc "], %[w0], %[x0], %[" acc "]\n\t"                                                          \
    "smlad %[" acc "], %[w1], %[x1], %[" acc "]\n\t"                                                          \
    "smlad %[" acc "], %[w2], %[x2], %[" acc "]\n\t"                                                          \
    "smlad %[" acc "], %[w3], %[x3], %[" acc "]\n\t"                                                          \
    "smlad %[" acc "], %[w4], %[x4], %[" acc "]\n\t"
#define SMALL_SCALE(acc, m, r) /* acc = ssat8((acc * m rounded high + r, - 1 if acc < 0) >> w2's bottom byte) */ \
    TC_SCALE_DOUBLED_ASM("%[" acc "]", "%[" m "]", "%[" r "]", "%[w2]", "%[" m "]")
#define SMALL_SUMS_AND_SCALE                                                                                   \
    "ldr %[w0], [%[at]]\n\t"                                                                                 \
    "sub %[to], %[to], %[w0]\n\t"                                                                            \
    "2:\n\t"                                                                                                  \
    "ldmia %[at], {%[w0], %[w1], %[w2], %[w3], %[w4], %[a], %[b]}\n\t"                                      \
    "add %[to], %[to], %[w0]\n\t"                                                                            \
    "ldr %[x4], [%[b], %[w2]]\n\t"                                                                           \
    "ldr %[w2], [%[b], %[w1]]\n\t"                                                                           \
    "ldr %[w1], [%[b]]\n\t"                                                                                  \
    "sxtab16 %[x0], %[w3], %[w1]\n\t"                                                                        \
    "sxtab16 %[x1], %[w3], %[w2]\n\t"                                                                        \
    "sxtab16 %[w1], %[w3], %[w1], ror #8\n\t"                                                                \
    "sxtab16 %[w2], %[w3], %[w2], ror #8\n\t"                                                                \
    "pkhbt %[x3], %[w1], %[w2], lsl #16\n\t"                                                                 \
    "sxtab16 %[x2], %[w3], %[x4]\n\t"                                                                        \
    "sxtab16 %[x4], %[w3], %[x4], ror #8\n\t"                                                                \
    "add %[b], %[b], %[w4]\n\t"                                                                              \
    "str %[b], [%[at], #24]\n\t"                                                                             \
    "sub %[at], %[at], %[a]\n\t"                                                                             \
    "1:\n\t"                                                                                                  \
    "ldmia %[at]!, {%[w0], %[w1], %[w2], %[w3], %[w4], %[a], %[b]}\n\t"                                      \
    SMALL_SUM("a")                                                                                            \
    "ldmia %[at]!, {%[w0], %[w1], %[w2], %[w3], %[w4]}\n\t"                                                   \
    SMALL_SUM("b")                                                                                            \
    "ldmia %[at]!, {%[w0], %[w1], %[w2], %[w3], %[w4]}\n\t"                                                   \
    SMALL_SCALE("a", "w0", "w1")                                                                              \
    "lsrs %[w2], %[w2], #9\n\t" /* C: another pair follows; w2: the second's right shift */                  \
    SMALL_SCALE("b", "w3", "w4")                                                                              \
    "bfi %[a], %[b], #8, #8\n\t"
#define SMALL_STORE_AND_LOOP                                                                                   \
    "strh %[a], [%[to]], #2\n\t"                                                                              \
    "bcs 1b\n\t"                                                                                              \
    "ldrd %[w0], %[w1], [%[at], #24]\n\t"                                                                    \
    "cmp %[w0], %[w1]\n\t"                                                                                   \
    "bne 2b"
#define SMALL_OPERANDS                                                                                         \
    : [at] "+r"(at), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [w4] "=&r"(w4),          \
      [a] "=&r"(a), [b] "=&r"(b), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3),             \
      [x4] "=&r"(x4), [to] "+r"(to)                                                                            \
    :                                                                                                          \
    : "cc", "memory"
    if (full) {
        __asm volatile(SMALL_SUMS_AND_SCALE SMALL_STORE_AND_LOOP SMALL_OPERANDS);
    } else {
        __asm volatile(SMALL_SUMS_AND_SCALE
                       "ldrd %[w0], %[w1], [%[at]], #8\n\t"
                       "ssub8 %[w3], %[a], %[w0]\n\t"
                       "sel %[a], %[a], %[w0]\n\t"
                       "ssub8 %[w3], %[w1], %[a]\n\t"
                       "sel %[a], %[a], %[w1]\n\t"
                       SMALL_STORE_AND_LOOP SMALL_OPERANDS);
    }
#undef SMALL_SUM
#undef SMALL_SCALE
#undef SMALL_SUMS_AND_SCALE
#undef SMALL_STORE_AND_LOOP
#undef SMALL_OPERANDS
}

/* small_pixels_loop in a function of its own, so that it has the registers to itself. */
static __attribute__((noinline)) void small_pixels(const small_cursor *c, int8_t *out, const int full)
{
    if (full) {
        small_pixels_loop(c, out, 1);
    } else {
        small_pixels_loop(c, out, 0);
    }
}

/* What a chunk's runs of pixels share: the chunk's stream and the cursor after it, the rows' steps and window
 * advance of a run straight through the image and of one through patches, the chunk's and the layer's
 * channel counts, whether the activation range is the whole int8 range, and the layer. */
typedef struct {
    small_chunk *chunk_stream;
    int32_t image_steps[3], patch_steps[3]; /* steps[0], steps[1], advance */
    int32_t chunk, channels, full;
    const tc_dims *in, *wd;
    const tc_window *win;
    int8_t zero_point;
} small_layer;

/* The outputs of n >= 1 pixels whose windows start at `from` (rows and windows `walk` apart: image_steps or
 * patch_steps) at `to`, `step` bytes from one pixel's first output to the next's (small_pixels). An odd
 * chunk's pixels go one at a time through `spare`, as the byte past their last channel may already hold an
 * output (an earlier chunk's) or lie past the tensor. */
static void small_run(const small_layer *l, const int32_t walk[3], const int8_t *from, int32_t n, int8_t *to,
                      int32_t step)
{
    small_cursor *c = &l->chunk_stream->at;
    int8_t spare[WINDOW_CHUNK + 1];
    c->skip = step - (l->chunk + (l->chunk & 1)), c->steps[0] = walk[0], c->steps[1] = walk[1];
    c->advance = walk[2], c->from = from;
    if (l->chunk & 1) {
        for (int32_t i = 0; i < n; ++i, to += step) {
            c->end = c->from + walk[2];
            small_pixels(c, spare, l->full);
            memcpy(to, spare, (size_t)l->chunk);
        }
    } else {
        c->end = from + n * walk[2];
        small_pixels(c, to, l->full);
    }
}

/* Row r's windows from pixel `from` to `to` - 1 (window x0 at pixel 0), all across the image's border, through
 * patches (small_patches) SMALL_PIXELS at a time, their outputs at row_output. */
static void small_border_row(const small_layer *l, const window_row *r, int32_t x0, int32_t from, int32_t to,
                             int8_t *row_output)
{
    int8_t patches[SMALL_PIXELS][4 * SMALL_ROWS];
    for (int32_t ox = from; ox < to; ox += SMALL_PIXELS) {
        const int32_t n = to - ox < SMALL_PIXELS ? to - ox : SMALL_PIXELS;
        small_patches(r, x0 + ox * l->win->stride_w, n, l->in, l->wd, l->win, l->zero_point, patches);
        small_run(l, l->patch_steps, patches[0], n, row_output + ox * l->channels, l->channels);
    }
}

/* Convolution with tc_window_small_fits filters (window_small): each output pixel against every channel of
 * the chunk (small_pixels), its window read and expanded once into registers and the channels' weights and
 * scales streamed by LDMs. A row's windows inside the image (up to window_row's x_limit) in one run straight
 * from it; those across its border through patches: a row's, in runs of that row (small_border_row), but a
 * lone window left of the image in each row with windows inside, which are gathered down the column,
 * SMALL_PIXELS rows a run. */
void tc_conv2d_window_small_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                               int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                               const tc_output_params *p)
{
    const int32_t channels = out->c, stride = win->stride_w, x0 = -win->pad_left, row_step = out->w * channels;
    const int32_t left = x0 >= 0 ? 0 : ((stride - 1 - x0) / stride < out->w ? (stride - 1 - x0) / stride : out->w);
    /* the lone window left of the image, its bytes outside the first `outside` of each row word (< 4) */
    const int32_t outside = -x0 * in->c, by_column = left == 1 && in->w * in->c >= 4 && outside < 4;
    const uint32_t lone_fill = by_column ? ((uint8_t)io->input_zero_point * 0x01010101u) >> (32 - 8 * outside) : 0;
    int32_t below[SMALL_ROWS];
    small_chunk chunk_stream;
    int8_t column[SMALL_PIXELS][4 * SMALL_ROWS];
    for (int32_t k = 0; k < SMALL_ROWS; ++k) {
        below[k] = (k < wd->h ? k : wd->h - 1) * win->dilation_h * in->w * in->c;
    }
    small_layer l = {&chunk_stream, {below[1], below[2], stride * in->c}, {4, 8, 4 * SMALL_ROWS}, 0, channels,
                     p->min == INT8_MIN && p->max == INT8_MAX, in, wd, win, (int8_t)io->input_zero_point};
    chunk_stream.at.offset2 = tc_dup16(-io->input_zero_point);
    for (int32_t first = 0; first < channels; first += WINDOW_CHUNK) {
        l.chunk = channels - first < WINDOW_CHUNK ? channels - first : WINDOW_CHUNK;
        const int32_t stream_words = (l.chunk + 1) / 2 * small_pair_words(l.full);
        chunk_stream.at.stream_bytes = stream_words * (int32_t)sizeof(int32_t);
        small_stream(weights, wd, p, first, l.chunk, l.full, chunk_stream.stream + SMALL_STREAM_WORDS - stream_words);
        int8_t *row_output = output + first, *column_output = row_output;
        int32_t pending = 0; /* the left windows in `column`, from column_output's row on */
        for (int32_t row = 0; row < out->n * out->h; ++row, row_output += row_step) {
            const window_row r = window_row_of(input, in, wd, win, row / out->h, row % out->h, 1);
            const int32_t inside = r.x_limit < x0 ? 0 : (r.x_limit - x0) / stride + 1;
            const int32_t upto = inside < out->w ? inside : out->w;
            if (pending && (upto <= left || pending == SMALL_PIXELS)) { /* the column's run ends */
                small_run(&l, l.patch_steps, column[0], pending, column_output, row_step);
                pending = 0;
            }
            if (upto <= left) {
                small_border_row(&l, &r, x0, 0, out->w, row_output);
                continue;
            }
            if (by_column) { /* the window's rows lie inside the image */
                column_output = pending ? column_output : row_output;
                for (int32_t k = 0; k < SMALL_ROWS; ++k) {
                    const uint32_t v = ((uint32_t)tc_load_s8x4(r.top + below[k]) << (8 * outside)) | lone_fill;
                    memcpy(column[pending] + 4 * k, &v, sizeof v);
                }
                ++pending;
            } else if (left) {
                small_border_row(&l, &r, x0, 0, left, row_output);
            }
            small_run(&l, l.image_steps, r.top + (x0 + left * stride) * in->c, upto - left,
                      row_output + left * channels, channels);
            if (upto < out->w) {
                small_border_row(&l, &r, x0, upto, out->w, row_output);
            }
        }
        if (pending) {
            small_run(&l, l.patch_steps, column[0], pending, column_output, row_step);
        }
    }
}
#endif
