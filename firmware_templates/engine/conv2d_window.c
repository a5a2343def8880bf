/* CONV_2D on cores with the DSP extension for windows of 1 to 3 input channels (a first layer on an image): each
 * output pixel's whole window (filter rows x taps x channels, the weights' OHWI order, packed and padded to whole
 * words) is expanded to int16 lanes with the input offset, two pixels interleaved, straight from the image where it
 * can (a 3x3 window over 3 channels, rows of whole words), else through a copy; a row's pairs of windows inside the
 * image in one run (3x3 windows over 3 channels into [-128, 127] three pixels a pass: conv2d_window_rgb.c). The
 * doubled weights of a chunk of channels are expanded once to int16 lanes on the stack, zero past each channel's
 * bytes, and streamed with the channels' biases and requantisations, so the SMLAD loop has no scalar tail and the
 * padding bytes, whatever they hold, add nothing. Taps outside the image hold the input zero point (0 after the
 * offset), as in the reference, which skips them. Filters of at most 3 rows of at most 3 bytes (a 1-channel 3x3) take
 * window_small instead (conv2d_window_small.c). */
#include "conv2d_window_shared.h"

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

/* The 3x3 windows over 3 channels of a pair of pixels inside the image (rows of 9 bytes from p0 and from p1,
 * `row_step` bytes apart) as their 7 packed words' lanes, read straight from the image, a group of both pixels'
 * 4 lane words stored by one STM: a word across two rows joins a load from each (BFI), the last word's 4th byte
 * meets a zero weight. In asm for the STMs, whose registers must ascend. */
