/* DEPTHWISE_CONV_2D on cores with the DSP extension, for a 3x3 filter, depth multiplier 1, no
 * dilation and stride 1 (most depthwise layers): one channel plane at a time, with the channel's
 * 9 weights as int16 pairs and two output pixels a pass (SMLAD on two taps of a row, a halfword
 * multiply on the third). The channel's input rows are copied as int16 into a ring of 3 padded rows
 * a fixed PLANE_ROW_BYTES apart, so that a window's rows are at constant offsets (the weights' rows
 * rotated to the ring's phase) and every window lies inside them: the borders need no path of their
 * own. The padding holds -offset and the input
 * offset is folded into the bias as offset * (sum of the 9 weights), so a padding tap adds
 * w * (-offset + offset) = 0, as the reference's skipped tap does. The accumulators are those of
 * the general path, bit for bit. Stride 2 stays with depthwise_conv2d.c's path: copying two input
 * rows per output row costs more than the plane saves. */
#include "tinyctl_dsp.h"

#if TC_DSP
#define PLANE_ROW_BYTES 256 /* a padded row: int16 values for output rows of up to 126 pixels */
#define PLANE_ROW_VALUES (PLANE_ROW_BYTES / 2)
#define PLANE_STR(x) #x
#define PLANE_AT(x) PLANE_STR(x) /* an asm immediate from a macro */

/* The padded input row's length: the windows of out_w outputs, plus the one value past them that
 * an odd last output's loads read (in a lane they do not use), even. */
static int32_t plane_row_length(int32_t out_w)
{
    return (out_w + 3) & ~1;
}

int tc_depthwise_plane_fits(const tc_dims *wd, const tc_dims *out, const tc_window *win, const tc_output_params *p)
{
    return wd->h == 3 && wd->w == 3 && win->dilation_h == 1 && win->dilation_w == 1 && win->stride_h == 1
           && win->stride_w == 1 && win->pad_top <= 2 && win->pad_left <= 2 && p->fast_scale
           && plane_row_length(out->w) <= PLANE_ROW_VALUES;
}

/* One channel's weights in the order plane_pair's asm reads them: row r's first two taps as an int16
 * pair in k01_r; the third taps of rows 0 and 1 as the bottom and top of k2_01, row 2's in k2_2. */
typedef struct {
    int32_t k01_0, k2_01, k01_1, k01_2, k2_2;
} plane_weights;

static inline int32_t plane_pair16(int32_t bottom, int32_t top)
{
    return (int32_t)(((uint32_t)top << 16) | (uint16_t)bottom);
}

/* Two int16 values from any even address (one word load; unaligned ones are fine on these cores). */
static inline int32_t plane_load(const int16_t *q)
{
    int32_t v;
    memcpy(&v, q, sizeof v);
    return v;
}

/* The channel's weights (1HWC: tap t at weights[t * c]) for each phase of the ring: k[phase] has
 * filter row (j - phase) mod 3 as its row j. Returns the sum of the 9 taps. */
static int32_t plane_weights_of(const int8_t *weights, int32_t c, plane_weights k[3])
{
    int32_t w[9], sum = 0;
    for (int32_t t = 0; t < 9; ++t) {
        w[t] = weights[t * c];
        sum += w[t];
    }
    for (int32_t phase = 0; phase < 3; ++phase) {
        const int32_t *r0 = w + 3 * ((3 - phase) % 3), *r1 = w + 3 * ((4 - phase) % 3), *r2 = w + 3 * (2 - phase);
        k[phase].k01_0 = plane_pair16(r0[0], r0[1]);
        k[phase].k01_1 = plane_pair16(r1[0], r1[1]);
        k[phase].k01_2 = plane_pair16(r2[0], r2[1]);
        k[phase].k2_01 = plane_pair16(r0[2], r1[2]);
        k[phase].k2_2 = r2[2];
    }
    return sum;
}

/* One filter row of two neighbouring outputs in plane_pair's asm: the row `at` bytes past q, its
 * first two weights in %[w], its third in the `lane` (b or t) half of %[w2]. The second window's
 * first two taps are the (unaligned) pair at q + 1, its third the top of the pair at q + 2. */
