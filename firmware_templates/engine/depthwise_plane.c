/* DEPTHWISE_CONV_2D on cores with the DSP extension, for a 3x3 filter, depth multiplier 1, no
 * dilation and stride 1 or 2 (most depthwise layers): one channel plane at a time, with the channel's
 * 9 weights as doubled int16 pairs, four (or two) output pixels a pass from the aligned input pairs
 * of each row (an SMLAD and a halfword multiply per output and row). The channel's input rows are
 * copied as int16 into a ring of 3 padded rows a fixed PLANE_ROW_BYTES apart (two channels at a time,
 * from one halfword load a pixel, each into a ring of its own), so that a window's rows are at
 * constant offsets (the weights' rows rotated to the ring's phase) and every window lies inside them:
 * the borders need no path of their own. A plane taller than wide is walked by columns
 * (its rows are then longer), unless the op runs in place. The padding holds -offset and the input
 * offset is folded into the bias as offset * (sum of the 9 weights), so a padding tap adds
 * w * (-offset + offset) = 0, as the reference's skipped tap does. The accumulators are twice those
 * of the general path, bit for bit, which is what its requantisation multiplies (into [-128, 127] in
 * the asm of the pass: plane_quad_full). Stride 2 (the same on both axes) takes the plane only for
 * output rows of PLANE_S2_MIN_W or more: it copies two input rows per output row, which on shorter
 * rows costs more than the plane saves. A plane of fewer than PLANE_MIN_OUTPUTS outputs goes to
 * depthwise_conv2d.c too: the plane's cost per channel and row (the weight pairs, the scale, the
 * ring's upkeep, the calls and spills around each row's passes) is more than the general path's
 * dearer outputs save on small planes (3x3, 8 channels: 7.9 against 5.9 per MAC). */
#include "tinyctl_dsp.h"

#if TC_DSP
#define PLANE_ROW_BYTES 256 /* a padded row: int16 values for output rows of up to 126 pixels */
#define PLANE_ROW_VALUES (PLANE_ROW_BYTES / 2)
#define PLANE_RING_BYTES (3 * PLANE_ROW_BYTES) /* a channel's ring of 3 rows */
#define PLANE_RING_VALUES (PLANE_RING_BYTES / 2)
/* Stride 2 copies 4 values an output: the plane takes rows of 8 outputs on (8 channels into [-128, 127],
 * 16x16 input: 4.4 against 5.3 per MAC); rows of 6 gain less (5.2 against 5.4) and stay general. */
#define PLANE_S2_MIN_W 8
/* A channel's outputs: the plane is the faster from 4x4 on (8 channels: 5.2 against 5.5 per MAC, 6.6 against
 * 7.7 clamped to a narrower range), not on 3x3 (7.9 against 5.9). */
#define PLANE_MIN_OUTPUTS 16
/* From PLANE_WIDE_CHANNELS channels into [-128, 127] (4 or more groups a pixel in the general path's asm,
 * which requantises there too): the plane is the faster from 6x6 outputs on (128 channels: 3.71 against
 * 3.81 per MAC), not on 5x5 (32 channels: 4.29 against 3.87), and with stride 2 on rows of 12 outputs (32
 * channels: 3.5 against 3.9), not of 10 (3.93 against 3.95: about even). */
#define PLANE_WIDE_CHANNELS 16
#define PLANE_MIN_OUTPUTS_WIDE 36
#define PLANE_S2_MIN_W_WIDE 12
#define PLANE_STR(x) #x
#define PLANE_AT(x) PLANE_STR(x) /* an asm immediate from a macro */

/* The padded input row's length: the windows of out_w outputs `stride` values apart, plus the one
 * value past them that the last output's loads read (in a lane they do not use), even. */
static int32_t plane_row_length(int32_t out_w, int32_t stride)
{
    return (stride * out_w + 3) & ~1;
}

/* Whether no channel's multiplier is negative (TFLite's never are), which plane_quad_full's rounding needs. */
static int plane_multipliers_nonnegative(const tc_output_params *p, int32_t channels)
{
    int32_t negative = 0;
    for (int32_t q = 0; q < (p->per_channel ? channels : 1); ++q) {
        negative |= p->multiplier[q];
    }
    return negative >= 0;
}