static inline __attribute__((always_inline)) void rgb3x3_pair_lanes(const int8_t *p0, const int8_t *p1,
                                                                    int32_t row_step, int32_t offset2, int32_t *lanes)
{
    const int8_t *a1 = p0 + row_step, *a2 = a1 + row_step, *b1 = p1 + row_step, *b2 = b1 + row_step;
    register int32_t e0 __asm("r4"), o0 __asm("r5"), e1 __asm("r6"), o1 __asm("r7");
    int32_t t;
#define RGB_GROUP /* e0, e1: the two pixels' word */                                                           \
    "sxtab16 %[o0], %[offset2], %[e0], ror #8\n\t"                                                            \
    "sxtab16 %[e0], %[offset2], %[e0]\n\t"                                                                    \
    "sxtab16 %[o1], %[offset2], %[e1], ror #8\n\t"                                                            \
    "sxtab16 %[e1], %[offset2], %[e1]\n\t"                                                                    \
    "stmia %[lanes]!, {%[e0], %[o0], %[e1], %[o1]}\n\t"
    __asm volatile("ldr %[e0], [%[a0]]\n\t"
                   "ldr %[e1], [%[b0]]\n\t" RGB_GROUP
                   "ldr %[e0], [%[a0], #4]\n\t"
                   "ldr %[e1], [%[b0], #4]\n\t" RGB_GROUP
                   "ldr %[e0], [%[a1], #-1]\n\t"
                   "ldrb %[t], [%[a0], #8]\n\t"
                   "bfi %[e0], %[t], #0, #8\n\t"
                   "ldr %[e1], [%[b1], #-1]\n\t"
                   "ldrb %[t], [%[b0], #8]\n\t"
                   "bfi %[e1], %[t], #0, #8\n\t" RGB_GROUP
                   "ldr %[e0], [%[a1], #3]\n\t"
                   "ldr %[e1], [%[b1], #3]\n\t" RGB_GROUP
                   "ldr %[e0], [%[a2], #-2]\n\t"
                   "ldrh %[t], [%[a1], #7]\n\t"
                   "bfi %[e0], %[t], #0, #16\n\t"
                   "ldr %[e1], [%[b2], #-2]\n\t"
                   "ldrh %[t], [%[b1], #7]\n\t"
                   "bfi %[e1], %[t], #0, #16\n\t" RGB_GROUP
                   "ldr %[e0], [%[a2], #2]\n\t"
                   "ldr %[e1], [%[b2], #2]\n\t" RGB_GROUP
                   "ldr %[e0], [%[a2], #6]\n\t"
                   "ldr %[e1], [%[b2], #6]\n\t" RGB_GROUP
                   : [lanes] "+r"(lanes), [e0] "=&r"(e0), [o0] "=&r"(o0), [e1] "=&r"(e1), [o1] "=&r"(o1), [t] "=&r"(t)
                   : [a0] "r"(p0), [a1] "r"(a1), [a2] "r"(a2), [b0] "r"(p1), [b1] "r"(b1), [b2] "r"(b2),
                     [offset2] "r"(offset2)
                   : "memory");
#undef RGB_GROUP
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

/* The window at x0 of row r across the image's border (an image at least a word wide, no dilation across)
 * into patch, rows `row_bytes` apart: each row's words composed by border_word (the input zero point's bytes,
 * zp4, outside the image), a border_word a column of words, the last column first: a row's last word spills
 * into the next row's first, written after it (the last row's into the patch's spare word). */
static inline __attribute__((always_inline)) void border_patch(const window_row *r, int32_t x0, const tc_dims *in,
                                                               const tc_dims *wd, const tc_window *win,
                                                               int32_t row_bytes, uint32_t zp4, int8_t *patch)
{
    const int32_t width = in->w * in->c;
    for (int32_t k = (row_bytes - 1) >> 2; k >= 0; --k) {
        const border_word b = border_word_of(x0 * in->c + 4 * k, width, zp4);
        for (int32_t fy = 0; fy < wd->h; ++fy) {
            const int32_t y = r->y0 + fy * win->dilation_h;
            const uint32_t v = y >= 0 && y < in->h && b.keep ? border_word_read(r->image + y * width, b) : zp4;
            memcpy(patch + fy * row_bytes + 4 * k, &v, sizeof v);
        }
    }
}

/* The window inside the image from `from` expanded into its lanes, a group every 4 words (lanes + 2 for the
 * second pixel of a pair): rows of whole words straight from the image, other windows copied into the job's
 * patch first. */
static inline __attribute__((always_inline)) void inside_lanes(const window_job *j, const int8_t *from, int32_t *lanes)
{
    if ((j->row_bytes & 3) == 0) {
        word_rows_lanes(from, j->rows, j->row_words, j->row_step, j->offset2, lanes);
    } else {
        copy_window(from, j->rows, j->row_bytes, j->row_words, j->row_step, j->patch);
        tc_expand_s8(j->patch, j->groups, 0, j->offset2, lanes, 4, 0);
    }
}

/* The window at x0 of row r expanded into its lanes (inside_lanes), those across the image's border gathered
 * a word a row (rows of 4 bytes: word_border_lanes) or a word at a time into the job's patch (border_patch);
 * over an image narrower than a word or with dilation across, by tc_window_border. */
static __attribute__((noinline)) void window_lanes(const window_job *j, const window_row *r, int32_t x0,
                                                   const tc_dims *in, const tc_dims *wd, const tc_window *win,
                                                   int8_t zero_point, int32_t *lanes)
{
    if (x0 >= 0 && x0 <= r->x_limit) {
        inside_lanes(j, r->top + x0 * in->c, lanes);
    } else if (in->w * in->c < 4 || win->dilation_w != 1) {
        tc_window_border(r->image, in, wd, win, r->y0, x0, zero_point, j->row_bytes, j->patch);
        tc_expand_s8(j->patch, j->groups, 0, j->offset2, lanes, 4, 0);
    } else if (j->row_bytes == 4) {
        word_border_lanes(r, x0, in, wd, win, (uint8_t)zero_point * 0x01010101u, j->offset2, lanes);
    } else {
        border_patch(r, x0, in, wd, win, j->row_bytes, (uint8_t)zero_point * 0x01010101u, j->patch);
        tc_expand_s8(j->patch, j->groups, 0, j->offset2, lanes, 4, 0);
    }
}

/* The words of a pair of channels in the stream window_pair_loop reads: 4 biases, 4 weight words a group of
 * window bytes, 5 of requantisation. */
static int32_t pair_words(int32_t groups)
{
    return 9 + 4 * groups;
}

/* The stream window_pair_loop reads for channels first .. first + n - 1, pair_words a pair of channels (a lone
 * last channel twice): twice the first's and the second's bias, twice over (the four sums' starts); per group of
 * 4 window bytes the first's even and odd int16 lanes then the second's, doubled, zero past each channel's bytes;
 * then the first's multiplier and rounding term, both right shifts in one word (the first's in bits 0-7, which
 * ASR reads, the second's from bit 9, and bit 8 set when another whole pair follows), the second's multiplier
 * and rounding term. */
static void pair_stream(const int8_t *weights, int32_t depth, int32_t groups, const tc_output_params *p,
                        int32_t first, int32_t n, int32_t *stream)
{
    for (int32_t k = 0; k < n; k += 2, stream += pair_words(groups)) {
        const int32_t channel[2] = {first + k, first + (k + 1 < n ? k + 1 : k)};
        tc_channel_scale s[2];
        int32_t *lanes = stream + 4;
        tc_channel_scales(p, channel[0], 1, &s[0]);
        tc_channel_scales(p, channel[1], 1, &s[1]);
        stream[0] = stream[2] = s[0].bias2, stream[1] = stream[3] = s[1].bias2;
        for (int32_t g = 0; g < groups; ++g) {
            for (int32_t c = 0; c < 2; ++c, lanes += 2) {
                int32_t t[4];
                for (int32_t i = 0; i < 4; ++i) {
                    t[i] = 4 * g + i < depth ? weights[channel[c] * depth + 4 * g + i] : 0;
                }
                lanes[0] = tc_doubled_lanes(t[0], t[2]), lanes[1] = tc_doubled_lanes(t[1], t[3]);
            }
        }
        lanes[0] = s[0].multiplier, lanes[1] = s[0].round;
        lanes[2] = s[0].right | (k + 3 < n ? 0x100 : 0) | s[1].right << 9;
        lanes[3] = s[1].multiplier, lanes[4] = s[1].round;
    }
}

#define WINDOW_GROUPS (WINDOW_MAX_DEPTH / 4) /* window_pair_loop's groups of code, */
#define WINDOW_GROUP_BYTES 40                /* each two LDM.W and eight SMLADs */

/* Two pixels' outputs for pairs of channels from the stream w (pair_stream) on, until a pair's bit 8 of its
 * shifts is clear: the four sums started at the biases by one LDM, then a group of 4 window bytes a step (one LDM
 * for the pixels' four lane words, one for the channels' four, eight SMLADs), the code unrolled for WINDOW_GROUPS
 * groups and entered by a jump past the ones the window lacks; the sums requantised in registers as
 * window_small's (SMMLAR adds the rounding term, the sum's sign standing for the product's; the third LDM loads
 * both channels' terms, both right shifts in one word whose LSRS to the second's leaves in the carry whether
 * another pair follows), packed {pixel 0: k, k + 1; pixel 1: k, k + 1}, clamped byte-wise (SSUB8 and SEL, unless
 * `full`) and stored as two halfwords. In asm for the LDMs, whose registers must ascend, the computed jump, and
 * because it needs all 14 allocatable registers (the cursor's fields read from the stack). */
static inline __attribute__((always_inline)) void window_pair_loop(window_cursor *at, const int32_t *stream,
                                                                   const int full)
{
    register const int32_t *lanes __asm("r0");
    register const int32_t *w __asm("r1") = stream;
    register int32_t a00 __asm("r2"), a01 __asm("r3"), a10 __asm("r4"), a11 __asm("r5");
    register int32_t x0e __asm("r6"), x0o __asm("r7"), x1e __asm("r8"), x1o __asm("r9");
    register int32_t ke0 __asm("r10"), ko0 __asm("r11"), ke1 __asm("r12"), ko1 __asm("lr");
#define WINDOW_GROUP                                                                                           \
    "ldmia.w %[lanes]!, {%[x0e], %[x0o], %[x1e], %[x1o]}\n\t"                                                 \
    "ldmia.w %[w]!, {%[ke0], %[ko0], %[ke1], %[ko1]}\n\t"                                                     \
    "smlad %[a00], %[ke0], %[x0e], %[a00]\n\t"                                                                \
    "smlad %[a00], %[ko0], %[x0o], %[a00]\n\t"                                                                \
    "smlad %[a10], %[ke0], %[x1e], %[a10]\n\t"                                                                \
    "smlad %[a10], %[ko0], %[x1o], %[a10]\n\t"                                                                \
    "smlad %[a01], %[ke1], %[x0e], %[a01]\n\t"                                                                \
    "smlad %[a01], %[ko1], %[x0o], %[a01]\n\t"                                                                \
    "smlad %[a11], %[ke1], %[x1e], %[a11]\n\t"                                                                \
    "smlad %[a11], %[ko1], %[x1o], %[a11]\n\t"
#define WINDOW_SCALE(acc, m, r, t) /* acc = ssat8((acc * m rounded high + r, - 1 if acc < 0) >> x1e's byte) */ \
    TC_SCALE_DOUBLED_ASM("%[" acc "]", "%[" m "]", "%[" r "]", "%[x1e]", "%[" t "]")
#define WINDOW_SUMS_AND_SCALE                                                                                  \
    "1:\n\t"                                                                                                  \
    "ldrd %[lanes], %[x0e], %[lanes_at]\n\t"                                                                 \
    "ldmia.w %[w]!, {%[a00], %[a01], %[a10], %[a11]}\n\t"                                                    \
    "add pc, %[x0e]\n\t" /* reads as the address of the first group */                                        \
    "nop\n\t"                                                                                                 \
    "3:\n\t"                                                                                                  \
    ".rept %c[groups]\n\t" WINDOW_GROUP ".endr\n\t"                                                           \
    "4:\n\t"                                                                                                  \
    ".if 4b - 3b - %c[groups] * %c[group_bytes]\n\t"                                                         \
    ".error \"window_pair_loop: a group's code is not WINDOW_GROUP_BYTES\"\n\t"                              \
    ".endif\n\t"                                                                                              \
    "ldmia.w %[w]!, {%[x0e], %[x0o], %[x1e], %[x1o], %[ke0]}\n\t"                                             \
    WINDOW_SCALE("a00", "x0e", "x0o", "ko0") WINDOW_SCALE("a10", "x0e", "x0o", "ke1")                          \
    "lsrs %[x1e], %[x1e], #9\n\t" /* C: another pair follows; x1e: the second's right shift */                \
    WINDOW_SCALE("a01", "x1o", "ke0", "ko0") WINDOW_SCALE("a11", "x1o", "ke0", "ke1")                          \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                          \
    "bfi %[a00], %[a10], #16, #8\n\t"                                                                         \
    "bfi %[a00], %[a11], #24, #8\n\t"
#define WINDOW_STORE_AND_LOOP                                                                                  \
    "ldrd %[ke0], %[ko0], %[out_at]\n\t"                                                                     \
    "strh %[a00], [%[ke0]], #2\n\t"                                                                           \
    "lsr %[a00], %[a00], #16\n\t"                                                                             \
    "strh %[a00], [%[ke0], %[ko0]]\n\t"                                                                       \
    "str %[ke0], %[out_at]\n\t"                                                                               \
    "bcs 1b"
#define WINDOW_OPERANDS                                                                                        \
    : [lanes] "=&r"(lanes), [w] "+r"(w), [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10),                \
      [a11] "=&r"(a11), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o),                \
      [ke0] "=&r"(ke0), [ko0] "=&r"(ko0), [ke1] "=&r"(ke1), [ko1] "=&r"(ko1), [out_at] "+m"(at->out)          \
    : [lanes_at] "m"(at->lanes), [lo4] "m"(at->lo4), [groups] "i"(WINDOW_GROUPS),                              \
      [group_bytes] "i"(WINDOW_GROUP_BYTES)                                                                    \
    : "cc", "memory"
    if (full) {
        __asm volatile(WINDOW_SUMS_AND_SCALE WINDOW_STORE_AND_LOOP WINDOW_OPERANDS);
    } else {
        __asm volatile(WINDOW_SUMS_AND_SCALE
                       "ldrd %[ke0], %[ko0], %[lo4]\n\t"
                       "ssub8 %[ke1], %[a00], %[ke0]\n\t"
                       "sel %[a00], %[a00], %[ke0]\n\t"
                       "ssub8 %[ke1], %[ko0], %[a00]\n\t"
                       "sel %[a00], %[a00], %[ko0]\n\t"
                       WINDOW_STORE_AND_LOOP WINDOW_OPERANDS);
    }
#undef WINDOW_GROUP
#undef WINDOW_SCALE
#undef WINDOW_SUMS_AND_SCALE
#undef WINDOW_STORE_AND_LOOP
#undef WINDOW_OPERANDS
}

