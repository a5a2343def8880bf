/* tinyctl engine: the helpers of the Cortex-M DSP paths. */
#ifndef TINYCTL_DSP_H
#define TINYCTL_DSP_H

#include "tinyctl_engine.h"

/* Cores with the Arm DSP extension (Cortex-M4, M7, M33...) take SIMD paths in CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED and ADD/SUB that give the portable C's results bit for bit
 * (int32 sums in another order; the same requantisation, in fewer instructions). Little-endian
 * only: depthwise maps word lanes to channels. -DTC_PORTABLE keeps the portable C. */
#if defined(__ARM_FEATURE_DSP) && !defined(__ARM_BIG_ENDIAN) && !defined(TC_PORTABLE)
#define TC_DSP 1
#include <arm_acle.h>
#include <string.h>

/* Four int8 values from any address: gcc makes the memcpy one (unaligned) word load. */
static inline int32_t tc_load_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Bytes 1 and 3 of v sign-extended to two int16 lanes: SXTB16 with its ROR #8, which __sxtb16
 * cannot express (bytes 0 and 2 are __sxtb16(v)). */
static inline int32_t tc_sxtb16_odd(int32_t v)
{
    int32_t lanes;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(lanes) : "r"(v));
    return lanes;
}

/* add + bytes 1 and 3 of v sign-extended, lane by lane (SXTAB16 with ROR #8). */
static inline int32_t tc_sxtab16_odd(int32_t add, int32_t v)
{
    int32_t lanes;
    __asm("sxtab16 %0, %1, %2, ror #8" : "=r"(lanes) : "r"(add), "r"(v));
    return lanes;
}

/* Whether int8 inputs plus -zero_point fit int16 lanes (always, for TFLite's int8 zero points). */
static inline int tc_dsp_offset_ok(int32_t zero_point)
{
    return zero_point >= -32640 && zero_point <= 32640;
}

/* An int16 value in both lanes. */
static inline int32_t tc_dup16(int32_t v)
{
    return (int32_t)((uint32_t)(uint16_t)v * 0x10001u);
}

/* acc[k] += sum over i < n of w[k * w_stride + i] * (x[i] + offset), k = 0..3: four output
 * channels sharing one input run, 4 bytes a step as int16 pairs into SMLAD (1.56 instructions
 * per MAC). offset2 is tc_dup16(offset) for an offset that tc_dsp_offset_ok accepts. The
 * empty asm statements only keep gcc from hoisting the next weight load, which would need more
 * registers than the core has and spill in the loop. */