int tc_depthwise_plane_fits(const tc_dims *wd, const tc_dims *out, const tc_window *win, const tc_output_params *p)
{
    const int32_t stride = win->stride_w, wide = out->c >= PLANE_WIDE_CHANNELS && p->min == -128 && p->max == 127;
    return wd->h == 3 && wd->w == 3 && win->dilation_h == 1 && win->dilation_w == 1 && win->stride_h == stride
           && (stride == 1 || (stride == 2 && out->w >= (wide ? PLANE_S2_MIN_W_WIDE : PLANE_S2_MIN_W)))
           && win->pad_top <= 2 && win->pad_left <= 2
           && out->h * out->w >= (wide ? PLANE_MIN_OUTPUTS_WIDE : PLANE_MIN_OUTPUTS) && p->fast_scale
           && plane_row_length(out->w, stride) <= PLANE_ROW_VALUES && plane_multipliers_nonnegative(p, out->c);
}

/* Two int16 values from any even address (one word load; unaligned ones are fine on these cores). */
static inline int32_t plane_load(const int16_t *q)
{
    int32_t v;
    memcpy(&v, q, sizeof v);
    return v;
}

/* One row of a channel's weights in the order the asm reads it, doubled (so that the accumulator is
 * the 2 * acc that tc_smmulr takes): (w0, w1) and (w1, w2), int16 pairs, bottom half first (one LDRD).
 * An aligned input pair A = (x0, x1) and the next one B = (x2, x3) give both outputs of a pass:
 * A.(w0, w1) + x2 w2 and x1 w0 + B.(w1, w2), the single products by halfword multiplies (SMLABT,
 * SMLATB) that pick w2 and w0 out of the pairs. The first 3 rows of a plane_weights also carry the
 * channel's tc_channel_scale and output step in bytes, so that plane_quad_full's asm finds them at a
 * fixed offset from whichever row the ring's phase starts at. */
typedef struct {
    int32_t w01, w12, multiplier, round, right, step;
} plane_weight_row;
#define PLANE_WEIGHT_ROW 24 /* sizeof (plane_weight_row), for the asm */

/* One channel's weight rows for the filter rows 0, 1, 2, 0, 1, so that any 3 consecutive rows are the
 * filter rotated to a phase of the ring. */
typedef struct {
    plane_weight_row row[5];
} plane_weights;

typedef const plane_weight_row *plane_rows; /* 3 consecutive rows of a plane_weights */

/* What a channel's output rows need besides its weight rows: twice the bias with the offset folded
 * in, the activation range and the outputs of a row. */
typedef struct {
    int32_t bias2, lo, hi, out_w;
} plane_requant;

static inline int32_t plane_pair16(int32_t bottom, int32_t top)
{
    int32_t pair;
    __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(pair) : "r"(bottom), "r"(top));
    return pair;
}

/* The channel's weights, tap i of filter row r at weights[r * row_tap + i * tap] (the rows of the ring's
 * orientation). Returns the sum of the 9 taps. */
static int32_t plane_weights_of(const int8_t *weights, int32_t row_tap, int32_t tap, plane_weights *k)
{
    int32_t sum = 0;
    for (int32_t r = 0; r < 3; ++r, weights += row_tap) {
        const int32_t w0 = 2 * weights[0], w1 = 2 * weights[tap], w2 = 2 * weights[2 * tap];
        sum += w0 + w1 + w2;
        k->row[r].w01 = plane_pair16(w0, w1);
        k->row[r].w12 = plane_pair16(w1, w2);
    }
    for (int32_t r = 3; r < 5; ++r) {
        k->row[r].w01 = k->row[r - 3].w01;
        k->row[r].w12 = k->row[r - 3].w12;
    }
    return sum / 2;
}

/* One filter row of two neighbouring outputs in plane_pair's asm: the aligned pairs A, B `at` bytes
 * past q, the row's weights `kat` bytes past k. */
#define PLANE_ROW_ASM(at, kat)                                  \
    "ldrd %[xa], %[xb], [%[q], #" PLANE_AT(at) "]\n\t"          \
    "ldrd %[w01], %[w12], [%[k], #" PLANE_AT(kat) "]\n\t"       \
    "smlad %[a0], %[xa], %[w01], %[a0]\n\t"                     \
    "smlabt %[a0], %[xb], %[w12], %[a0]\n\t"                    \
    "smlatb %[a1], %[xa], %[w01], %[a1]\n\t"                    \
    "smlad %[a1], %[xb], %[w12], %[a1]\n\t"