/* An odd chunk's lone last channel for a pair of pixels, in C (first layers have even channel counts): its
 * pair's words in the stream (pair_stream, the channel twice) against the pixels' lanes, requantised as
 * tc_output_scaled (its sums start at twice the bias and add doubled weights). */
static __attribute__((noinline)) void lone_channel(const window_job *j, int8_t *out0, int8_t *out1)
{
    const int32_t *w = j->stream + (j->chunk >> 1) * pair_words(j->groups), *lanes = j->lanes;
    const int32_t *scale = w + 4 + 4 * j->groups; /* multiplier, rounding term, right shift in bits 0-7 */
    int32_t sum0 = w[0], sum1 = w[2];
    for (int32_t g = 0; g < j->groups; ++g, lanes += 4) {
        sum0 = __smlad(w[4 + 4 * g], lanes[0], __smlad(w[5 + 4 * g], lanes[1], sum0));
        sum1 = __smlad(w[4 + 4 * g], lanes[2], __smlad(w[5 + 4 * g], lanes[3], sum1));
    }
    out0[j->chunk - 1] = tc_shift_clamp(tc_smmulr(sum0, scale[0]), scale[1], scale[2] & 0xff, j->lo, j->hi, 0);
    out1[j->chunk - 1] = tc_shift_clamp(tc_smmulr(sum1, scale[0]), scale[1], scale[2] & 0xff, j->lo, j->hi, 0);
}

