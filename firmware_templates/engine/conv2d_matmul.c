/* CONV_2D on cores with the DSP extension as a matrix product: each output pixel's window of
 * input (its patch: filter rows x taps x channels, the weights' OHWI order) against each output
 * channel's weights, two pixels by two channels per step. The patches are expanded once to int16
 * pairs with the input offset for a chunk of output channels, whose outputs are then requantised
 * in one pass per pixel. A 1x1 filter without padding reads its patch in place; any other is
 * gathered first, with the input zero point (0 after the offset) where the window leaves the image.
 * A window deeper than MATMUL_MAX_DEPTH (3x3x64) runs in bands of whole filter rows, each gathered
 * and expanded in turn, its sums added to the previous bands' before the requantisation.
 * The weights are int8 OHWI (tc_conv2d_s8) or pre-widened to int16 (tc_conv2d_wide_s8), whose inner
 * loop is loads and SMLADs only; the latter also has its portable C here, for other cores and shapes.
 * On int16 weights a window of one band in whole words runs all of a chunk's blocks in one asm loop that
 * requantises each block's sums there too: short windows (1x1 over 8-32 channels) are mostly per-block and
 * per-output costs. A 1x1 layer without padding has a loop of its own (pointwise_wide), with the pixels
 * expanded straight from the input and, over 8 and 16 channels, the blocks written out; at stride 1 over 8 or 16
 * channels into [-128, 127] one pixel at a time instead, its lanes in registers (pointwise_pixels). */
#include "tinyctl_dsp.h"

#if TC_DSP
#define MATMUL_MAX_DEPTH 288  /* band bytes (3x3x32): two pixels' int16 copy is on the stack */
#define MATMUL_CHUNK 32       /* output channels whose tc_channel_scale sits on the stack at once */

int tc_conv2d_matmul_fits(const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_output_params *p)
{
    return wd->w * in->c <= MATMUL_MAX_DEPTH && p->fast_scale && out->n * out->h * out->w > 1 && out->c >= 4;
}

/* n bytes from src to dst, a word at a time while it can, and n bytes of `value` at dst. The empty asm
 * statements keep gcc from turning the loops into calls of the C library's byte-at-a-time memcpy and
 * memset, which cost several times more on these short runs. */
static inline void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4) {
        const int32_t v = tc_load_s8x4(src);
        memcpy(dst, &v, sizeof v);
        __asm volatile("");
    }
    for (int32_t i = 0; i < n; ++i) {
        dst[i] = src[i];
        __asm volatile("");
    }
}

static inline void fill_bytes(int8_t *dst, int8_t value, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        dst[i] = value;
        __asm volatile("");
    }
}

/* Whether a dense window at (y0, x0) lies wholly inside the image: then its rows are plain copies,
 * without the border arithmetic and zero-length fills that cost more than the copies themselves in
 * narrow windows (a 3x3 window over 1 or 3 channels). */
static inline int window_inside(const tc_dims *in, const tc_dims *wd, const tc_window *win, int32_t y0, int32_t x0)
{
    return win->dilation_h == 1 && win->dilation_w == 1 && y0 >= 0 && x0 >= 0 && y0 + wd->h <= in->h
           && x0 + wd->w <= in->w;
}

/* Filter rows fy0 .. fy1 - 1 of output pixel p's patch (p in 0 .. n * h * w - 1): in place for a 1x1
 * filter without padding (`direct`, a constant in each copy the compiler makes), at p's own pixel when it
 * has stride 1 too (`contiguous`: no divisions for the coordinates), else gathered into `patch`. */
static inline __attribute__((always_inline)) const int8_t *
matmul_patch(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_window *win,
             int32_t p, int32_t fy0, int32_t fy1, int8_t zero_point, int8_t *patch, const int direct, int contiguous)
{
    if (direct && contiguous) {
        return input + p * in->c;
    }
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h, c = in->c;
    const int32_t y0 = oy * win->stride_h - win->pad_top, x0 = ox * win->stride_w - win->pad_left;
    const int8_t *image = input + b * in->h * in->w * c;
    if (direct) {
        return image + (y0 * in->w + x0) * c;
    }
    const int32_t row_bytes = wd->w * c;
    if (window_inside(in, wd, win, y0, x0)) {
        for (int32_t fy = fy0; fy < fy1; ++fy) {
            copy_bytes(patch + (fy - fy0) * row_bytes, image + ((y0 + fy) * in->w + x0) * c, row_bytes);
        }
        return patch;
    }
    const tc_tap_span cols = tc_taps_inside(x0, win->dilation_w, wd->w, in->w);
    const int32_t inside = cols.hi - cols.lo, dense = win->dilation_w == 1;
    const int32_t runs = dense ? 1 : inside, run = dense ? inside * c : c;
    int8_t *to = patch;
    for (int32_t fy = fy0; fy < fy1; ++fy, to += row_bytes) {
        const int32_t y = y0 + fy * win->dilation_h;
        if (y < 0 || y >= in->h || inside == 0) {
            fill_bytes(to, zero_point, row_bytes);
            continue;
        }
        const int8_t *from = image + (y * in->w + x0 + cols.lo * win->dilation_w) * c;
        fill_bytes(to, zero_point, cols.lo * c);
        for (int32_t r = 0; r < runs; ++r) {
            copy_bytes(to + cols.lo * c + r * run, from + r * win->dilation_w * c, run);
        }
        fill_bytes(to + cols.hi * c, zero_point, (wd->w - cols.hi) * c);
    }
    return patch;
}

/* The int8 outputs of two pixels, output0[k] from sums[k][0] and output1[k] from sums[k][1], for n
 * channels with scales[k], clamped to the activation range (`full`: it is [-128, 127], one SSAT). */
static inline __attribute__((always_inline)) void
matmul_outputs_dsp(const int32_t (*sums)[2], const tc_channel_scale *scales, int32_t n, int8_t *output0,
                   int8_t *output1, int32_t lo, int32_t hi, const int full)
{
    for (int32_t k = 0; k < n; ++k) {
        const tc_channel_scale s = scales[k];
        output0[k] = tc_output_scaled(sums[k][0], &s, lo, hi, full);
        output1[k] = tc_output_scaled(sums[k][1], &s, lo, hi, full);
    }
}