/* a0 and a1 plus the 3x3 windows of two neighbouring outputs, q (4-byte aligned) at the first one's
 * top left: 12 multiplies, 3 input and 3 weight loads; in asm, because gcc spills the weights and
 * the row pointers of the C. */
static inline __attribute__((always_inline)) void plane_pair(const int16_t *q, plane_rows k, int32_t *a0,
                                                              int32_t *a1)
{
    int32_t xa, xb, w01, w12;
    __asm(PLANE_ROW_ASM(0, 0)
          PLANE_ROW_ASM(PLANE_ROW_BYTES, PLANE_WEIGHT_ROW)
          PLANE_ROW_ASM(2 * PLANE_ROW_BYTES, 2 * PLANE_WEIGHT_ROW)
          : [a0] "+r"(*a0), [a1] "+r"(*a1), [xa] "=&r"(xa), [xb] "=&r"(xb), [w01] "=&r"(w01), [w12] "=&r"(w12)
          : [q] "r"(q), [k] "r"(k), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES])q),
            "m"(*(const plane_weight_row(*)[3])k));
}

/* The address of the first input pair of a filter row in the quads' asm: `at` bytes past q, or at q,
 * which then moves on by `step` bytes (the next pass's, in plane_quad_full's first row). */
#define PLANE_Q(at) "[%[q], #" PLANE_AT(at) "]"
#define PLANE_Q_PAST(step) "[%[q]], #" PLANE_AT(step)

/* One filter row of four neighbouring outputs in plane_quad's asm: the aligned pairs A, B at q0 and C
 * `at` + 8 bytes past q (C into A's register once A is done with: four registers of values and weights),
 * the row's weights `kat` bytes past k; each output's first multiply adds to its accumulator, or in the
 * first row to the bias (`from` = "b"). */
#define PLANE_ROW4_ASM(q0, at, kat, from0, from1, from2, from3) \
    "ldrd %[xa], %[xb], " q0 "\n\t"                             \
    "ldrd %[w01], %[w12], [%[k], #" PLANE_AT(kat) "]\n\t"       \
    "smlad %[a0], %[xa], %[w01], %[" from0 "]\n\t"              \
    "smlabt %[a0], %[xb], %[w12], %[a0]\n\t"                    \
    "smlatb %[a1], %[xa], %[w01], %[" from1 "]\n\t"             \
    "smlad %[a1], %[xb], %[w12], %[a1]\n\t"                     \
    "ldr %[xa], [%[q], #" PLANE_AT(at + 8) "]\n\t"              \
    "smlad %[a2], %[xb], %[w01], %[" from2 "]\n\t"              \
    "smlabt %[a2], %[xa], %[w12], %[a2]\n\t"                    \
    "smlatb %[a3], %[xb], %[w01], %[" from3 "]\n\t"             \
    "smlad %[a3], %[xa], %[w12], %[a3]\n\t"

/* a[0..3] = bias plus the 3x3 windows of four neighbouring outputs, q (4-byte aligned) at the first
 * one's top left: 24 multiplies, 6 input and 3 weight loads. */
static inline __attribute__((always_inline)) void plane_quad(const int16_t *q, plane_rows k, int32_t bias,
                                                              int32_t a[4])
{
    int32_t xa, xb, w01, w12;
    __asm(PLANE_ROW4_ASM(PLANE_Q(0), 0, 0, "b", "b", "b", "b")
          PLANE_ROW4_ASM(PLANE_Q(PLANE_ROW_BYTES), PLANE_ROW_BYTES, PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3")
          PLANE_ROW4_ASM(PLANE_Q(2 * PLANE_ROW_BYTES), 2 * PLANE_ROW_BYTES, 2 * PLANE_WEIGHT_ROW, "a0", "a1", "a2",
                         "a3")
          : [a0] "=&r"(a[0]), [a1] "=&r"(a[1]), [a2] "=&r"(a[2]), [a3] "=&r"(a[3]), [xa] "=&r"(xa), [xb] "=&r"(xb),
            [w01] "=&r"(w01), [w12] "=&r"(w12)
          : [q] "r"(q), [k] "r"(k), [b] "r"(bias), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES])q),
            "m"(*(const plane_weight_row(*)[3])k));
}

/* One filter row of four outputs two values apart in plane_quad_s2's asm: the aligned pairs A, B at q0
 * and C..E `at` + 8 bytes past q on (three registers: each pair is dead after its second output), the
 * row's weights `kat` bytes past k. Output j is P_j.(w0, w1) + x_(2j+2) w2, with P_j = (x_2j, x_(2j+1)). */