/* The int8 outputs of `pairs` pairs of pixels, two pixels `pixel_step` bytes of output apart a pair, a pair
 * 2 * job channels after the last, for the chunk's channels (window_pair_loop, in a copy for the whole int8
 * range and one clamped to the job's; a lone last channel by lone_channel): each pair's windows from `from`
 * and job window_step bytes after it, inside the image (rgb3x3_pair_lanes, inside_lanes), the pairs 2
 * window_steps apart; or, without `from`, one pair whose lanes are in the job's lanes already. A function of its
 * own, so that the asm loop has the registers to itself. */
static __attribute__((noinline)) void window_run(const window_job *j, const int8_t *from, int32_t pairs,
                                                 int8_t *out, int32_t pixel_step)
{
    const int32_t n = j->chunk, full = j->lo == INT8_MIN && j->hi == INT8_MAX;
    window_cursor at = {j->lanes, (WINDOW_GROUPS - j->groups) * WINDOW_GROUP_BYTES, out, 0,
                        (int32_t)((uint8_t)j->lo * 0x01010101u), (int32_t)((uint8_t)j->hi * 0x01010101u)};
    for (int32_t i = 0; i < pairs; ++i, out += 2 * j->channels) {
        if (from) {
            if (j->row_bytes == 9 && j->rows == 3) {
                rgb3x3_pair_lanes(from, from + j->window_step, j->row_step, j->offset2, j->lanes);
            } else {
                inside_lanes(j, from, j->lanes);
                inside_lanes(j, from + j->window_step, j->lanes + 2);
            }
            from += 2 * j->window_step;
        }
        at.out = out, at.step = pixel_step - 2;
        if (n > 1 && full) {
            window_pair_loop(&at, j->stream, 1);
        } else if (n > 1) {
            window_pair_loop(&at, j->stream, 0);
        }
        if (n & 1) {
            lone_channel(j, out, out + pixel_step);
        }
    }
}