#define PLANE_ROW_ASM(at, lane)                              \
    "ldr %[x], [%[q], #" PLANE_AT(at) "]\n\t"                \
    "smlad %[a0], %[x], %[w], %[a0]\n\t"                     \
    "ldr %[x], [%[q], #" PLANE_AT(at + 2) "]\n\t"            \
    "smlad %[a1], %[x], %[w], %[a1]\n\t"                     \
    "ldr %[x], [%[q], #" PLANE_AT(at + 4) "]\n\t"            \
    "smlab" lane " %[a0], %[x], %[w2], %[a0]\n\t"            \
    "smlat" lane " %[a1], %[x], %[w2], %[a1]\n\t"

/* a0 and a1 plus the 3x3 windows of two neighbouring outputs, q at the first one's top left: 12
 * multiplies, 9 input and 3 weight loads; in asm, because gcc spills the weights and the row
 * pointers of the C. */
static inline __attribute__((always_inline)) void plane_pair(const int16_t *q, const plane_weights *k, int32_t *a0,
                                                              int32_t *a1)
{
    int32_t x, w, w2;
    __asm("ldrd %[w], %[w2], [%[k]]\n\t"
          PLANE_ROW_ASM(0, "b")
          "ldr %[w], [%[k], #8]\n\t"
          PLANE_ROW_ASM(PLANE_ROW_BYTES, "t")
          "ldrd %[w], %[w2], [%[k], #12]\n\t"
          PLANE_ROW_ASM(2 * PLANE_ROW_BYTES, "b")
          : [a0] "+r"(*a0), [a1] "+r"(*a1), [x] "=&r"(x), [w] "=&r"(w), [w2] "=&r"(w2)
          : [q] "r"(q), [k] "r"(k), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES])q), "m"(*k));
}

/* The 3x3 window of one output, q at its top left (C: only an odd row's last output). */
static int32_t plane_one(const int16_t *q, const plane_weights *k, int32_t acc)
{
    const int16_t *q1 = q + PLANE_ROW_VALUES, *q2 = q1 + PLANE_ROW_VALUES;
    acc = __smlabb(plane_load(q + 2), k->k2_01, __smlad(plane_load(q), k->k01_0, acc));
    acc = __smlabt(plane_load(q1 + 2), k->k2_01, __smlad(plane_load(q1), k->k01_1, acc));
    return __smlabb(plane_load(q2 + 2), k->k2_2, __smlad(plane_load(q2), k->k01_2, acc));
}

/* Two outputs v0, v1 clamped to the activation range (lo2, hi2: its ends in both int16 lanes), in the
 * bottom byte of each lane: SSAT to int16, then a SIMD max and min (SSUB16 sets the lanes' GE flags,
 * SEL picks by them), in fewer instructions and no branches than two scalar clamps. */
static inline int32_t plane_clamp_pair(int32_t v0, int32_t v1, int32_t lo2, int32_t hi2)
{
    int32_t v, scratch;
    __asm("pkhbt %[v], %[v0], %[v1], lsl #16\n\t"
          "ssub16 %[t], %[v], %[lo]\n\t"
          "sel %[v], %[v], %[lo]\n\t"
          "ssub16 %[t], %[hi], %[v]\n\t"
          "sel %[v], %[v], %[hi]"
          : [v] "=&r"(v), [t] "=&r"(scratch)
          : [v0] "r"(__ssat(v0, 16)), [v1] "r"(__ssat(v1, 16)), [lo] "r"(lo2), [hi] "r"(hi2)
          : "cc");
    return v;
}

/* One output row of the channel from its 3 padded input rows at q; o steps c bytes an output. Each
 * accumulator starts at the bias with the offset folded in (s->bias2 is 0). */