/* matmul_outputs_dsp in a function of its own (tinyctl_dsp.h), so that its loop has the registers to
 * itself, with a copy for each clamp. */
__attribute__((noinline)) void tc_outputs2_dsp(const int32_t (*sums)[2], const tc_channel_scale *scales, int32_t n,
                                               int8_t *output0, int8_t *output1, int32_t lo, int32_t hi)
{
    if (lo == -128 && hi == 127) {
        matmul_outputs_dsp(sums, scales, n, output0, output1, lo, hi, 1);
    } else {
        matmul_outputs_dsp(sums, scales, n, output0, output1, lo, hi, 0);
    }
}

/* tc_block2x2 on pre-widened weights: `rows` 2, a block of two channels (per group the even and odd
 * words of channel 0 then of channel 1, then their tails: one LDRD per channel and group), or 1, the
 * last channel alone (both acc pairs then hold it). */
static inline __attribute__((always_inline)) void
block2x2_wide(const int32_t *lanes, const int32_t tails[2][4], const int16_t *w, int32_t rows, int32_t groups,
              int32_t rest, int32_t acc[4])
{
    int32_t a00 = 0, a10 = 0, a01 = 0, a11 = 0;
    if (rows == 2 && groups > 0) {
        int32_t x0e, x0o, x1e, x1o, ke, ko;
        __asm volatile(
            "1:\n\t"
            "ldrd %[x1e], %[x1o], [%[lanes], #8]\n\t"
            "ldrd %[x0e], %[x0o], [%[lanes]], #16\n\t"
            "ldrd %[ke], %[ko], [%[w]], #8\n\t"
            "smlad %[a00], %[ke], %[x0e], %[a00]\n\t"
            "smlad %[a00], %[ko], %[x0o], %[a00]\n\t"
            "smlad %[a10], %[ke], %[x1e], %[a10]\n\t"
            "smlad %[a10], %[ko], %[x1o], %[a10]\n\t"
            "ldrd %[ke], %[ko], [%[w]], #8\n\t"
            "smlad %[a01], %[ke], %[x0e], %[a01]\n\t"
            "smlad %[a01], %[ko], %[x0o], %[a01]\n\t"
            "smlad %[a11], %[ke], %[x1e], %[a11]\n\t"
            "smlad %[a11], %[ko], %[x1o], %[a11]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11), [lanes] "+r"(lanes), [w] "+r"(w),
              [n] "+r"(groups), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o),
              [ke] "=&r"(ke), [ko] "=&r"(ko)
            :
            : "cc", "memory");
    }
    for (int32_t g = rows == 1 ? groups : 0; g > 0; --g, lanes += 4, w += 4) {
        int32_t ke, ko;
        memcpy(&ke, w, sizeof ke);
        memcpy(&ko, w + 2, sizeof ko);
        a00 = __smlad(ke, lanes[0], __smlad(ko, lanes[1], a00));
        a10 = __smlad(ke, lanes[2], __smlad(ko, lanes[3], a10));
    }
    const int16_t *w1 = rows == 2 ? w + rest : w;
    for (int32_t i = 0; i < rest; ++i) {
        a00 += w[i] * tails[0][i], a10 += w[i] * tails[1][i];
        a01 += w1[i] * tails[0][i], a11 += w1[i] * tails[1][i];
    }
    if (rows == 1) {
        a01 = a00, a11 = a10;
    }
    acc[0] = a00, acc[1] = a10, acc[2] = a01, acc[3] = a11;
}

/* One group of a block of two channels at the two pixels: the pixels' lanes (`lanes`: BLOCK2X2_LANES_STEP or
 * BLOCK2X2_LANES_AT), then each channel's two weight words against them; `op` smuad for a first group, which
 * needs no zeroed sums, else smlad with the sums s00 .. s11. */
#define BLOCK2X2_WIDE_GROUP(lanes, op, s00, s10, s01, s11)                                                             \
    lanes "ldrd %[ke], %[ko], [%[w]], #8\n\t"                                                                          \
    op "%[a00], %[ke], %[x0e]" s00 "\n\t"                                                                              \
    "smlad %[a00], %[ko], %[x0o], %[a00]\n\t"                                                                          \
    op "%[a10], %[ke], %[x1e]" s10 "\n\t"                                                                              \
    "smlad %[a10], %[ko], %[x1o], %[a10]\n\t"                                                                          \
    "ldrd %[ke], %[ko], [%[w]], #8\n\t"                                                                                \
    op "%[a01], %[ke], %[x0e]" s01 "\n\t"                                                                              \
    "smlad %[a01], %[ko], %[x0o], %[a01]\n\t"                                                                          \
    op "%[a11], %[ke], %[x1e]" s11 "\n\t"                                                                              \
    "smlad %[a11], %[ko], %[x1o], %[a11]\n\t"
#define BLOCK2X2_FIRST(lanes) BLOCK2X2_WIDE_GROUP(lanes, "smuad ", "", "", "", "")
#define BLOCK2X2_MORE(lanes) BLOCK2X2_WIDE_GROUP(lanes, "smlad ", ", %[a00]", ", %[a10]", ", %[a01]", ", %[a11]")
/* A group's lanes stepped through (then rewound for the next block), or at .Lgroup from the window's start. */
#define BLOCK2X2_LANES_STEP                                                                                            \
    "ldrd %[x1e], %[x1o], [%[lanes], #8]\n\t"                                                                          \
    "ldrd %[x0e], %[x0o], [%[lanes]], #16\n\t"
#define BLOCK2X2_LANES_AT                                                                                              \
    "ldrd %[x1e], %[x1o], [%[lanes], #.Lgroup * 16 + 8]\n\t"                                                           \
    "ldrd %[x0e], %[x0o], [%[lanes], #.Lgroup * 16]\n\t"
/* One block over `groups` (in n, >= 1) whole words of pre-widened weights: the first group, then the rest in a
 * loop of two groups a turn (the counter's cost halved: 5% of a 3x3x16 window), n its turns, entered at its
 * second group when an odd number remains. */