/* The bytes of window_pairs' row of the input zero point (rgb_rows_of): an image up to 128 pixels wide and a word
 * either side for the lanes' reads around a window's rows. */
#define RGB_ZEROS (128 * 3 + 8)

/* Row r's 3x3 windows over 3 channels for tc_window_run3: inside the image, or, where their third row alone lies
 * below it (SAME padding at the bottom: MobileNet's 96x96 RGB at stride 2), that row read from `zeros` (the input
 * zero point, a word into it), whose lanes come to 0 as the padding's do (the windows' other rows in the image):
 * MobileNet's last output row about 35 estimated cycles an output on the triples, against about 100 gathered at the
 * border (its first layer 899.2 k -> 874.8 k). */
static rgb_rows rgb_rows_of(const window_row *r, const tc_dims *in, const tc_window *win, int32_t row_step,
                            const int8_t *zeros)
{
    rgb_rows rows = {r->top, row_step, row_step, r->x_limit, r->y0 + 2 * win->dilation_h + 1 < in->h};
    if (r->x_limit < 0 && r->y0 >= 0 && r->y0 + 2 == in->h && win->dilation_h == 1 && win->dilation_w == 1
        && 3 * in->w + 8 <= RGB_ZEROS) {
        rows.top = r->image + r->y0 * row_step;
        rows.step2 = (int32_t)(zeros + 4 - (rows.top + row_step));
        rows.x_limit = in->w - 3;
        rows.border = 0; /* the right-border triple's reads past its second row would leave the image */
    }
    return rows;
}

/* Whether a row's last three pixels, windows from x0 a stride apart, are a right-border triple for tc_window_run3:
 * the first two windows inside the image's width, the third reaching exactly one column past its right edge (SAME at
 * stride 2 on an even width), and rows below the windows' rows, which the lanes' reads past the edge land in. */
