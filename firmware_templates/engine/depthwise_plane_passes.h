/* The passes of the channel-plane depthwise kernel's output rows (depthwise_plane_rows.c), in asm: four outputs a
 * pass along a ring's rows, six or three along a small plane's, requantised in the asm into [-128, 127]; the last 2
 * and 1 and a narrower range in C. Private to depthwise_plane_rows.c, which instantiates them for any output step,
 * and to a generated model.c, which instantiates them for a layer's step (its channel count) as an asm immediate
 * (depthwise_plane_walks.h): each output then stored by an STRB with an immediate offset, one cycle against two with
 * the step in a register (MobileNet's depthwise layers on the M4: 2.49 -> 2.35 M estimated cycles). */
#ifndef DEPTHWISE_PLANE_PASSES_H
#define DEPTHWISE_PLANE_PASSES_H

#include "depthwise_plane_hex.h"

#if TC_DSP
/* Two int16 values from any even address (one word load; unaligned ones are fine on these cores). */
static inline int32_t plane_load(const int16_t *q)
{
    int32_t v;
    memcpy(&v, q, sizeof v);
    return v;
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

/* The start of a filter row of four outputs in plane_quad's asm: the input pairs P0, P1, P2 from q0 on
 * (P1 and P2 `at` + 4 and + 8 bytes past q) and the row's weights `kat` bytes past k, loaded back to back
 * (each load after the first pipelines: 6 cycles for the 5 words, against 8 as two LDRDs and an LDR), and
 * output 0's P0.(w0, w1) + x2 w2, added to its sum or in the first row to the bias (`from0` = "b"). */
#define PLANE_ROW4_START_ASM(q0, at, kat, from0)               \
    "ldr %[xa], " q0 "\n\t"                                      \
    "ldr %[xb], [%[q], #" PLANE_AT(at + 4) "]\n\t"              \
    "ldr %[xc], [%[q], #" PLANE_AT(at + 8) "]\n\t"              \
    "ldr %[w01], [%[k], #" PLANE_AT(kat) "]\n\t"                \
    "ldr %[w12], [%[k], #" PLANE_AT(kat + 4) "]\n\t"            \
    "smlad %[a0], %[xa], %[w01], %[" from0 "]\n\t"              \
    "smlabt %[a0], %[xb], %[w12], %[a0]\n\t"

/* One filter row of four neighbouring outputs in plane_quad's asm (PLANE_ROW4_START_ASM, then outputs
 * 1..3: x1 w0 + P1.(w1, w2), P1.(w0, w1) + x4 w2 and x3 w0 + P2.(w1, w2)). */
#define PLANE_ROW4_ASM(q0, at, kat, from0, from1, from2, from3) \
    PLANE_ROW4_START_ASM(q0, at, kat, from0)                     \
    "smlatb %[a1], %[xa], %[w01], %[" from1 "]\n\t"             \
    "smlad %[a1], %[xb], %[w12], %[a1]\n\t"                     \
    "smlad %[a2], %[xb], %[w01], %[" from2 "]\n\t"              \
    "smlabt %[a2], %[xc], %[w12], %[a2]\n\t"                    \
    "smlatb %[a3], %[xb], %[w01], %[" from3 "]\n\t"             \
    "smlad %[a3], %[xc], %[w12], %[a3]\n\t"

/* One filter row of four outputs two values apart in plane_quad's asm at stride 2 (PLANE_ROW4_START_ASM,
 * then P3 and P4 `at` + 12 and + 16 bytes past q into the registers of P0 and P1, dead after their
 * outputs: 9 load cycles, against 11 as LDRDs). Output j is P_j.(w0, w1) + x_(2j+2) w2, with
 * P_j = (x_2j, x_(2j+1)). */
#define PLANE_ROW4_S2_ASM(q0, at, kat, from0, from1, from2, from3) \
    PLANE_ROW4_START_ASM(q0, at, kat, from0)                        \
    "smlad %[a1], %[xb], %[w01], %[" from1 "]\n\t"                 \
    "smlabt %[a1], %[xc], %[w12], %[a1]\n\t"                       \
    "ldr %[xa], [%[q], #" PLANE_AT(at + 12) "]\n\t"                \
    "ldr %[xb], [%[q], #" PLANE_AT(at + 16) "]\n\t"                \
    "smlad %[a2], %[xc], %[w01], %[" from2 "]\n\t"                 \
    "smlabt %[a2], %[xa], %[w12], %[a2]\n\t"                       \
    "smlad %[a3], %[xa], %[w01], %[" from3 "]\n\t"                 \
    "smlabt %[a3], %[xb], %[w12], %[a3]\n\t"

/* plane_quad's asm with the filter-row macro ROW (PLANE_ROW4_ASM or PLANE_ROW4_S2_ASM). */
#define PLANE_QUAD_ASM(ROW)                                                                                   \
    __asm(ROW(PLANE_Q(0), 0, 0, "b", "b", "b", "b")                                                          \
          ROW(PLANE_Q(PLANE_ROW_BYTES), PLANE_ROW_BYTES, PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3")           \
          ROW(PLANE_Q(2 * PLANE_ROW_BYTES), 2 * PLANE_ROW_BYTES, 2 * PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3") \
          : [a0] "=&r"(a[0]), [a1] "=&r"(a[1]), [a2] "=&r"(a[2]), [a3] "=&r"(a[3]), [xa] "=&r"(xa),            \
            [xb] "=&r"(xb), [xc] "=&r"(xc), [w01] "=&r"(w01), [w12] "=&r"(w12)                                \
          : [q] "r"(q), [k] "r"(k), [b] "r"(bias), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES])q),          \
            "m"(*(const plane_weight_row(*)[3])k))