#define BLOCK2X2_WIDE                                                                                                  \
    "ldr %[n], %[groups]\n\t" BLOCK2X2_FIRST(BLOCK2X2_LANES_STEP) "subs %[n], %[n], #1\n\t"                          \
    "beq 3f\n\t"                                                                                                      \
    "adds %[n], %[n], #1\n\t"                                                                                         \
    "lsrs %[n], %[n], #1\n\t"                                                                                         \
    "bcc 4f\n"                                                                                                         \
    "1:\n\t" BLOCK2X2_MORE(BLOCK2X2_LANES_STEP) "4:\n\t" BLOCK2X2_MORE(BLOCK2X2_LANES_STEP) "subs %[n], %[n], #1\n\t"  \
    "bne 1b\n"                                                                                                         \
    "3:\n\t"
/* The same over 1 + `more` groups written out: no counter, and the lanes need no rewinding. */
#define BLOCK2X2_WIDE_UNROLLED                                                                                         \
    ".set .Lgroup, 0\n\t" BLOCK2X2_FIRST(BLOCK2X2_LANES_AT) ".rept %c[more]\n\t"                                      \
    ".set .Lgroup, .Lgroup + 1\n\t" BLOCK2X2_MORE(BLOCK2X2_LANES_AT) ".endr\n\t"
#define BLOCK2X2_WIDE_OPERANDS                                                                                         \
    [a00] "=&r"(a00), [a10] "=&r"(a10), [a01] "=&r"(a01), [a11] "=&r"(a11), [lanes] "+r"(lanes), [w] "+r"(w),          \
        [n] "=&r"(n), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [ke] "=&r"(ke),          \
        [ko] "=&r"(ko)

/* The sums of `pairs` blocks of two channels whose window is whole words (`groups` of 4, no tails), pre-widened
 * weights from w on (the blocks follow each other), at the two pixels, stored in sums: the blocks in the asm
 * loop too, so that a block adds ten instructions rather than the thirty of a call in C, which count in short
 * windows. */
static inline __attribute__((always_inline)) void
blocks2x2_wide(const int32_t *lanes, const int16_t *w, int32_t pairs, int32_t groups, int32_t (*sums)[2])
{
    const int32_t rewind = 16 * groups, *end = sums[2 * pairs];
    int32_t a00, a10, a01, a11, x0e, x0o, x1e, x1o, ke, ko, n;
    __asm volatile("2:\n\t" BLOCK2X2_WIDE
                   "strd %[a00], %[a10], [%[sums]], #8\n\t"
                   "strd %[a01], %[a11], [%[sums]], #8\n\t"
                   "ldr %[n], %[rewind]\n\t"
                   "sub %[lanes], %[lanes], %[n]\n\t"
                   "ldr %[n], %[end]\n\t"
                   "cmp %[sums], %[n]\n\t"
                   "bne 2b"
                   : BLOCK2X2_WIDE_OPERANDS, [sums] "+r"(sums)
                   : [groups] "m"(groups), [rewind] "m"(rewind), [end] "m"(end)
                   : "cc", "memory");
}

/* One output of a block's sum in place, tc_output_scaled in five instructions, the channel's scale in registers
 * b (bias2), m (multiplier), r (round) and s (right), tmp a scratch: SMMLAR adds the rounding term to the high
 * product x exactly, and the correction of a negative x (x >> 31) is taken from the sign of its operand
 * t = bias2 + 2 * acc instead: m >= 0, so t < 0 gives x <= 0, and where x is 0 (x + round - 1) >> right equals
 * (x + round) >> right, round being 2^(right - 1) plus a multiple of 2^right with right >= 1. */
#define SCALE_FULL(acc, b, m, r, s, tmp)                                                                               \
    "add " acc ", " b ", " acc ", lsl #1\n\t" SCALE_DOUBLED(acc, m, r, s, tmp)
/* The same from the operand t = bias2 + 2 * acc, in register t. */
#define SCALE_DOUBLED(t, m, r, s, tmp)                                                                                 \
    "smmlar " tmp ", " t ", " m ", " r "\n\t"                                                                          \
    "add " t ", " tmp ", " t ", asr #31\n\t"                                                                           \
    "asr " t ", " t ", " s "\n\t"                                                                                      \
    "ssat " t ", #8, " t "\n\t"

/* The scales of a block's two channels into x0e .. x1o, each applied to its two sums in place (SCALE_FULL). */
#define BLOCK2X2_SCALE                                                                                                 \
    "ldr %[n], %[scales]\n\t"                                                                                        \
    "ldrd %[x0e], %[x0o], [%[n]], #8\n\t"                                                                             \
    "ldrd %[x1e], %[x1o], [%[n]], #8\n\t"                                                                             \
    SCALE_FULL("%[a00]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")                                              \
    SCALE_FULL("%[a10]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")                                              \
    "ldrd %[x0e], %[x0o], [%[n]], #8\n\t"                                                                             \
    "ldrd %[x1e], %[x1o], [%[n]], #8\n\t"                                                                             \
    "str %[n], %[scales]\n\t"                                                                                         \
    SCALE_FULL("%[a01]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")                                              \
    SCALE_FULL("%[a11]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")
/* The next block, or the end: BLOCK2X2_WIDE's lanes back to the window's start first (BLOCK2X2_WIDE_UNROLLED's
 * stay there). */
#define BLOCK2X2_REWIND                                                                                                \
    "ldr %[n], %[rewind]\n\t"                                                                                         \
    "sub %[lanes], %[lanes], %[n]\n\t"
#define BLOCK2X2_NEXT                                                                                                  \
    "ldr %[n], %[end]\n\t"                                                                                            \
    "cmp %[output], %[n]\n\t"                                                                                         \
    "bne 2b"
/* A block's four outputs stored: SSAT's clamp alone (into [-128, 127]), or packed in a word and clamped at once
 * by SSUB8 and SEL against the range's ends in each byte. */
#define BLOCK2X2_STORE_FULL                                                                                            \
    "ldr %[n], %[second]\n\t"                                                                                         \
    "strb %[a10], [%[output], %[n]]\n\t"                                                                              \
    "strb %[a00], [%[output]], #1\n\t"                                                                                \
    "strb %[a11], [%[output], %[n]]\n\t"                                                                              \
    "strb %[a01], [%[output]], #1\n\t"