static inline void tc_dot4_s8(const int8_t *x, const int8_t *w, int32_t w_stride, int32_t n,
                              int32_t offset2, int32_t acc[4])
{
    const int8_t *w2 = w + 2 * w_stride; /* rows 1 and 3 are at [w + w_stride] and [w2 + w_stride] */
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t i = n >> 2; i > 0; --i) {
        int32_t in = tc_load_s8x4(x);
        int32_t even = __sxtab16(offset2, in), odd = tc_sxtab16_odd(offset2, in);
        int32_t k = tc_load_s8x4(w);
        a0 = __smlad(__sxtb16(k), even, __smlad(tc_sxtb16_odd(k), odd, a0));
        __asm volatile("" ::: "memory");
        k = tc_load_s8x4(w + w_stride);
        a1 = __smlad(__sxtb16(k), even, __smlad(tc_sxtb16_odd(k), odd, a1));
        __asm volatile("" ::: "memory");
        k = tc_load_s8x4(w2);
        a2 = __smlad(__sxtb16(k), even, __smlad(tc_sxtb16_odd(k), odd, a2));
        __asm volatile("" ::: "memory");
        k = tc_load_s8x4(w2 + w_stride);
        a3 = __smlad(__sxtb16(k), even, __smlad(tc_sxtb16_odd(k), odd, a3));
        x += 4, w += 4, w2 += 4;
    }
    for (int32_t i = 0; i < (n & 3); ++i) {
        int32_t in = x[i] + (int16_t)offset2;
        a0 += w[i] * in;
        a1 += w[w_stride + i] * in;
        a2 += w2[i] * in;
        a3 += w2[w_stride + i] * in;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* n = 4 * groups + rest int8 values plus the offset (offset2 = tc_dup16(offset)) as int16 pairs: per
 * group of 4 the even pair (values 0 and 2) and the odd pair (1 and 3) at lanes[0] and lanes[1], the
 * lanes advancing `step` words a group (4 when two rows interleave); the last `rest` as int32 in tail. */
static inline void tc_expand_s8(const int8_t *x, int32_t groups, int32_t rest, int32_t offset2, int32_t *lanes,
                                int32_t step, int32_t *tail)
{
    for (int32_t g = groups; g > 0; --g, x += 4, lanes += step) {
        const int32_t v = tc_load_s8x4(x);
        lanes[0] = __sxtab16(offset2, v);
        lanes[1] = tc_sxtab16_odd(offset2, v);
    }
    for (int32_t i = 0; i < rest; ++i) {
        tail[i] = x[i] + (int16_t)offset2;
    }
}

/* tc_dot4_s8 for one output channel: returns acc + sum over i < n of w[i] * (x[i] + offset). */
static inline int32_t tc_dot1_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t offset2, int32_t acc)
{
    for (; n >= 4; n -= 4, x += 4, w += 4) {
        int32_t in = tc_load_s8x4(x), k = tc_load_s8x4(w);
        acc = __smlad(__sxtb16(k), __sxtab16(offset2, in), acc);
        acc = __smlad(tc_sxtb16_odd(k), tc_sxtab16_odd(offset2, in), acc);
    }
    for (int32_t i = 0; i < n; ++i) {
        acc += w[i] * (x[i] + (int16_t)offset2);
    }
    return acc;
}

/* tc_requantize, same results in about half the instructions, without branches: the
 * reference's round-and-truncate of a * b / 2^31 is floor((a * b + 2^30) / 2^31) for either sign
 * of a * b, i.e. twice the high word of that 64-bit sum plus the low word's top bit, where QADD
 * doubles the high word and saturates exactly where the reference does (a = b = INT32_MIN); then
 * tc_rounding_divide_by_pot's steps with its mask as ~(~0 << right). */
static inline int32_t tc_requantize_dsp(int32_t acc, int32_t multiplier, int shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = left - shift;
    const int64_t ab = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier + (INT64_C(1) << 30);
    const int32_t high = (int32_t)(ab >> 32);
    const int32_t x = __qadd(high, high) | (int32_t)((uint32_t)ab >> 31);
    const int32_t mask = (int32_t)~(~0u << right);
    return (x >> right) + ((x & mask) > (mask >> 1) + (int32_t)((uint32_t)x >> 31));
}

/* floor((a * b + 2^31) / 2^32) (SMMULR): for an even a = 2 * h that is the reference's rounded
 * doubling high multiply of h and b (as above), and never saturates. */
static inline int32_t tc_smmulr(int32_t a, int32_t b)
{
    int32_t high;
    __asm("smmulr %0, %1, %2" : "=r"(high) : "r"(a), "r"(b));
    return high;
}

/* tc_rounding_divide_by_pot(x, right) for |x| < 2^30, 0 <= right <= 31, without its mask:
 * floor((2x - (x < 0) + 2^right) / 2^(right + 1)), done as two shifts. */
static inline int32_t tc_rounding_divide_small(int32_t x, int right)
{
    return (((2 * x - (int32_t)((uint32_t)x >> 31)) >> right) + 1) >> 1;
}

/* tc_requantize for |acc| < 2^30 and -31 <= shift <= 0 (then |high| < 2^30 too). */
static inline int32_t tc_requantize_fast(int32_t acc, int32_t multiplier, int shift)
{
    return tc_rounding_divide_small(tc_smmulr(2 * acc, multiplier), -shift);
}