#define PLANE_ROW4_S2_ASM(q0, at, kat, from0, from1, from2, from3) \
    "ldrd %[xa], %[xb], " q0 "\n\t"                                \
    "ldrd %[w01], %[w12], [%[k], #" PLANE_AT(kat) "]\n\t"       \
    "smlad %[a0], %[xa], %[w01], %[" from0 "]\n\t"              \
    "smlabt %[a0], %[xb], %[w12], %[a0]\n\t"                    \
    "ldrd %[xa], %[xc], [%[q], #" PLANE_AT(at + 8) "]\n\t"      \
    "smlad %[a1], %[xb], %[w01], %[" from1 "]\n\t"              \
    "smlabt %[a1], %[xa], %[w12], %[a1]\n\t"                    \
    "smlad %[a2], %[xa], %[w01], %[" from2 "]\n\t"              \
    "smlabt %[a2], %[xc], %[w12], %[a2]\n\t"                    \
    "ldr %[xb], [%[q], #" PLANE_AT(at + 16) "]\n\t"             \
    "smlad %[a3], %[xc], %[w01], %[" from3 "]\n\t"              \
    "smlabt %[a3], %[xb], %[w12], %[a3]\n\t"

/* plane_quad for stride 2: the windows of four outputs start 2 values apart; 24 multiplies, 9 input
 * and 3 weight loads. */
static inline __attribute__((always_inline)) void plane_quad_s2(const int16_t *q, plane_rows k, int32_t bias,
                                                                 int32_t a[4])
{
    int32_t xa, xb, xc, w01, w12;
    __asm(PLANE_ROW4_S2_ASM(PLANE_Q(0), 0, 0, "b", "b", "b", "b")
          PLANE_ROW4_S2_ASM(PLANE_Q(PLANE_ROW_BYTES), PLANE_ROW_BYTES, PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3")
          PLANE_ROW4_S2_ASM(PLANE_Q(2 * PLANE_ROW_BYTES), 2 * PLANE_ROW_BYTES, 2 * PLANE_WEIGHT_ROW, "a0", "a1",
                            "a2", "a3")
          : [a0] "=&r"(a[0]), [a1] "=&r"(a[1]), [a2] "=&r"(a[2]), [a3] "=&r"(a[3]), [xa] "=&r"(xa), [xb] "=&r"(xb),
            [xc] "=&r"(xc), [w01] "=&r"(w01), [w12] "=&r"(w12)
          : [q] "r"(q), [k] "r"(k), [b] "r"(bias), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES])q),
            "m"(*(const plane_weight_row(*)[3])k));
}

/* The four sums a0..a3 (doubled, with the bias) requantised into [-128, 127] in the quad's asm (as
 * tc_shift_clamp) and stored k->step bytes apart from o, which moves past them; the registers named
 * m, rnd, sh, st and t are free for the scale. tc_shift_clamp's x + (x < 0) + round is one SMMLAR
 * (x + round) and the sum's sign: with a multiplier of 0 or more x has the sum's sign, or is 0, where
 * (round - 1) >> right and round >> right are both the zero point (right >= 1; tests/test_requant_proof.py). */
#define PLANE_REQUANT4_ASM(m, rnd, sh, st, t)                                       \
    "ldrd %[" m "], %[" rnd "], [%[k], #8]\n\t"  /* multiplier, round */          \
    "ldrd %[" sh "], %[" st "], [%[k], #16]\n\t" /* right, step */                \
    "smmlar %[" t "], %[a0], %[" m "], %[" rnd "]\n\t"                             \
    "add %[a0], %[" t "], %[a0], asr #31\n\t"                                     \
    "smmlar %[" t "], %[a1], %[" m "], %[" rnd "]\n\t"                             \
    "add %[a1], %[" t "], %[a1], asr #31\n\t"                                     \
    "smmlar %[" t "], %[a2], %[" m "], %[" rnd "]\n\t"                             \
    "add %[a2], %[" t "], %[a2], asr #31\n\t"                                     \
    "smmlar %[" t "], %[a3], %[" m "], %[" rnd "]\n\t"                             \
    "add %[a3], %[" t "], %[a3], asr #31\n\t"                                     \
    "asr %[a0], %[a0], %[" sh "]\n\t"                                             \
    "asr %[a1], %[a1], %[" sh "]\n\t"                                             \
    "asr %[a2], %[a2], %[" sh "]\n\t"                                             \
    "asr %[a3], %[a3], %[" sh "]\n\t"                                             \
    "ssat %[a0], #8, %[a0]\n\t"                                                   \
    "ssat %[a1], #8, %[a1]\n\t"                                                   \
    "ssat %[a2], #8, %[a2]\n\t"                                                   \
    "ssat %[a3], #8, %[a3]\n\t"                                                   \
    "strb %[a0], [%[o]]\n\t"                                                      \
    "strb %[a1], [%[o], %[" st "]]\n\t"                                           \
    "add %[o], %[o], %[" st "], lsl #1\n\t"                                       \
    "strb %[a2], [%[o]]\n\t"                                                      \
    "strb %[a3], [%[o], %[" st "]]\n\t"                                           \
    "add %[o], %[o], %[" st "], lsl #1"