#define BLOCK2X2_STORE_CLAMPED                                                                                         \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                                  \
    "bfi %[a10], %[a11], #8, #8\n\t"                                                                                  \
    "pkhbt %[a00], %[a00], %[a10], lsl #16\n\t"                                                                       \
    "ldr %[x0e], %[lo4]\n\t"                                                                                          \
    "ldr %[x0o], %[hi4]\n\t"                                                                                          \
    "ssub8 %[x1e], %[a00], %[x0e]\n\t"                                                                                \
    "sel %[a00], %[a00], %[x0e]\n\t"                                                                                  \
    "ssub8 %[x1e], %[x0o], %[a00]\n\t"                                                                                \
    "sel %[a00], %[a00], %[x0o]\n\t"                                                                                  \
    "ldr %[n], %[second]\n\t"                                                                                         \
    "lsr %[a10], %[a00], #16\n\t"                                                                                     \
    "strh %[a10], [%[output], %[n]]\n\t"                                                                              \
    "strh %[a00], [%[output]], #2\n\t"
/* The asm of blocks2x2_wide_outputs: each block (`blocks`), its requantisation, `store` and `next`. */
#define BLOCKS2X2_WIDE_OUTPUTS(blocks, store, next)                                                                    \
    __asm volatile("2:\n\t" blocks BLOCK2X2_SCALE store next                                                           \
                   : BLOCK2X2_WIDE_OPERANDS, [output] "+r"(output), [scales] "+m"(job->scales)                         \
                   : [groups] "m"(job->groups), [rewind] "m"(job->rewind), [end] "m"(job->end),                        \
                     [second] "m"(job->second), [lo4] "m"(job->lo4), [hi4] "m"(job->hi4), [more] "n"(more)             \
                   : "cc", "memory")

/* What blocks2x2_wide_outputs reads from memory, having no register left: the next block's scales and the end
 * of the outputs (per pair of pixels), the window's groups of 4 and their bytes of lanes (16 each), the
 * second pixel's outputs from the first's, the activation range in each byte. A local of the caller's, so that
 * each is one load from the stack, and set once where it does not change. */
typedef struct {
    const tc_channel_scale *scales;
    const int8_t *end;
    int32_t groups, rewind, second, lo4, hi4;
} wide_outputs_job;

static inline wide_outputs_job wide_outputs_job_of(int32_t groups, int32_t second, const tc_output_params *p)
{
    const wide_outputs_job job = {NULL, NULL, groups, 16 * groups, second, (int32_t)((uint8_t)p->min * 0x01010101u),
                                  (int32_t)((uint8_t)p->max * 0x01010101u)};
    return job;
}

/* blocks2x2_wide with each block's four sums requantised in the registers that held its inputs and weights
 * and stored as int8: channel k's outputs at output[k] (first pixel) and output[job->second + k], scales from
 * job->scales (tc_channel_scales) on, until output reaches job->end. About three instructions an output fewer
 * than the sums' stores, reloads and loop in tc_outputs2_dsp, a fifth of a short window's cost. Into
 * [-128, 127] (`full`) the SSAT clamps; into a narrower range the four outputs, packed in a word, are clamped
 * at once (about two instructions an output more). `unrolled`: 0, or job->groups, a constant, when the
 * blocks' groups are written out (BLOCK2X2_WIDE_UNROLLED: 7 instructions a block fewer over 2 groups). */
static inline __attribute__((always_inline)) void
blocks2x2_wide_outputs(const int32_t *lanes, const int16_t *w, int8_t *output, wide_outputs_job *job, const int full,
                       const int32_t unrolled)
{
    const int32_t more = unrolled > 0 ? unrolled - 1 : 0;
    int32_t a00, a10, a01, a11, x0e, x0o, x1e, x1o, ke, ko, n;
    if (unrolled && full) {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE_UNROLLED, BLOCK2X2_STORE_FULL, BLOCK2X2_NEXT);
    } else if (unrolled) {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE_UNROLLED, BLOCK2X2_STORE_CLAMPED, BLOCK2X2_NEXT);
    } else if (full) {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE, BLOCK2X2_STORE_FULL, BLOCK2X2_REWIND BLOCK2X2_NEXT);
    } else {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE, BLOCK2X2_STORE_CLAMPED, BLOCK2X2_REWIND BLOCK2X2_NEXT);
    }
}

/* tc_expand_s8 of two pixels' windows of `groups` (>= 1) whole words, from x and x + step, into lanes
 * interleaved as blocks2x2_wide reads them (a group of the first, then of the second). In asm: gcc's loop
 * spills and reloads the registers of the loop around it, more than the loop itself costs. */
static inline __attribute__((always_inline)) void
expand_pair(const int8_t *x, int32_t step, int32_t offset2, int32_t *lanes, int32_t groups)
{
    int32_t v0, v1, even, odd;
    __asm volatile("1:\n\t"
                   "ldr %[v1], [%[x], %[step]]\n\t"
                   "ldr %[v0], [%[x]], #4\n\t"
                   "sxtab16 %[even], %[offset2], %[v0]\n\t"
                   "sxtab16 %[odd], %[offset2], %[v0], ror #8\n\t"
                   "strd %[even], %[odd], [%[lanes]], #8\n\t"
                   "sxtab16 %[even], %[offset2], %[v1]\n\t"
                   "sxtab16 %[odd], %[offset2], %[v1], ror #8\n\t"
                   "strd %[even], %[odd], [%[lanes]], #8\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b"
                   : [x] "+r"(x), [lanes] "+r"(lanes), [n] "+r"(groups), [v0] "=&r"(v0), [v1] "=&r"(v1),
                     [even] "=&r"(even), [odd] "=&r"(odd)
                   : [step] "r"(step), [offset2] "r"(offset2)
                   : "cc", "memory");
}