static inline __attribute__((always_inline)) void
plane_output_row(const int16_t *q, const plane_weights *k, const tc_channel_scale *s, int32_t bias, int8_t *o,
                 int32_t c, int32_t out_w, int32_t lo, int32_t hi, const int full)
{
    const int32_t lo2 = tc_dup16(lo), hi2 = tc_dup16(hi);
    for (int32_t pairs = out_w >> 1; pairs > 0; --pairs, q += 2, o += 2 * c) {
        int32_t a0 = bias, a1 = bias;
        plane_pair(q, k, &a0, &a1);
        if (full) {
            o[0] = tc_output_scaled(a0, s, lo, hi, full);
            o[c] = tc_output_scaled(a1, s, lo, hi, full);
        } else {
            const int32_t v = plane_clamp_pair(tc_scale_fast(a0, s), tc_scale_fast(a1, s), lo2, hi2);
            o[0] = (int8_t)v;
            o[c] = (int8_t)(v >> 16);
        }
    }
    if (out_w & 1) {
        *o = tc_output_scaled(plane_one(q, k, bias), s, lo, hi, full);
    }
}

/* n values of one channel (c bytes apart) to int16, two a step. */
static void plane_copy_row(const int8_t *src, int32_t c, int32_t n, int16_t *dst)
{
    for (; n >= 2; n -= 2, src += 2 * c, dst += 2) {
        dst[0] = src[0];
        dst[1] = src[c];
    }
    if (n) {
        *dst = *src;
    }
}

static void plane_fill(int16_t *dst, int32_t value, int32_t n)
{
    for (int32_t x = 0; x < n; ++x) {
        dst[x] = (int16_t)value;
        __asm volatile("");
    }
}

/* Channel ch of the whole output, batch by batch. Padded row r (input row r - pad_top, padding
 * outside the image) lives in row r % 3 of the ring: the window of output row r - 2 has its filter
 * row j in ring row (r + 1 + j) % 3, which the weights of phase (r + 1) % 3 account for. */
static inline __attribute__((always_inline)) void
plane_channel(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output, const tc_dims *out,
              const tc_window *win, const tc_output_params *p, int16_t *rows, int32_t inside, int32_t offset,
              int32_t ch, const int full)
{
    const int32_t c = in->c;
    plane_weights k[3];
    tc_channel_scale s;
    const int32_t bias = (p->bias ? p->bias[ch] : 0) + offset * plane_weights_of(weights + ch, c, k);
    tc_channel_scales(p, ch, 1, &s);
    s.bias2 = 0;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t r = 0; r < out->h + 2; ++r) { /* make padded row r, then output row r - 2 */
            int16_t *row = rows + (r % 3) * PLANE_ROW_VALUES + win->pad_left;
            const int32_t y = r - win->pad_top;
            if (y >= 0 && y < in->h) {
                plane_copy_row(input + ((b * in->h + y) * in->w) * c + ch, c, inside, row);
            } else {
                plane_fill(row, -offset, inside);
            }
            if (r >= 2) {
                plane_output_row(rows, &k[(r + 1) % 3], &s, bias,
                                 output + ((b * out->h + r - 2) * out->w) * c + ch, c, out->w, p->min, p->max, full);
            }
        }
    }
}

static inline __attribute__((always_inline)) void
plane_channels(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output, const tc_dims *out,
               const tc_window *win, const tc_output_params *p, int16_t *rows, int32_t inside, int32_t offset,
               const int full)
{
    for (int32_t ch = 0; ch < in->c; ++ch) {
        plane_channel(input, in, weights, output, out, win, p, rows, inside, offset, ch, full);
    }
}

void tc_depthwise_plane_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p)
{
    int16_t rows[3 * PLANE_ROW_VALUES] __attribute__((aligned(4)));
    const int32_t offset = -io->input_zero_point;
    const int32_t reach = out->w + 2 - win->pad_left; /* input columns the windows reach */
    plane_fill(rows, -offset, 3 * PLANE_ROW_VALUES);
    const int32_t inside = reach < in->w ? reach : in->w;
    if (p->min == -128 && p->max == 127) {
        plane_channels(input, in, weights, output, out, win, p, rows, inside, offset, 1);
    } else {
        plane_channels(input, in, weights, output, out, win, p, rows, inside, offset, 0);
    }
}
#endif