/* What the DSP kernels' outputs need, read once per call into a local (int8 output stores may
 * alias anything, so the compiler would reload these from *io and *rq after every output), and
 * whether tc_requantize_fast applies to every output: each accumulator sums `terms` products of
 * an int8 weight and an input less its zero point, plus a bias. */
typedef struct {
    const int32_t *bias, *multiplier, *shift;
    int32_t per_channel, fast, fast_scale, zero_point, min, max;
} tc_output_params;

static inline tc_output_params tc_output_params_of(const int32_t *bias, int32_t channels, int32_t terms,
                                                   const tc_int8_io *io, const tc_requant *rq)
{
    const int64_t zero_point = io->input_zero_point;
    const int64_t sums = 128 * (128 + (zero_point < 0 ? -zero_point : zero_point)) * (int64_t)terms;
    uint32_t outside_fast = 0, outside_scale = 0, largest_bias = 0; /* no early exits: fewer branches */
    for (int32_t q = 0; q < rq->count; ++q) {
        outside_fast |= (uint32_t)(rq->shift[q] + 31) > 31u;    /* shift in [-31, 0] */
        outside_scale |= (uint32_t)(rq->shift[q] + 22) > 21u;   /* shift in [-22, -1] */
    }
    for (int32_t c = 0; bias && c < channels; ++c) {
        const uint32_t magnitude = bias[c] < 0 ? 0u - (uint32_t)bias[c] : (uint32_t)bias[c];
        largest_bias = magnitude > largest_bias ? magnitude : largest_bias;
    }
    const int32_t fast = !outside_fast && (int64_t)largest_bias + sums < (INT64_C(1) << 30);
    tc_output_params p = {bias, rq->multiplier, rq->shift, rq->count != 1, fast, fast && !outside_scale,
                          io->output_zero_point, io->act_min, io->act_max};
    return p;
}

/* One output channel's requantisation, rearranged for tc_scale_fast (tc_output_params.fast_scale:
 * 1 <= right <= 22): twice the bias, the multiplier, the rounding term with the output zero point
 * folded in (2^(right - 1) + zero_point * 2^right) and the right shift. */
typedef struct {
    int32_t bias2, multiplier, round, right;
} tc_channel_scale;

/* scales[k] for channels first .. first + n - 1. */
static inline void tc_channel_scales(const tc_output_params *p, int32_t first, int32_t n, tc_channel_scale *scales)
{
    for (int32_t c = first; c < first + n; ++c, ++scales) {
        const int32_t q = p->per_channel ? c : 0, right = -p->shift[q];
        scales->bias2 = p->bias ? 2 * p->bias[c] : 0;
        scales->multiplier = p->multiplier[q];
        scales->round = (INT32_C(1) << (right - 1)) + (int32_t)((uint32_t)p->zero_point << right);
        scales->right = right;
    }
}

/* tc_requantize_fast(acc + bias) + zero point in five instructions: the rounding division of the
 * high product x by 2^right (ties away from zero) is floor((x - (x < 0) + 2^(right - 1)) / 2^right)
 * for right >= 1, and a multiple of 2^right added before the shift adds exactly the zero point.
 * |x| < 2^30 and right <= 22 keep the sum inside int32. */
static inline int32_t tc_scale_fast(int32_t acc, const tc_channel_scale *s)
{
    const int32_t x = tc_smmulr(s->bias2 + 2 * acc, s->multiplier);
    return (x + (x >> 31) + s->round) >> s->right;
}

/* tc_scale_fast in four instructions of asm text, from the operand t = bias2 + 2 * acc in register t (in place),
 * the multiplier, round and right in registers m, r and s, tmp a scratch (it may be m): SMMLAR adds the rounding
 * term to the high product x exactly, and the -1 of a negative x (x >> 31) is taken from the sign of t instead:
 * m >= 0, so t < 0 gives x <= 0, and where x is 0 (round - 1) >> right equals round >> right, round being
 * 2^(right - 1) plus a multiple of 2^right with right >= 1 (proved exhaustively in tests/test_requant_proof.py).
 * Into [-128, 127] by SSAT. The kernels' asm loops each name their own registers. */