/* Where output pixel p's dense window starts in the input when it lies wholly inside its image, else 0. */
static inline const int8_t *window_start_inside(const int8_t *input, const tc_dims *in, const tc_dims *wd,
                                                const tc_dims *out, const tc_window *win, int32_t p)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    const int32_t y0 = oy * win->stride_h - win->pad_top, x0 = ox * win->stride_w - win->pad_left;
    return window_inside(in, wd, win, y0, x0) ? input + ((b * in->h + y0) * in->w + x0) * in->c : 0;
}

/* Output pixels px's and second's windows, rows of whole words, expanded row by row straight from the image into
 * lanes as tc_expand_s8 interleaves them when both lie inside it (1), else nothing (0). A call of its own, so
 * that matmul_dsp's loop keeps its registers for the windows it gathers. */
static __attribute__((noinline)) int expand_inside(const int8_t *input, const tc_dims *in, const tc_dims *wd,
                                                   const tc_dims *out, const tc_window *win, int32_t px,
                                                   int32_t second, int32_t offset2, int32_t *lanes)
{
    const int8_t *start0 = window_start_inside(input, in, wd, out, win, px);
    const int8_t *start1 = start0 ? window_start_inside(input, in, wd, out, win, second) : 0;
    if (!start1) {
        return 0;
    }
    const int32_t row_bytes = wd->w * in->c, stride = in->w * in->c, step = (int32_t)(start1 - start0);
    for (int32_t fy = 0; fy < wd->h; ++fy, start0 += stride, lanes += row_bytes) {
        expand_pair(start0, step, offset2, lanes, row_bytes / 4);
    }
    return 1;
}

/* Where output pixel p's window starts in the input of a 1x1 convolution without padding. */
static inline int32_t pointwise_offset(const tc_dims *in, const tc_dims *out, const tc_window *win, int32_t p)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    return ((b * in->h + oy * win->stride_h) * in->w + ox * win->stride_w) * in->c;
}

/* A 1x1 convolution without padding over whole words of input channels into an even number of output
 * channels: each pair of pixels expanded straight from the input (expand_pair; at stride 1 neighbours, without
 * the divisions for their coordinates), then all of a chunk's blocks in blocks2x2_wide_outputs, written out
 * over 8 and 16 channels into [-128, 127] (over 32 too, or into a narrower range, they would cost 0.5 and 1 KB
 * of flash more, over the firmware's code-size bound). Without the patch pointers, bands, tails and odd channels of matmul_dsp, a pair of pixels over 8
 * channels costs about 60 instructions outside the blocks rather than 150. */
static __attribute__((noinline)) void
pointwise_wide(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output, const tc_dims *out,
               const tc_window *win, int32_t offset2, const tc_output_params *p)
{
    const int32_t depth = in->c, channels = out->c, pixels = out->n * out->h * out->w;
    const int full = p->min == -128 && p->max == 127;
    const int contiguous = win->stride_h == 1 && win->stride_w == 1 && out->h == in->h && out->w == in->w;
    int32_t lanes[MATMUL_MAX_DEPTH];
    tc_channel_scale scales[MATMUL_CHUNK];
    wide_outputs_job job = wide_outputs_job_of(depth / 4, channels, p);
    for (int32_t first = 0; first < channels; first += MATMUL_CHUNK) {
        const int32_t chunk = channels - first < MATMUL_CHUNK ? channels - first : MATMUL_CHUNK;
        tc_channel_scales(p, first, chunk, scales);
        for (int32_t px = 0; px < pixels; px += 2) {
            const int32_t second = px + 1 < pixels ? px + 1 : px; /* an odd last pixel twice */
            int32_t at = px * depth, step = (second - px) * depth;
            if (!contiguous) {
                at = pointwise_offset(in, out, win, px), step = pointwise_offset(in, out, win, second) - at;
            }
            expand_pair(input + at, step, offset2, lanes, job.groups);
            int8_t *output0 = output + px * channels + first;
            job.scales = scales, job.end = output0 + chunk, job.second = (second - px) * channels;
            const int16_t *w = weights + first * depth;
            if (full && job.groups == 2) {
                blocks2x2_wide_outputs(lanes, w, output0, &job, 1, 2);
            } else if (full && job.groups == 4) {
                blocks2x2_wide_outputs(lanes, w, output0, &job, 1, 4);
            } else {
                blocks2x2_wide_outputs(lanes, w, output0, &job, full, 0);
            }
        }
    }
}

/* The stream pointwise_pixels walks, channel after channel of a 1x1 layer over `depth` (8 or 16) input channels
 * into a multiple of 4: twice its bias (the sum's start), its int16 weights doubled, so that the sum is
 * tc_scale_fast's operand bias2 + 2 * acc (|bias2 + 2 * acc| < 2^31 where the scale is fast), as the words of
 * each group in its block (tc_wide_index: the even and the odd pairs, as the lanes), then its multiplier, round
 * and right; the right of each fourth channel but the last has 256 added, the loop's test for more (ASR reads
 * the low byte alone). */
static void pointwise_stream(const int16_t *weights, int32_t depth, int32_t channels, const tc_output_params *p,
                             int32_t *stream)
{
    for (int32_t c = 0; c < channels; ++c) {
        tc_channel_scale s;
        tc_channel_scales(p, c, 1, &s);
        *stream++ = s.bias2;
        const int16_t *group = weights + (c & ~1) * depth + (c & 1) * 4;
        for (int32_t g = 0; g < depth / 4; ++g, group += 2 * 4) { /* the block's other channel between groups */
            int32_t even, odd;
            memcpy(&even, group, sizeof even);
            memcpy(&odd, group + 2, sizeof odd);
            *stream++ = __sadd16(even, even);
            *stream++ = __sadd16(odd, odd);
        }
        *stream++ = s.multiplier;
        *stream++ = s.round;
        *stream++ = s.right + (c % 4 == 3 && c + 1 < channels ? 256 : 0);
    }
}

/* One channel's output from the sum in register a (SCALE_DOUBLED), its multiplier, round and right next in the
 * stream, stored at out; then the loop over the fours of channels (written out: the loop's two instructions are
 * an eighth of a channel's), and over the pixels until out reaches `last` (a register, or the end on the stack
 * loaded into a). */