static int right_border_triple(const rgb_rows *rows, const tc_dims *in, const tc_window *win, int32_t x0)
{
    const int32_t third = x0 + 2 * win->stride_w;
    return rows->border && rows->x_limit >= 0 && x0 >= 0 && x0 + win->stride_w <= rows->x_limit
           && third + 3 == in->w + 1;
}

/* Windows that are not tc_window_small_fits: two pixels a pass against each pair of channels' doubled int16
 * weights, streamed with their biases and requantisations from the stack once per chunk of channels
 * (window_pair_loop); a row's pairs of windows inside the image in one run (window_run), the others a pair at a
 * time; 3x3 windows over 3 channels into [-128, 127] over an even chunk three pixels a pass where they lie
 * inside the image (tc_window_run3, conv2d_window_rgb.c). */
static void window_pairs(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p)
{
    const int32_t depth = wd->h * wd->w * wd->c, channels = out->c, stride = win->stride_w;
    const int8_t zero_point = (int8_t)io->input_zero_point;
    int32_t lanes[3 * WINDOW_MAX_DEPTH / 2], stream[WINDOW_CHUNK / 2 * (9 + WINDOW_MAX_DEPTH)]; /* lanes: a triple's */
    int8_t patch[WINDOW_MAX_DEPTH + 4] = {0}, zeros[RGB_ZEROS]; /* patch: + a row's spill */
    window_job j = {stream, padded_depth(wd) >> 2, 0, channels, wd->h, wd->w * in->c, (wd->w * in->c + 3) >> 2,
                    win->dilation_h * in->w * in->c, stride * in->c, tc_dup16(-io->input_zero_point), lanes, patch,
                    p->min, p->max};
    const int rgb_full = j.rows == 3 && j.row_bytes == 9 && p->min == -128 && p->max == 127;
    if (rgb_full) {
        memset(zeros, zero_point, sizeof zeros);
    }
    for (int32_t first = 0; first < channels; first += WINDOW_CHUNK) {
        j.chunk = channels - first < WINDOW_CHUNK ? channels - first : WINDOW_CHUNK;
        pair_stream(weights, depth, j.groups, p, first, j.chunk, stream);
        const int triples_fit = rgb_full && (j.chunk & 1) == 0;
        int8_t *row_output = output + first;
        for (int32_t row = 0; row < out->n * out->h; ++row, row_output += out->w * channels) {
            const window_row r = window_row_of(input, in, wd, win, row / out->h, row % out->h, j.row_words);
            const rgb_rows rows = rgb_rows_of(&r, in, win, j.row_step, zeros);
            for (int32_t ox = 0; ox < out->w;) {
                const int32_t x0 = ox * stride - win->pad_left;
                const int32_t last3 = rows.x_limit - 2 * stride, whole3 = (out->w - ox) / 3; /* a triple's x0 */
                const int32_t inside3 = !triples_fit || x0 < 0 || x0 > last3 ? 0 : (last3 - x0) / (3 * stride) + 1;
                if (inside3 && whole3) {
                    const int32_t triples = inside3 < whole3 ? inside3 : whole3;
                    tc_window_run3(&j, &rows, rows.top + x0 * in->c, triples, row_output + ox * channels, channels, 0);
                    ox += 3 * triples;
                    continue;
                }
                if (triples_fit && out->w - ox == 3 && right_border_triple(&rows, in, win, x0)) {
                    tc_window_run3(&j, &rows, rows.top + x0 * in->c, 1, row_output + ox * channels, channels, 1);
                    break;
                }
                const int32_t whole = (out->w - ox) >> 1, last = r.x_limit - stride; /* last: a pair's first x0 */
                const int32_t inside = x0 < 0 || x0 > last ? 0 : (last - x0) / (2 * stride) + 1;
                const int32_t pairs = inside < whole ? inside : whole;
                if (pairs) {
                    window_run(&j, r.top + x0 * in->c, pairs, row_output + ox * channels, channels);
                    ox += 2 * pairs;
                    continue;
                }
                const int32_t second = ox + 1 < out->w ? 1 : 0; /* an odd last pixel twice */
                window_lanes(&j, &r, x0, in, wd, win, zero_point, lanes);
                window_lanes(&j, &r, x0 + second * stride, in, wd, win, zero_point, lanes + 2);
                window_run(&j, NULL, 1, row_output + ox * channels, second * channels);
                ox += 2;
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