#define TC_SCALE_DOUBLED_ASM(t, m, r, s, tmp)                                                                          \
    "smmlar " tmp ", " t ", " m ", " r "\n\t"                                                                          \
    "add " t ", " tmp ", " t ", asr #31\n\t"                                                                           \
    "asr " t ", " t ", " s "\n\t"                                                                                      \
    "ssat " t ", #8, " t "\n\t"

/* The int8 output of a high product x (tc_smmulr) divided by 2^right with ties away from zero, the zero
 * point folded into `round` as in tc_scale_fast, clamped to [lo, hi]: one SSAT when that is [-128, 127]
 * (`full`, a constant where this is inlined). The conv, FC, ADD and MUL rows all end here. */
static inline __attribute__((always_inline)) int8_t tc_shift_clamp(int32_t x, int32_t round, int32_t right,
                                                                   int32_t lo, int32_t hi, const int full)
{
    const int32_t v = (x + (x >> 31) + round) >> right;
    return (int8_t)(full ? __ssat(v, 8) : (v < lo ? lo : (v > hi ? hi : v)));
}

/* The int8 output of an accumulator with its channel's scale (tc_scale_fast), clamped to [lo, hi]. */
static inline __attribute__((always_inline)) int8_t tc_output_scaled(int32_t acc, const tc_channel_scale *s,
                                                                     int32_t lo, int32_t hi, const int full)
{
    return tc_shift_clamp(tc_smmulr(s->bias2 + 2 * acc, s->multiplier), s->round, s->right, lo, hi, full);
}

/* The int8 outputs of channels c .. c + n - 1 from their accumulators: + bias, requantise,
 * + zero point, clamp. A function of its own, so that its loop has the registers to itself. */
static __attribute__((noinline, unused)) void tc_outputs_dsp(const int32_t *acc, int32_t n, int32_t c,
                                                             const tc_output_params *p, int8_t *output)
{
    static const int32_t no_bias = 0;
    const int32_t step = p->per_channel, fast = p->fast, zero_point = p->zero_point, lo = p->min, hi = p->max;
    const int32_t *multiplier = p->multiplier + c * step, *shift = p->shift + c * step;
    const int32_t *bias = p->bias ? p->bias + c : &no_bias, bias_step = p->bias ? 1 : 0;
    for (int32_t k = 0; k < n; ++k, multiplier += step, shift += step, bias += bias_step) {
        const int32_t sum = acc[k] + *bias;
        int32_t v = (fast ? tc_requantize_fast(sum, *multiplier, *shift)
                          : tc_requantize_dsp(sum, *multiplier, *shift)) + zero_point;
        v = v > lo ? v : lo;
        output[k] = (int8_t)(v < hi ? v : hi);
    }
}

/* acc = {pixel 0 channel 0, pixel 1 channel 0, pixel 0 channel 1, pixel 1 channel 1}: two weight
 * rows against two expanded patches (interleaved a group apart: tc_expand_s8 with step 4), each
 * weight word unpacked once for both pixels. The loop is written out in asm because it needs all 14
 * allocatable registers, and gcc spills two of them. */