#define PIXEL_OUTPUT                                                                                                   \
    "ldm %[s]!, {%[k0], %[k1], %[k2]}\n\t" SCALE_DOUBLED("%[a]", "%[k0]", "%[k1]", "%[k2]", "%[k0]")                   \
    "strb %[a], [%[out]], #1\n\t"
#define PIXEL_LOOPS(load, last)                                                                                        \
    "tst %[k2], #256\n\t"                                                                                             \
    "bne 1b\n\t" load "cmp %[out], " last "\n\t"                                                                      \
    "bne 2b"

/* pointwise_pixels over 8 channels: a pixel's 4 words of lanes in x0 .. x3, each channel's bias and weights
 * loaded by one LDM, the pixels' input, offset and end in registers too. */
static inline __attribute__((always_inline)) void pixels8(const int8_t *input, int8_t *output, const int8_t *end,
                                                          const int32_t *stream, int32_t offset2)
{
    register const int32_t *s __asm("r0");
    register int32_t a __asm("r1"), k0 __asm("r2"), k1 __asm("r3"), k2 __asm("r4"), k3 __asm("r5");
    register int32_t offset __asm("r6") = offset2;
    register const int8_t *last __asm("r7") = end, *in __asm("r12") = input;
    register int32_t x0 __asm("r8"), x1 __asm("r9"), x2 __asm("r10"), x3 __asm("r11");
    register int8_t *out __asm("lr") = output;
#define PIXEL8_CHANNEL                                                                                                 \
    "ldm %[s]!, {%[a], %[k0], %[k1], %[k2], %[k3]}\n\t"                                                               \
    "smlad %[a], %[k0], %[x0], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x1], %[a]\n\t"                                                                              \
    "smlad %[a], %[k2], %[x2], %[a]\n\t"                                                                              \
    "smlad %[a], %[k3], %[x3], %[a]\n\t" PIXEL_OUTPUT
    __asm volatile("2:\n\t"
                   "ldm %[in]!, {%[k0], %[k1]}\n\t"
                   "sxtab16 %[x0], %[offset], %[k0]\n\t"
                   "sxtab16 %[x1], %[offset], %[k0], ror #8\n\t"
                   "sxtab16 %[x2], %[offset], %[k1]\n\t"
                   "sxtab16 %[x3], %[offset], %[k1], ror #8\n\t"
                   "ldr %[s], %[stream]\n"
                   "1:\n\t" PIXEL8_CHANNEL PIXEL8_CHANNEL PIXEL8_CHANNEL PIXEL8_CHANNEL PIXEL_LOOPS("", "%[last]")
                   : [s] "=&r"(s), [a] "=&r"(a), [k0] "=&r"(k0), [k1] "=&r"(k1), [k2] "=&r"(k2), [k3] "=&r"(k3),
                     [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [in] "+r"(in), [out] "+r"(out)
                   : [offset] "r"(offset), [last] "r"(last), [stream] "m"(stream)
                   : "cc", "memory");
#undef PIXEL8_CHANNEL
}

/* pointwise_pixels over 16 channels: a pixel's 8 words of lanes in x0 .. x7, each channel's bias and weights
 * loaded by three LDMs; the pixels' input, offset and end on the stack. */
static inline __attribute__((always_inline)) void pixels16(const int8_t *input, int8_t *output, const int8_t *end,
                                                           const int32_t *stream, int32_t offset2)
{
    register const int32_t *s __asm("r0");
    register int32_t a __asm("r1"), k0 __asm("r2"), k1 __asm("r3"), k2 __asm("r4");
    register int32_t x0 __asm("r5"), x1 __asm("r6"), x2 __asm("r7"), x3 __asm("r8"), x4 __asm("r9"),
        x5 __asm("r10"), x6 __asm("r11"), x7 __asm("r12");
    register int8_t *out __asm("lr") = output;
#define PIXEL16_CHANNEL                                                                                                \
    "ldm %[s]!, {%[a], %[k0], %[k1], %[k2]}\n\t"                                                                      \
    "smlad %[a], %[k0], %[x0], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x1], %[a]\n\t"                                                                              \
    "smlad %[a], %[k2], %[x2], %[a]\n\t"                                                                              \
    "ldm %[s]!, {%[k0], %[k1], %[k2]}\n\t"                                                                            \
    "smlad %[a], %[k0], %[x3], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x4], %[a]\n\t"                                                                              \
    "smlad %[a], %[k2], %[x5], %[a]\n\t"                                                                              \
    "ldm %[s]!, {%[k0], %[k1]}\n\t"                                                                                   \
    "smlad %[a], %[k0], %[x6], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x7], %[a]\n\t" PIXEL_OUTPUT
    __asm volatile("2:\n\t"
                   "ldr %[s], %[in]\n\t"
                   "ldm %[s]!, {%[a], %[k0], %[k1], %[k2]}\n\t"
                   "str %[s], %[in]\n\t"
                   "ldr %[s], %[offset2]\n\t"
                   "sxtab16 %[x0], %[s], %[a]\n\t"
                   "sxtab16 %[x1], %[s], %[a], ror #8\n\t"
                   "sxtab16 %[x2], %[s], %[k0]\n\t"
                   "sxtab16 %[x3], %[s], %[k0], ror #8\n\t"
                   "sxtab16 %[x4], %[s], %[k1]\n\t"
                   "sxtab16 %[x5], %[s], %[k1], ror #8\n\t"
                   "sxtab16 %[x6], %[s], %[k2]\n\t"
                   "sxtab16 %[x7], %[s], %[k2], ror #8\n\t"
                   "ldr %[s], %[stream]\n"
                   "1:\n\t" PIXEL16_CHANNEL PIXEL16_CHANNEL PIXEL16_CHANNEL PIXEL16_CHANNEL
                       PIXEL_LOOPS("ldr %[a], %[end]\n\t", "%[a]")
                   : [s] "=&r"(s), [a] "=&r"(a), [k0] "=&r"(k0), [k1] "=&r"(k1), [k2] "=&r"(k2), [x0] "=&r"(x0),
                     [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [x4] "=&r"(x4), [x5] "=&r"(x5), [x6] "=&r"(x6),
                     [x7] "=&r"(x7), [out] "+r"(out), [in] "+m"(input)
                   : [offset2] "m"(offset2), [end] "m"(end), [stream] "m"(stream)
                   : "cc", "memory");
#undef PIXEL16_CHANNEL
}

/* A 1x1 convolution at stride 1 without padding over 8 or 16 input channels into 4 to 32 (a chunk) output channels
 * in fours, in [-128, 127]: one pixel at a time, its lanes expanded into registers, against a stream of each
 * channel's bias, weights and scale on the stack (pointwise_stream) walked by LDMs, the sum requantised in four
 * instructions. About 12.6 and 19 instructions an output over 8 and 16 channels (pointwise_wide's pairs of
 * pixels in memory: 19 and 23.7, the default detector's layers 3 and 7 on the M4). */
static __attribute__((noinline)) void pointwise_pixels(const int8_t *input, const tc_dims *in, const int16_t *weights,
                                                       int8_t *output, const tc_dims *out, int32_t offset2,
                                                       const tc_output_params *p)
{
    int32_t stream[MATMUL_CHUNK * (16 / 2 + 4)];
    pointwise_stream(weights, in->c, out->c, p, stream);
    const int8_t *end = output + out->n * out->h * out->w * out->c;
    if (in->c == 8) {
        pixels8(input, output, end, stream, offset2);
    } else {
        pixels16(input, output, end, stream, offset2);
    }
}

/* The sums of one band (`skip` bytes into each channel's window, `groups` and `rest` as tc_expand_s8
 * wrote them) of channels first .. first + chunk - 1 at the two pixels, stored in sums (`add`: added
 * to the previous bands'; `wide` as in matmul_dsp). */
static inline __attribute__((always_inline)) void
matmul_sums(const int32_t *lanes, const int32_t tails[2][4], const void *weights, int32_t first, int32_t chunk,
            int32_t channels, int32_t depth, int32_t skip, int32_t groups, int32_t rest, int32_t (*sums)[2],
            const int wide, const int add)
{
    int32_t k = 0;
    if (wide && 4 * groups == depth && chunk >= 2) { /* the whole window in whole words: every full block at once */
        k = chunk & ~1;
        blocks2x2_wide(lanes, (const int16_t *)weights + first * depth, k / 2, groups, sums);
    }
    for (; k < chunk; k += 2) {
        const int32_t next = k + 1 < chunk ? depth : 0; /* an odd last channel twice */
        int32_t acc[4];
        if (wide) { /* a block of two channels, or the last one alone, starts at channel * depth */
            const int32_t rows = first + k + 1 < channels ? 2 : 1;
            block2x2_wide(lanes, tails, (const int16_t *)weights + (first + k) * depth + skip * rows, rows, groups,
                          rest, acc);
        } else {
            const int8_t *w = (const int8_t *)weights + (first + k) * depth + skip;
            tc_block2x2(lanes, tails, w, w + next, groups, rest, acc);
        }
        if (add) {
            acc[0] += sums[k][0], acc[1] += sums[k][1], acc[2] += sums[k + 1][0], acc[3] += sums[k + 1][1];
        }
        sums[k][0] = acc[0], sums[k][1] = acc[1], sums[k + 1][0] = acc[2], sums[k + 1][1] = acc[3];
    }
}

/* `direct`: a 1x1 filter without padding; `wide`: the weights are int16 (tc_wide_index) rather than
 * int8 (then wide_bands_fit); constants in each of the copies the compiler makes. */
static inline __attribute__((always_inline)) void
matmul_dsp(const int8_t *input, const tc_dims *in, const void *weights, const tc_dims *wd, int8_t *output,
           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p,
           const int direct, const int wide)
{
    const int32_t row_bytes = wd->w * in->c, depth = wd->h * row_bytes, band_rows = MATMUL_MAX_DEPTH / row_bytes;
    const int32_t channels = out->c, pixels = out->n * out->h * out->w, offset2 = tc_dup16(-io->input_zero_point);
    const int8_t zero_point = (int8_t)io->input_zero_point;
    int32_t lanes[MATMUL_MAX_DEPTH], tails[2][4], sums[MATMUL_CHUNK][2];
    int8_t patch[MATMUL_MAX_DEPTH];
    const int contiguous = win->stride_h == 1 && win->stride_w == 1 && out->h == in->h && out->w == in->w;
    /* int16 weights over one band of whole words into [-128, 127]: blocks2x2_wide_outputs, for even chunks (its
     * clamp into a narrower range, as in pointwise_wide, would cost 350 B of flash for rarer layers) */
    const int fused = wide && depth <= MATMUL_MAX_DEPTH && depth % 4 == 0 && p->min == -128 && p->max == 127;
    /* a fused window's rows in whole words (3x3 over 8 channels: 6 words) need no byte patch inside the image */
    const int in_rows = fused && row_bytes % 4 == 0;
    tc_channel_scale scales[MATMUL_CHUNK];
    for (int32_t first = 0; first < channels; first += MATMUL_CHUNK) {
        const int32_t chunk = channels - first < MATMUL_CHUNK ? channels - first : MATMUL_CHUNK;
        tc_channel_scales(p, first, chunk, scales);
        for (int32_t px = 0; px < pixels; px += 2) {
            const int32_t second = px + 1 < pixels ? px + 1 : px; /* an odd last pixel twice */
            int8_t *output0 = output + px * channels + first, *output1 = output + second * channels + first;
            for (int32_t fy0 = 0, fy1; fy0 < wd->h; fy0 = fy1) { /* a 1x1 filter: one band, fy0 a constant 0 */
                fy1 = direct ? 1 : fy0 + band_rows < wd->h ? fy0 + band_rows : wd->h;
                const int32_t band = (fy1 - fy0) * row_bytes, groups = band >> 2, rest = band & 3;
                if (!in_rows || !expand_inside(input, in, wd, out, win, px, second, offset2, lanes)) {
                    tc_expand_s8(
                        matmul_patch(input, in, wd, out, win, px, fy0, fy1, zero_point, patch, direct, contiguous),
                        groups, rest, offset2, lanes, 4, tails[0]);
                    tc_expand_s8(
                        matmul_patch(input, in, wd, out, win, second, fy0, fy1, zero_point, patch, direct, contiguous),
                        groups, rest, offset2, lanes + 2, 4, tails[1]);
                }
                if (fused && chunk % 2 == 0) {
                    wide_outputs_job job = wide_outputs_job_of(groups, (int32_t)(output1 - output0), p);
                    job.scales = scales, job.end = output0 + chunk;
                    blocks2x2_wide_outputs(lanes, (const int16_t *)weights + first * depth, output0, &job, 1, 0);
                } else if (fy0 == 0) {
                    matmul_sums(lanes, tails, weights, first, chunk, channels, depth, 0, groups, rest, sums, wide, 0);
                } else {
                    matmul_sums(lanes, tails, weights, first, chunk, channels, depth, fy0 * row_bytes, groups, rest,
                                sums, wide, 1);
                }
            }
            if (!fused || chunk % 2) {
                tc_outputs2_dsp((const int32_t(*)[2])sums, scales, chunk, output0, output1, p->min, p->max);
            }
        }
    }
}

/* Whether a 1x1 window without padding before the image reads each output pixel's input inside it, so in place
 * (padding after it, a PAD folded into the op, leaves the last rows or columns to the gathered patch). */
static int pointwise_inside(const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_window *win)
{
    return wd->h == 1 && wd->w == 1 && win->pad_top == 0 && win->pad_left == 0
           && (out->h - 1) * win->stride_h < in->h && (out->w - 1) * win->stride_w < in->w;
}

void tc_conv2d_matmul_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p)
{
    if (pointwise_inside(in, wd, out, win)) {
        matmul_dsp(input, in, weights, wd, output, out, win, io, p, 1, 0);
    } else {
        matmul_dsp(input, in, weights, wd, output, out, win, io, p, 0, 0);
    }
}

/* Whether each band of the int16 weights is where matmul_dsp reads it: one band, or bands of whole
 * words, so that a block's groups for a band follow the previous band's (its tails come last). */
static int wide_bands_fit(const tc_dims *in, const tc_dims *wd)
{
    const int32_t row_bytes = wd->w * in->c;
    return wd->h * row_bytes <= MATMUL_MAX_DEPTH || MATMUL_MAX_DEPTH / row_bytes * row_bytes % 4 == 0;
}

/* A 1x1 window read in place over whole words into even output channels in pointwise_wide, any other through
 * matmul_dsp's gathered patch (its copy that reads a 1x1 window in place would cost 3 KB of flash). */
static void matmul_wide(const int8_t *input, const tc_dims *in, const int16_t *weights, const tc_dims *wd,
                        int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                        const tc_output_params *p)
{
    if (in->c % 4 == 0 && out->c % 2 == 0 && pointwise_inside(in, wd, out, win)) {
        pointwise_wide(input, in, weights, output, out, win, tc_dup16(-io->input_zero_point), p);
    } else {
        matmul_dsp(input, in, weights, wd, output, out, win, io, p, 0, 1);
    }
}

/* Whether pointwise_pixels takes the layer: a 1x1 window at stride 1 without padding over 8 or 16 channels into
 * 4 to 32 in fours, in [-128, 127], its input at a word (its LDMs fault elsewhere). */
static int pixels_fit(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out,
                      const tc_window *win, const tc_output_params *p)
{
    return (uintptr_t)input % 4 == 0 && pointwise_inside(in, wd, out, win) && win->stride_h == 1
           && win->stride_w == 1 && out->h == in->h && out->w == in->w && (in->c == 8 || in->c == 16)
           && out->c % 4 == 0 && out->c <= MATMUL_CHUNK && p->min == -128 && p->max == 127;
}
#endif

/* Output channel oc's sum over the taps of the window at (y0, x0) inside image b, weights read
 * where tc_wide_index puts them. */
static int32_t wide_window_sum(const int8_t *image, const tc_dims *in, const int16_t *weights, const tc_dims *wd,
                               const tc_dims *out, const tc_window *win, int32_t y0, int32_t x0, int32_t oc,
                               int32_t offset)
{
    const int32_t depth = wd->h * wd->w * in->c;
    int32_t acc = 0;
    for (int32_t fy = 0; fy < wd->h; ++fy) {
        const int32_t y = y0 + fy * win->dilation_h;
        for (int32_t fx = 0; fx < wd->w && y >= 0 && y < in->h; ++fx) {
            const int32_t x = x0 + fx * win->dilation_w;
            for (int32_t c = 0; c < in->c && x >= 0 && x < in->w; ++c) {
                const int32_t i = (fy * wd->w + fx) * in->c + c;
                acc += weights[tc_wide_index(out->c, depth, TC_CONV_WIDE_BLOCK, oc, i)]
                       * (image[(y * in->w + x) * in->c + c] + offset);
            }
        }
    }
    return acc;
}

void tc_conv2d_wide_s8(const int8_t *input, const tc_dims *in, const int16_t *weights, const tc_dims *wd,
                       const int32_t *bias, int8_t *output, const tc_dims *out, const tc_window *win,
                       const tc_int8_io *io, const tc_requant *rq)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point)) {
        const tc_output_params params = tc_output_params_of(bias, out->c, wd->h * wd->w * wd->c, io, rq);
        const int fits = tc_conv2d_matmul_fits(in, wd, out, &params);
        if (fits && pixels_fit(input, in, wd, out, win, &params)) {
            pointwise_pixels(input, in, weights, output, out, tc_dup16(-io->input_zero_point), &params);
            return;
        }
        if (fits && wide_bands_fit(in, wd)) {
            matmul_wide(input, in, weights, wd, output, out, win, io, &params);
            return;
        }
    }
#endif
    for (int32_t b = 0; b < out->n; ++b) {
        const int8_t *image = input + b * in->h * in->w * in->c;
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                for (int32_t oc = 0; oc < out->c; ++oc) {
                    const int32_t acc = wide_window_sum(image, in, weights, wd, out, win, oy * win->stride_h - win->pad_top,
                                                        ox * win->stride_w - win->pad_left, oc, -io->input_zero_point);
                    *output++ = tc_output_s8(acc, bias, oc, io, rq);
                }
            }
        }
    }
}