/* plane_quad_full's asm with the filter-row macro ROW (PLANE_ROW4_ASM or PLANE_ROW4_S2_ASM) and the pass's
 * `step` in input bytes, which the first load moves q on by (its later loads are `step` bytes nearer). */
#define PLANE_QUAD_FULL_ASM(ROW, step)                                                                    \
    __asm(ROW(PLANE_Q_PAST(step), -step, 0, "b", "b", "b", "b")                                         \
          ROW(PLANE_Q(PLANE_ROW_BYTES - step), PLANE_ROW_BYTES - step, PLANE_WEIGHT_ROW, "a0", "a1", "a2",  \
              "a3")                                                                                       \
          ROW(PLANE_Q(2 * PLANE_ROW_BYTES - step), 2 * PLANE_ROW_BYTES - step, 2 * PLANE_WEIGHT_ROW, "a0",  \
              "a1", "a2", "a3")                                                                           \
          PLANE_REQUANT4_ASM("xa", "xb", "w01", "w12", "xc")                                             \
          : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xa] "=&r"(xa), [xb] "=&r"(xb), \
            [xc] "=&r"(xc), [w01] "=&r"(w01), [w12] "=&r"(w12), [o] "+r"(*o), [q] "+r"(*q)                 \
          : [k] "r"(k), [b] "r"(bias), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES]) * q),                  \
            "m"(*(const plane_weight_row(*)[3])k)                                                        \
          : "memory")

/* plane_quad (or plane_quad_s2) into [-128, 127], the four outputs requantised and stored in the asm
 * (PLANE_REQUANT4_ASM), q and o moved past them. In C, gcc keeps 14 values live across the pass and
 * reloads the scale, the step and the output addresses from the stack, or after every byte store (stride
 * 1: 76 instructions a pass against 56 here, the bias from a register and the scale beside the weights). */
static inline __attribute__((always_inline)) void plane_quad_full(const int16_t **q, plane_rows k, int32_t bias,
                                                                   int8_t **o, const int stride)
{
    int32_t a0, a1, a2, a3, xa, xb, xc, w01, w12;
    if (stride == 1) {
        PLANE_QUAD_FULL_ASM(PLANE_ROW4_ASM, 8);
    } else {
        PLANE_QUAD_FULL_ASM(PLANE_ROW4_S2_ASM, 16);
    }
}