static inline __attribute__((always_inline)) void
tc_block2x2(const int32_t *lanes, const int32_t tails[2][4], const int8_t *w0, const int8_t *w1, int32_t groups,
            int32_t rest, int32_t acc[4])
{
    int32_t a00 = 0, a10 = 0, a01 = 0, a11 = 0, x0e, x0o, x1e, x1o, k, ke;
    if (groups > 0) {
        __asm volatile(
            "1:\n\t"
            "ldrd %[x1e], %[x1o], [%[lanes], #8]\n\t"
            "ldrd %[x0e], %[x0o], [%[lanes]], #16\n\t"
            "ldr %[k], [%[w0]], #4\n\t"
            "sxtb16 %[ke], %[k]\n\t"
            "sxtb16 %[k], %[k], ror #8\n\t"
            "smlad %[a00], %[ke], %[x0e], %[a00]\n\t"
            "smlad %[a00], %[k], %[x0o], %[a00]\n\t"
            "smlad %[a10], %[ke], %[x1e], %[a10]\n\t"
            "smlad %[a10], %[k], %[x1o], %[a10]\n\t"
            "ldr %[k], [%[w1]], #4\n\t"
            "sxtb16 %[ke], %[k]\n\t"
            "sxtb16 %[k], %[k], ror #8\n\t"
            "smlad %[a01], %[ke], %[x0e], %[a01]\n\t"
            "smlad %[a01], %[k], %[x0o], %[a01]\n\t"
            "smlad %[a11], %[ke], %[x1e], %[a11]\n\t"
            "smlad %[a11], %[k], %[x1o], %[a11]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11), [lanes] "+r"(lanes),
              [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(groups), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o),
              [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [k] "=&r"(k), [ke] "=&r"(ke)
            :
            : "cc", "memory");
    }
    for (int32_t i = 0; i < rest; ++i) {
        a00 += w0[i] * tails[0][i], a10 += w0[i] * tails[1][i];
        a01 += w1[i] * tails[0][i], a11 += w1[i] * tails[1][i];
    }
    acc[0] = a00, acc[1] = a10, acc[2] = a01, acc[3] = a11;
}

/* The filter taps t in [lo, hi) whose input coordinate start + t * dilation lies in [0, size). */
typedef struct {
    int32_t lo, hi;
} tc_tap_span;

static inline tc_tap_span tc_taps_inside(int32_t start, int32_t dilation, int32_t taps, int32_t size)
{
    tc_tap_span s;
    s.lo = start < 0 ? (dilation - 1 - start) / dilation : 0;
    s.hi = start >= size ? 0 : (size - start + dilation - 1) / dilation;
    s.hi = s.hi < taps ? s.hi : taps;
    s.lo = s.lo < s.hi ? s.lo : s.hi;
    return s;
}
/* CONV_2D as a matrix product of each output pixel's window with the weights (conv2d_matmul.c):
 * for windows of up to 288 bytes, requantisations with tc_output_params.fast_scale, more than one
 * output pixel and at least 4 output channels (the cost of gathering a window is shared by its
 * channels). */
int tc_conv2d_matmul_fits(const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_output_params *p);
void tc_conv2d_matmul_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p);
/* The int8 outputs of two pixels, output0[k] from sums[k][0] and output1[k] from sums[k][1], for n
 * channels with scales[k], clamped to [lo, hi] (conv2d_matmul.c). */
void tc_outputs2_dsp(const int32_t (*sums)[2], const tc_channel_scale *scales, int32_t n, int8_t *output0,
                     int8_t *output1, int32_t lo, int32_t hi);
/* CONV_2D over windows of fewer than 4 input channels and at most 40 bytes once padded to whole words
 * (conv2d_window.c): a 1- or 3-channel first layer. Each window is gathered a word at a time and its
 * padding meets zero weights; requantisations with tc_output_params.fast_scale. */
int tc_conv2d_window_fits(const tc_dims *in, const tc_dims *wd, const tc_output_params *p);
void tc_conv2d_window_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p);
/* DEPTHWISE_CONV_2D one channel plane at a time (depthwise_plane.c), for depth multiplier 1 (the
 * caller's check), 3x3 filters with stride 1 (output rows of up to 126 pixels) or 2 (of 12 to 62) and
 * no dilation, requantisations with tc_output_params.fast_scale. */
int tc_depthwise_plane_fits(const tc_dims *wd, const tc_dims *out, const tc_window *win, const tc_output_params *p);
void tc_depthwise_plane_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p);
#else
#define TC_DSP 0
#endif

#endif /* TINYCTL_DSP_H */