/* a[0..3] = bias plus the 3x3 windows of four outputs `stride` values apart, q (4-byte aligned) at the
 * first one's top left: 24 multiplies, 9 (stride 1) or 15 input and 6 weight loads. */
static inline __attribute__((always_inline)) void plane_quad(const int16_t *q, plane_rows k, int32_t bias,
                                                              int32_t a[4], const int stride)
{
    int32_t xa, xb, xc, w01, w12;
    if (stride == 1) {
        PLANE_QUAD_ASM(PLANE_ROW4_ASM);
    } else {
        PLANE_QUAD_ASM(PLANE_ROW4_S2_ASM);
    }
}

/* The four sums a0..a3 (doubled, with the bias) requantised into [-128, 127] in the quad's asm (as
 * tc_shift_clamp) and stored k->step bytes apart from o, which moves past them; the registers named
 * m, rnd, sh, st and t are free for the scale. tc_shift_clamp's x + (x < 0) + round is one SMMLAR
 * (x + round) and the sum's sign: with a multiplier of 0 or more x has the sum's sign, or is 0, where
 * (round - 1) >> right and round >> right are both the zero point (right >= 1; tests/test_requant_proof.py). */
#define PLANE_REQUANT4_ASM(m, rnd, sh, st, t)                                                              \
    PLANE_SCALE_LOAD_ASM(m, rnd, sh, st) PLANE_SCALE4_ASM(m, rnd, sh, t)                                    \
    PLANE_STORE2_ASM("a0", "a1", st) PLANE_STORE2_ASM("a2", "a3", st)
/* The four sums rounded and shifted in their registers (the scale in m, rnd and sh). */
#define PLANE_SCALE4_ASM(m, rnd, sh, t)                                                                    \
    PLANE_ROUND_ASM("a0", m, rnd, t) PLANE_ROUND_ASM("a1", m, rnd, t) PLANE_ROUND_ASM("a2", m, rnd, t)      \
    PLANE_ROUND_ASM("a3", m, rnd, t)                                                                       \
    PLANE_SHIFT_ASM("a0", sh) PLANE_SHIFT_ASM("a1", sh) PLANE_SHIFT_ASM("a2", sh) PLANE_SHIFT_ASM("a3", sh)
/* PLANE_REQUANT4_ASM where the output step is the asm immediate [step] (a layer's, TC_PLANE_RING_AT): no step loaded,
 * each output stored by a post-indexed STRB (one cycle, against two with a register offset, and no ADDs). */
#define PLANE_REQUANT4_AT_ASM(m, rnd, sh, t)                                                               \
    PLANE_SCALE_LOAD3_ASM(m, rnd, sh) PLANE_SCALE4_ASM(m, rnd, sh, t)                                      \
    "strb %[a0], [%[o]], %[step]\n\t"                                                                      \
    "strb %[a1], [%[o]], %[step]\n\t"                                                                      \
    "strb %[a2], [%[o]], %[step]\n\t"                                                                      \
    "strb %[a3], [%[o]], %[step]\n\t"