/* The 3x3 window of one output, q (4-byte aligned) at its top left (C: only an odd row's last output). */
static inline __attribute__((always_inline)) int32_t plane_one(const int16_t *q, plane_rows k, int32_t acc)
{
    const int16_t *q1 = q + PLANE_ROW_VALUES, *q2 = q1 + PLANE_ROW_VALUES;
    acc = __smlabt(plane_load(q + 2), k[0].w12, __smlad(plane_load(q), k[0].w01, acc));
    acc = __smlabt(plane_load(q1 + 2), k[1].w12, __smlad(plane_load(q1), k[1].w01, acc));
    return __smlabt(plane_load(q2 + 2), k[2].w12, __smlad(plane_load(q2), k[2].w01, acc));
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

/* tc_scale_fast of an accumulator that is already doubled with the bias in it. */
static inline int32_t plane_scaled(int32_t acc2, plane_rows s)
{
    const int32_t x = tc_smmulr(acc2, s->multiplier);
    return (x + (x >> 31) + s->round) >> s->right;
}

/* The outputs o[0] and o[s->step] of the doubled accumulators a0 and a1 (s: the channel's scale). */
static inline __attribute__((always_inline)) void plane_store2(int32_t a0, int32_t a1, plane_rows s, int8_t *o,
                                                                int32_t lo, int32_t hi, const int full)
{
    const int32_t c = s->step;
    if (full) {
        o[0] = tc_shift_clamp(tc_smmulr(a0, s->multiplier), s->round, s->right, lo, hi, full);
        o[c] = tc_shift_clamp(tc_smmulr(a1, s->multiplier), s->round, s->right, lo, hi, full);
    } else {
        const int32_t v = plane_clamp_pair(plane_scaled(a0, s), plane_scaled(a1, s), tc_dup16(lo), tc_dup16(hi));
        o[0] = (int8_t)v;
        o[c] = (int8_t)(v >> 16);
    }
}

/* One output row of the channel from its 3 padded input rows at q, four outputs a pass, then the
 * last 2 and 1, their windows `stride` values apart; o steps k->step bytes an output. Each accumulator
 * starts at twice the bias with the offset folded in (s->bias2) and sums doubled weights. */
static inline __attribute__((always_inline)) void plane_output_row(const int16_t *q, plane_rows k,
                                                                    const plane_requant *s, int8_t *o,
                                                                    const int full, const int stride)
{
    const int32_t c = k->step, bias2 = s->bias2, lo = s->lo, hi = s->hi, out_w = s->out_w;
    for (int32_t quads = out_w >> 2; quads > 0; --quads) {
        int32_t a[4];
        if (full) {
            plane_quad_full(&q, k, bias2, &o, stride);
            continue;
        }
        if (stride == 1) {
            plane_quad(q, k, bias2, a);
        } else {
            plane_quad_s2(q, k, bias2, a);
        }
        plane_store2(a[0], a[1], k, o, lo, hi, full);
        plane_store2(a[2], a[3], k, o + 2 * c, lo, hi, full);
        q += 4 * stride, o += 4 * c;
    }
    if (out_w & 2) {
        int32_t a0 = bias2, a1 = bias2;
        if (stride == 1) {
            plane_pair(q, k, &a0, &a1);
        } else {
            a0 = plane_one(q, k, a0), a1 = plane_one(q + 2, k, a1);
        }
        plane_store2(a0, a1, k, o, lo, hi, full);
        q += 2 * stride, o += 2 * c;
    }
    if (out_w & 1) {
        *o = tc_shift_clamp(tc_smmulr(plane_one(q, k, bias2), k->multiplier), k->round, k->right, lo, hi, full);
    }
}

/* n values of one channel (step bytes apart) to int16, four a step (two stores of pairs). */
static void plane_copy_row(const int8_t *src, int32_t step, int32_t n, int16_t *dst)
{
    for (; n >= 4; n -= 4, src += 4 * step, dst += 4) {
        const int32_t low = plane_pair16(src[0], src[step]), high = plane_pair16(src[2 * step], src[3 * step]);
        memcpy(dst, &low, sizeof low);
        memcpy(dst + 2, &high, sizeof high);
    }
    for (; n > 0; --n, src += step) {
        *dst++ = *src;
    }
}

/* One pixel pair of plane_copy_rows2's asm, the pixels at the addresses x0 and x1: the two channels'
 * halfwords as one word (a0, b0, a1, b1), split by SXTB16 into each channel's int16 pair, stored
 * PLANE_RING_BYTES apart. */
#define PLANE_PIXELS2_ASM(x0, x1)                               \
    "ldrh %[a], " x0 "\n\t"                                     \
    "ldrh %[b], " x1 "\n\t"                                     \
    "orr %[a], %[a], %[b], lsl #16\n\t"                         \
    "sxtb16 %[b], %[a], ror #8\n\t"                             \
    "sxtb16 %[a], %[a]\n\t"                                     \
    "str %[b], [%[d], #" PLANE_AT(PLANE_RING_BYTES) "]\n\t"     \
    "str %[a], [%[d]], #4\n\t"

/* n values of two neighbouring channels (src at the first one's; step bytes between values) to int16,
 * the first channel's at dst and the second's PLANE_RING_BYTES past it: one halfword load a pixel
 * for both, four pixels a step (17 instructions for 8 values, against 54 a channel at a time). */
static void plane_copy_rows2(const int8_t *src, int32_t step, int32_t n, int16_t *dst)
{
    const int32_t step3 = 3 * step;
    int32_t a, b;
    for (int32_t quads = n >> 2; quads > 0; --quads) {
        __asm(PLANE_PIXELS2_ASM("[%[s]]", "[%[s], %[step]]")
              PLANE_PIXELS2_ASM("[%[s], %[step], lsl #1]", "[%[s], %[step3]]")
              "add %[s], %[s], %[step], lsl #2"
              : [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(dst)
              : [step] "r"(step), [step3] "r"(step3)
              : "memory");
    }
    if (n & 2) {
        __asm(PLANE_PIXELS2_ASM("[%[s]]", "[%[s], %[step]]") "add %[s], %[s], %[step], lsl #1"
              : [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(dst)
              : [step] "r"(step)
              : "memory");
    }
    if (n & 1) {
        dst[0] = src[0];
        dst[PLANE_RING_VALUES] = src[1];
    }
}

/* n int16 copies of value from dst (any even address), two a word store. */
static void plane_fill(int16_t *dst, int32_t value, int32_t n)
{
    const int32_t pair = tc_dup16(value);
    for (; n >= 2; n -= 2, dst += 2) {
        memcpy(dst, &pair, sizeof pair);
        __asm volatile("");
    }
    if (n) {
        *dst = (int16_t)value;
    }
}

/* The plane as the ring walks it: by image rows, or by image columns (transposed) for a plane taller
 * than it is wide, so that the rows are longer. Byte steps between the rows and between the values of
 * a row, of the input and the output, the padding before the first row and column, the input values
 * of a row that the windows reach, and the weights' steps between filter rows and between taps. */
typedef struct {
    int32_t in_rows, in_row_step, in_step, out_rows, out_cols, out_row_step, out_step;
    int32_t pad_top, pad_left, inside, row_tap, tap;
} plane_geometry;

static plane_geometry plane_geometry_of(const tc_dims *in, const tc_dims *out, const tc_window *win,
                                        int32_t stride, const int transposed)
{
    const int32_t c = in->c, in_line = in->w * c, out_line = out->w * c;
    plane_geometry g = {in->h, in_line, c, out->h, out->w, out_line, c, win->pad_top, win->pad_left, in->w, 3 * c, c};
    if (transposed) {
        const plane_geometry t = {in->w, c, in_line, out->w, out->h, c, out_line, win->pad_left, win->pad_top, in->h,
                                  c, 3 * c};
        g = t;
    }
    const int32_t reach = stride * (g.out_cols - 1) + 3 - g.pad_left; /* input values the windows reach */
    g.inside = reach < g.inside ? reach : g.inside;
    return g;
}

/* One output row of a channel (plane_output_row), a function for each stride and range, so that its
 * loop has the registers to itself. */
typedef void (*plane_row_fn)(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o);

#define PLANE_ROW_FN(name, full, stride)                                                       \
    static __attribute__((noinline)) void name(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o) \
    {                                                                                          \
        plane_output_row(q, k, s, o, full, stride);                                            \
    }
PLANE_ROW_FN(plane_row_s1_full, 1, 1)
PLANE_ROW_FN(plane_row_s1, 0, 1)
PLANE_ROW_FN(plane_row_s2_full, 1, 2)
PLANE_ROW_FN(plane_row_s2, 0, 2)

/* What every channel of the layer shares. */
typedef struct {
    const int8_t *input, *weights;
    int8_t *output;
    const tc_dims *in, *out;
    const plane_geometry *g;
    const tc_output_params *p;
    int16_t *rows; /* the rings of two channels, PLANE_RING_VALUES apart */
    int32_t offset, stride;
    plane_row_fn output_row;
} plane_layer;

/* Channel ch's weights and scale (k) and the rest of its requantisation (r), the input offset folded
 * into the bias. */
static void plane_channel_of(const plane_layer *l, int32_t ch, plane_weights *k, plane_requant *r)
{
    tc_channel_scale s;
    const tc_output_params *p = l->p;
    const int32_t sum = plane_weights_of(l->weights + ch, l->g->row_tap, l->g->tap, k);
    const int32_t bias2 = 2 * ((p->bias ? p->bias[ch] : 0) + l->offset * sum);
    tc_channel_scales(p, ch, 1, &s);
    const plane_requant requant = {bias2, p->min, p->max, l->g->out_cols};
    for (int32_t j = 0; j < 3; ++j) {
        k->row[j].multiplier = s.multiplier, k->row[j].round = s.round, k->row[j].right = s.right;
        k->row[j].step = l->g->out_step;
    }
    *r = requant;
}

/* Channels ch to ch + count - 1 (1 or 2) of the whole output, batch by batch, channel j in the ring at
 * rows + j * PLANE_RING_VALUES: two channels' rows are copied in one walk of the image. Padded row r
 * (input row r - pad_top, padding outside the image) lives in row r % 3 of the ring: the window of
 * output row (r - 2) / stride, made once r - 2 is a multiple of the stride, has its filter row j in
 * ring row (r + 1 + j) % 3, so its weights are the filter rows from (2 - r % 3) on. In place, a
 * channel's outputs overwrite only its own input values, in the order one channel at a time would. */
static void plane_channels_at(const plane_layer *l, int32_t ch, int32_t count)
{
    const plane_geometry *g = l->g;
    const int32_t stride = l->stride, last = stride * (g->out_rows - 1) + 3;
    plane_weights k[2];
    plane_requant requant[2];
    plane_channel_of(l, ch, &k[0], &requant[0]);
    if (count == 2) {
        plane_channel_of(l, ch + 1, &k[1], &requant[1]);
    }
    for (int32_t b = 0; b < l->out->n; ++b) {
        const int8_t *plane_in = l->input + b * l->in->h * l->in->w * l->in->c + ch;
        int8_t *o = l->output + b * l->out->h * l->out->w * l->out->c + ch; /* the output row's */
        int32_t ring = 0; /* r % 3 */
        for (int32_t r = 0; r < last; ++r) {
            int16_t *row = l->rows + ring * PLANE_ROW_VALUES + g->pad_left;
            const int32_t y = r - g->pad_top;
            if ((uint32_t)y < (uint32_t)g->in_rows && count == 2) {
                plane_copy_rows2(plane_in + y * g->in_row_step, g->in_step, g->inside, row);
            } else if ((uint32_t)y < (uint32_t)g->in_rows) {
                plane_copy_row(plane_in + y * g->in_row_step, g->in_step, g->inside, row);
            } else {
                plane_fill(row, -l->offset, g->inside);
                plane_fill(row + PLANE_RING_VALUES, -l->offset, g->inside);
            }
            if (r >= 2 && (stride == 1 || (r & 1) == 0)) {
                l->output_row(l->rows, &k[0].row[2 - ring], &requant[0], o);
                if (count == 2) {
                    l->output_row(l->rows + PLANE_RING_VALUES, &k[1].row[2 - ring], &requant[1], o + 1);
                }
                o += g->out_row_step;
            }
            ring = ring == 2 ? 0 : ring + 1;
        }
    }
}

/* Whether the output bytes overlap the input's (the planner put the op in place). */
static int plane_in_place(const int8_t *input, const tc_dims *in, const int8_t *output, const tc_dims *out)
{
    const uintptr_t i = (uintptr_t)input, o = (uintptr_t)output;
    return o < i + (uintptr_t)(in->n * in->h * in->w * in->c) && i < o + (uintptr_t)(out->n * out->h * out->w * out->c);
}

void tc_depthwise_plane_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p)
{
    int16_t rows[2 * PLANE_RING_VALUES] __attribute__((aligned(4))); /* two channels' rings */
    const int32_t offset = -io->input_zero_point, stride = win->stride_w;
    /* transposed writes whole columns first: never in place, whose safety needs raster order */
    const int transposed = out->h > out->w && plane_row_length(out->h, stride) <= PLANE_ROW_VALUES
                           && !plane_in_place(input, in, output, out);
    const plane_geometry g = plane_geometry_of(in, out, win, stride, transposed);
    const int full = p->min == -128 && p->max == 127;
    const plane_row_fn output_row = stride == 1 ? (full ? plane_row_s1_full : plane_row_s1)
                                                : (full ? plane_row_s2_full : plane_row_s2);
    const plane_layer layer = {input, weights, output, in, out, &g, p, rows, offset, stride, output_row};
    for (int32_t r = 0; r < 6; ++r) { /* the padding the copies leave: as far as the windows reach */
        plane_fill(rows + r * PLANE_ROW_VALUES, -offset, plane_row_length(g.out_cols, stride));
    }
    for (int32_t ch = 0; ch < in->c; ch += 2) {
        plane_channels_at(&layer, ch, in->c - ch >= 2 ? 2 : 1);
    }
}
#endif