/* The filter rows of plane_quad_full's asm, ROW the filter-row macro (PLANE_ROW4_ASM or PLANE_ROW4_S2_ASM) and
 * `in_step` the pass's step in input bytes, which the first load moves q on by (its later loads are `in_step` bytes
 * nearer). */
#define PLANE_QUAD_ROWS_ASM(ROW, in_step)                                                                    \
    ROW(PLANE_Q_PAST(in_step), -in_step, 0, "b", "b", "b", "b")                                              \
    ROW(PLANE_Q(PLANE_ROW_BYTES - in_step), PLANE_ROW_BYTES - in_step, PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3") \
    ROW(PLANE_Q(2 * PLANE_ROW_BYTES - in_step), 2 * PLANE_ROW_BYTES - in_step, 2 * PLANE_WEIGHT_ROW, "a0", "a1",  \
        "a2", "a3")
#define PLANE_QUAD_FULL_OUTPUTS                                                                               \
    [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xa] "=&r"(xa), [xb] "=&r"(xb),            \
        [xc] "=&r"(xc), [w01] "=&r"(w01), [w12] "=&r"(w12), [o] "+r"(*o), [q] "+r"(*q)
#define PLANE_QUAD_FULL_INPUTS                                                                                \
    [k] "r"(k), [b] "r"(bias), "m"(*(const int16_t(*)[3 * PLANE_ROW_VALUES]) * q), "m"(*(const plane_weight_row(*)[3])k)
/* plane_quad_full's asm: its filter rows, then the sums requantised and stored with the step from the scale, or
 * (AT) with the step `out_step` as an immediate; volatile, as its stores are no operand: a last pass of a loop of
 * known length, whose q and o are dead after it, is not to be dropped. */
#define PLANE_QUAD_FULL_ASM(ROW, in_step)                                                                    \
    __asm volatile(PLANE_QUAD_ROWS_ASM(ROW, in_step) PLANE_REQUANT4_ASM("xa", "xb", "w01", "w12", "xc")       \
                   : PLANE_QUAD_FULL_OUTPUTS                                                                  \
                   : PLANE_QUAD_FULL_INPUTS                                                                   \
                   : "memory")
#define PLANE_QUAD_FULL_AT_ASM(ROW, in_step)                                                                 \
    __asm volatile(PLANE_QUAD_ROWS_ASM(ROW, in_step) PLANE_REQUANT4_AT_ASM("xa", "xb", "w01", "xc")           \
                   : PLANE_QUAD_FULL_OUTPUTS                                                                  \
                   : PLANE_QUAD_FULL_INPUTS, [step] "i"(out_step)                                             \
                   : "memory")

/* plane_quad into [-128, 127], the four outputs requantised and stored in the asm
 * (PLANE_REQUANT4_ASM), q and o moved past them. In C, gcc keeps 14 values live across the pass and
 * reloads the scale, the step and the output addresses from the stack, or after every byte store (stride
 * 1: 76 instructions a pass against 56 here, the bias from a register and the scale beside the weights). */
static inline __attribute__((always_inline)) void plane_quad_full(const int16_t **q, plane_rows k, int32_t bias,
                                                                   int8_t **o, const int stride, const int out_step)
{
    int32_t a0, a1, a2, a3, xa, xb, xc, w01, w12;
    if (stride == 1 && out_step) {
        PLANE_QUAD_FULL_AT_ASM(PLANE_ROW4_ASM, 8);
    } else if (out_step) {
        PLANE_QUAD_FULL_AT_ASM(PLANE_ROW4_S2_ASM, 16);
    } else if (stride == 1) {
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

/* The last outputs of a row of TC_PLANE_RING_AT's, from where its passes of four left q and o: by the row function for
 * any step with no passes of four (a call for the rows that have them alone). */
static __attribute__((noinline, unused)) void plane_row_rest(const int16_t *q, plane_rows k, const plane_requant *s,
                                                             int8_t *o, const int stride)
{
    plane_requant last = *s;
    last.quads = 0;
    (stride == 1 ? tc_plane_row_s1_full : tc_plane_row_s2_full)(q, k, &last, o);
}

/* One output row of the channel from its 3 padded input rows at q, four outputs a pass (s->quads), then
 * the last 2 and 1 (s->tail), or the last 6 in one pass (tail PLANE_TAIL_HEX); the windows `stride`
 * values apart, o stepping k->step bytes an output, or `out_step` bytes (TC_PLANE_RING_AT: its passes of four with
 * the step an immediate, its last outputs by the row function for any step, from where they left q and o). Each
 * accumulator starts at twice the bias with the offset folded in (s->bias2) and sums doubled weights. */
static inline __attribute__((always_inline)) void plane_output_row(const int16_t *q, plane_rows k,
                                                                    const plane_requant *s, int8_t *o,
                                                                    const int full, const int stride,
                                                                    const int out_step)
{
    const int32_t c = k->step, bias2 = s->bias2, lo = s->lo, hi = s->hi, tail = s->tail;
    for (int32_t quads = s->quads; quads > 0; --quads) {
        int32_t a[4];
        if (full) {
            plane_quad_full(&q, k, bias2, &o, stride, out_step);
            continue;
        }
        plane_quad(q, k, bias2, a, stride);
        plane_store2(a[0], a[1], k, o, lo, hi, full);
        plane_store2(a[2], a[3], k, o + 2 * c, lo, hi, full);
        q += 4 * stride, o += 4 * c;
    }
    if (out_step) {
        if (tail) {
            plane_row_rest(q, k, s, o, stride);
        }
        return;
    }
    if (full && stride == 1 && tail == PLANE_TAIL_HEX) {
        plane_hex_full(q, k, bias2, o, PLANE_ROW_BYTES, 1, 0);
        return;
    }
    if (tail & 2) {
        int32_t a0 = bias2, a1 = bias2;
        if (stride == 1) {
            plane_pair(q, k, &a0, &a1);
        } else {
            a0 = plane_one(q, k, a0), a1 = plane_one(q + 2, k, a1);
        }
        plane_store2(a0, a1, k, o, lo, hi, full);
        q += 2 * stride, o += 2 * c;
    }
    if (tail & 1) {
        *o = tc_shift_clamp(tc_smmulr(plane_one(q, k, bias2), k->multiplier), k->round, k->right, lo, hi, full);
    }
}

/* One channel's rows of a small plane (tc_plane_small_rows), `width` and `stride` the shape's (constants where
 * depthwise_plane_walks.h TC_PLANE_SMALL_AT instantiates it), `out_step` as in plane_hex_full. Inline: a call of its
 * own cost a pair's pushes and pops again. */
static inline __attribute__((always_inline)) void plane_small_channel_rows(const int16_t *q, plane_rows k,
                                                                           int32_t bias2, int8_t *o,
                                                                           const plane_small_shape *shape,
                                                                           const int32_t width, const int32_t stride,
                                                                           const int out_step)
{
    const int32_t row_step = shape->row_step;
    int32_t rows = shape->rows;
    if (width == 3) { /* rows of 3 in rows of PLANE_SMALL_ROW_BYTES, each pass `stride` padded rows on */
        for (const int32_t next = stride * PLANE_SMALL_ROW_BYTES / 2; rows > 0; --rows, q += next, o += row_step) {
            plane_tri_full(q, k, bias2, o, stride, out_step);
        }
        return;
    }
    if (stride == 2) { /* rows of 6, each pass two padded rows on */
        for (; rows > 0; --rows, q += PLANE_SMALL12_ROW_BYTES, o += row_step) {
            plane_hex_full(q, k, bias2, o, PLANE_SMALL12_ROW_BYTES, 2, out_step);
        }
        return;
    }
    if (width == 12) { /* two passes a row, the second's window 6 values on and its outputs 6 pixels on */
        const int32_t six = 6 * (out_step ? out_step : k->step);
        for (; rows > 0; --rows, q += PLANE_SMALL12_ROW_BYTES / 2, o += row_step) {
            plane_hex_full(q, k, bias2, o, PLANE_SMALL12_ROW_BYTES, 1, out_step);
            plane_hex_full(q + 6, k, bias2, o + six, PLANE_SMALL12_ROW_BYTES, 1, out_step);
        }
        return;
    }
    for (; rows > 0; --rows, q += PLANE_SMALL_ROW_BYTES / 2, o += row_step) {
        plane_hex_full(q, k, bias2, o, PLANE_SMALL_ROW_BYTES, 1, out_step);
    }
}

#endif

#endif
