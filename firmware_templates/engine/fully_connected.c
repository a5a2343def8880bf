/* FULLY_CONNECTED, int8 with symmetric (zero-point 0) weights, per-tensor or per-channel; the weights
 * as they are (tc_fully_connected_s8) or pre-widened to int16 (tc_fully_connected_wide_s8). */
#include "fully_connected_shared.h"

/* One weight row's word against the input pairs in fc_block's asm. */
#define FC_ROW_ASM(w, a)                                  \
    "ldr %[k], [%[" w "]], #4\n\t"                        \
    "sxtb16 %[ke], %[k]\n\t"                              \
    "sxtb16 %[k], %[k], ror #8\n\t"                       \
    "smlad %[" a "], %[ke], %[xe], %[" a "]\n\t"          \
    "smlad %[" a "], %[k], %[xo], %[" a "]\n\t"

#if TC_DSP
#define FC_CHUNK 32       /* units whose sums go to the output functions together: fewer calls */

static const int32_t fc_no_bias[4] = {0, 0, 0, 0}; /* where a block's sums start without a bias */

/* acc[k] = start[k] + weight row k (rows `depth` bytes apart) against the expanded input row: per group of 4
 * inputs one LDRD of the input's int16 pairs, then one word and two SMLADs per row. The loop is in
 * asm because it needs all 14 allocatable registers, and gcc spills two of them. */
static inline __attribute__((always_inline)) void
fc_block(const int32_t *lanes, const int32_t *tail, const int8_t *w0, int32_t depth, int32_t groups, int32_t rest,
         const int32_t start[4], int32_t acc[4])
{
    const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    int32_t a0 = start[0], a1 = start[1], a2 = start[2], a3 = start[3], xe, xo, k, ke;
    if (groups > 0) {
        __asm volatile(
            "1:\n\t"
            "ldrd %[xe], %[xo], [%[lanes]], #8\n\t"
            FC_ROW_ASM("w0", "a0")
            FC_ROW_ASM("w1", "a1")
            FC_ROW_ASM("w2", "a2")
            FC_ROW_ASM("w3", "a3")
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [lanes] "+r"(lanes), [w0] "+r"(w0),
              [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [n] "+r"(groups), [xe] "=&r"(xe), [xo] "=&r"(xo),
              [k] "=&r"(k), [ke] "=&r"(ke)
            :
            : "cc", "memory");
    }
    for (int32_t i = 0; i < rest; ++i) {
        a0 += w0[i] * tail[i], a1 += w1[i] * tail[i], a2 += w2[i] * tail[i], a3 += w3[i] * tail[i];
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* a + one weight row against the expanded input row: per group of 4 inputs one LDRD of their int16
 * pairs, one weight word and two SMLADs. */
static inline __attribute__((always_inline)) int32_t
fc_row(const int32_t *lanes, const int32_t *tail, const int8_t *w, int32_t groups, int32_t rest, int32_t a)
{
    int32_t xe, xo, k, ke;
    if (groups > 0) {
        __asm volatile(
            "1:\n\t"
            "ldrd %[xe], %[xo], [%[lanes]], #8\n\t"
            FC_ROW_ASM("w", "a")
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a] "+r"(a), [lanes] "+r"(lanes), [w] "+r"(w), [n] "+r"(groups), [xe] "=&r"(xe), [xo] "=&r"(xo),
              [k] "=&r"(k), [ke] "=&r"(ke)
            :
            : "cc", "memory");
    }
    for (int32_t i = 0; i < rest; ++i) {
        a += w[i] * tail[i];
    }
    return a;
}

/* The int8 outputs of n units from their sums with the bias (below 2^30: tc_output_params.fast) and one
 * scale for all (bias2 0): a function of its own, so that its loop has the registers to itself, with a
 * copy for the full int8 range. */
static __attribute__((noinline)) void fc_outputs_scaled(const int32_t *sums, int32_t n, const tc_channel_scale *s,
                                                        int32_t lo, int32_t hi, int8_t *output)
{
    if (lo == -128 && hi == 127) {
        for (int32_t k = 0; k < n; ++k) {
            output[k] = tc_output_scaled(sums[k], s, lo, hi, 1);
        }
    } else {
        for (int32_t k = 0; k < n; ++k) {
            output[k] = tc_output_scaled(sums[k], s, lo, hi, 0);
        }
    }
}

/* tc_requantize_dsp out of line: else gcc computes it beside tc_requantize_fast for every output. */
static __attribute__((noinline, cold)) int32_t fc_requantize_full(int32_t sum, int32_t multiplier, int32_t shift)
{
    return tc_requantize_dsp(sum, multiplier, shift);
}

/* tc_requantize of a sum with its bias: tc_requantize_fast in its range (|sum| < 2^30, shift in
 * [-31, 0]: compares with immediates), else fc_requantize_full. */
static inline __attribute__((always_inline)) int32_t fc_requantize(int32_t sum, int32_t multiplier, int32_t shift)
{
    const int fits = sum > -(INT32_C(1) << 30) && sum < (INT32_C(1) << 30) && (uint32_t)-shift <= 31u;
    return fits ? tc_requantize_fast(sum, multiplier, shift) : fc_requantize_full(sum, multiplier, shift);
}

/* One unit's output in the full int8 range into register a, its sum there, its multiplier m and right shift r:
 * tc_requantize_fast, tc_rounding_divide_small's last rounding step with the zero point (zp21 = 2 * zero point
 * + 1: adding 2 * zero point before the halving adds exactly the zero point; QADD, because near 2^31 the sum
 * would wrap where saturating gives what SSAT gives the exact value), SSAT. */
#define FC_OUTPUT_FULL_ASM(a, m, r)                                        \
    "lsls %[" a "], %[" a "], #1\n\t"                                     \
    "smmulr %[" a "], %[" a "], %[" m "]\n\t"                              \
    "lsrs %[t], %[" a "], #31\n\t"                                        \
    "rsb %[t], %[t], %[" a "], lsl #1\n\t"                                 \
    "asrs %[t], %[t], %[" r "]\n\t"                                        \
    "qadd %[t], %[t], %[zp21]\n\t"                                         \
    "asrs %[t], %[t], #1\n\t"                                              \
    "ssat %[" a "], #8, %[t]\n\t"

/* One unit of fc_outputs_full_fours' group, its multiplier in register m: its sum into a and its shift into r,
 * to label `out` if the sum is outside fc_requantize's fast range (-2^30, 2^30) (then bits 31 and 30 of
 * a + (a < 0 ? -1 : 0) differ: the negative flag) or the right shift outside [0, 31], else its output
 * stored. */
#define FC_OUTPUT_UNIT_ASM(m, out)                                         \
    "ldr %[a], [%[s]], #4\n\t"                                             \
    "ldr %[r], [%[r_at]], #4\n\t"                                          \
    "add %[t], %[a], %[a], asr #31\n\t"                                    \
    "eors %[t], %[t], %[t], lsl #1\n\t"                                    \
    "bmi " out "\n\t"                                                      \
    "rsb %[r], %[r], #0\n\t"                                               \
    "cmp %[r], #31\n\t"                                                    \
    "bhi " out "\n\t"                                                      \
    FC_OUTPUT_FULL_ASM("a", m, "r")                                        \
    "strb %[a], [%[o]], #1\n\t"

/* The full-range outputs of per-channel units four at a time from *sums, *multiplier and *shift to *output,
 * from at least four before `end` while four remain: each group's four multipliers read by one LDM before its
 * shifts (the two arrays often lie a multiple of the flash data buffer apart: read in turns, each would reopen
 * its line every time). Stops at a unit with a sum or shift outside fc_requantize's fast range; the pointers
 * say where. */
static inline __attribute__((always_inline)) void fc_outputs_full_fours(const int32_t **sums,
                                                                        const int32_t **multiplier,
                                                                        const int32_t **shift, int8_t **output,
                                                                        const int8_t *end, int32_t zero_point)
{
    const int32_t *s = *sums, *m = *multiplier, *r_at = *shift;
    const int8_t *last = end - 3;
    int8_t *o = *output;
    /* LDM fills its registers in ascending order: the multipliers' registers are fixed */
    register int32_t m0 __asm("r8"), m1 __asm("r9"), m2 __asm("r10"), m3 __asm("r11");
    int32_t a, r, t;
    __asm volatile(
        "1:\n\t"
        "ldmia %[m]!, {%[m0], %[m1], %[m2], %[m3]}\n\t"
        FC_OUTPUT_UNIT_ASM("m0", "5f")
        FC_OUTPUT_UNIT_ASM("m1", "6f")
        FC_OUTPUT_UNIT_ASM("m2", "7f")
        FC_OUTPUT_UNIT_ASM("m3", "8f")
        "cmp %[o], %[last]\n\t"
        "blo 1b\n\t"
        "b 9f\n"
        "5:\n\t"                        /* back to the unit outside the fast range */
        "subs %[m], %[m], #4\n"
        "6:\n\t"
        "subs %[m], %[m], #4\n"
        "7:\n\t"
        "subs %[m], %[m], #4\n"
        "8:\n\t"
        "subs %[m], %[m], #4\n\t"
        "subs %[s], %[s], #4\n\t"
        "subs %[r_at], %[r_at], #4\n"
        "9:"
        : [s] "+r"(s), [m] "+r"(m), [r_at] "+r"(r_at), [o] "+r"(o), [m0] "=&r"(m0), [m1] "=&r"(m1),
          [m2] "=&r"(m2), [m3] "=&r"(m3), [a] "=&r"(a), [r] "=&r"(r), [t] "=&r"(t)
        : [last] "r"(last), [zp21] "r"(2 * zero_point + 1)
        : "cc", "memory");
    *sums = s, *multiplier = m, *shift = r_at, *output = o;
}

/* The int8 outputs of units c .. c + n - 1 from their sums with the bias, each by its own multiplier
 * and shift (fc_requantize; tc_output_params.fast, per channel): in the full int8 range four at a
 * time (fc_outputs_full_fours) and each unit that they leave by fc_requantize, else one at a time. */
static __attribute__((noinline)) void fc_outputs_fast(const int32_t *sums, int32_t n, int32_t c,
                                                      const tc_output_params *p, int8_t *output)
{
    const int32_t zero_point = p->zero_point, lo = p->min, hi = p->max;
    const int32_t *multiplier = p->multiplier + c, *shift = p->shift + c;
    if (lo == -128 && hi == 127) {
        for (const int8_t *end = output + n; output != end; ) {
            if (end - output >= 4) {
                fc_outputs_full_fours(&sums, &multiplier, &shift, &output, end, zero_point);
            }
            if (output != end) {
                *output++ = (int8_t)__ssat(fc_requantize(*sums++, *multiplier++, *shift++) + zero_point, 8);
            }
        }
    } else {
        for (int32_t k = 0; k < n; ++k) {
            const int32_t v = fc_requantize(sums[k], multiplier[k], shift[k]) + zero_point;
            output[k] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
        }
    }
}

/* Whether the accumulators start from the bias: with one `scale` for all (`shared`) and per channel
 * with tc_output_params.fast (fc_outputs). */
static inline __attribute__((always_inline)) int fc_from_bias(const tc_output_params *p, const int shared)
{
    return shared || (p->fast && p->per_channel);
}

/* The int8 outputs of units u .. u + n - 1 from their sums (fc_from_bias): one `scale` for all when
 * `shared`, else fc_outputs_fast or tc_outputs_dsp (which adds the bias). */
static inline __attribute__((always_inline)) void fc_outputs(const int32_t *sums, int32_t n, int32_t u,
                                                             const tc_output_params *p,
                                                             const tc_channel_scale *scale, int8_t *output,
                                                             const int shared)
{
    if (shared) {
        fc_outputs_scaled(sums, n, scale, p->min, p->max, output);
    } else if (fc_from_bias(p, 0)) {
        fc_outputs_fast(sums, n, u, p, output);
    } else {
        tc_outputs_dsp(sums, n, u, p, output);
    }
}

/* tc_output_params_of, without its scans of the biases and shifts when the requantisation is per
 * channel: `fast` then says that the products and the first shift fit tc_requantize_fast, and
 * fc_requantize checks each sum with its bias and each shift. Per tensor, the shared scale
 * (tc_scale_fast) needs the scan. */
static tc_output_params fc_output_params(const int32_t *bias, int32_t units, int32_t depth, const tc_int8_io *io,
                                         const tc_requant *rq)
{
    const int per_channel = rq->count != 1;
    const tc_requant first = {rq->multiplier, rq->shift, 1};
    tc_output_params p = tc_output_params_of(per_channel ? 0 : bias, units, depth, io, per_channel ? &first : rq);
    p.bias = bias;
    p.per_channel = per_channel;
    return p;
}

/* One input row's outputs, four units at a time (up to FC_CHUNK per fc_outputs), then one at a time:
 * the row expanded to int16 pairs (lanes, tail: fc_block, fc_row) or, when `lanes` is NULL, read as it
 * is (tc_dot4_s8, tc_dot1_s8).
 * `shared` (a constant in each of the two copies the compiler makes): the requantisation is per tensor
 * and tc_scale_fast takes it. The accumulators start from the bias when fc_from_bias. */
static inline __attribute__((always_inline)) void
fc_units(const int8_t *row, const int32_t *lanes, const int32_t *tail, const int8_t *weights, int32_t depth,
         int32_t units, int32_t offset2, const tc_output_params *p, const tc_channel_scale *scale, int8_t *output,
         const int shared)
{
    const int32_t groups = depth >> 2, rest = depth & 3;
    const int32_t *bias = fc_from_bias(p, shared) ? p->bias : 0;
    int32_t u = 0;
    while (u + 4 <= units) {
        const int32_t n = units - u < FC_CHUNK ? (units - u) & ~3 : FC_CHUNK;
        int32_t acc[FC_CHUNK];
        for (int32_t k = 0; k < n; k += 4) {
            const int32_t *start = bias ? bias + u + k : fc_no_bias;
            if (lanes) {
                fc_block(lanes, tail, weights + (u + k) * depth, depth, groups, rest, start, acc + k);
            } else {
                memcpy(acc + k, start, 4 * sizeof *acc);
                tc_dot4_s8(row, weights + (u + k) * depth, depth, depth, offset2, acc + k);
            }
        }
        fc_outputs(acc, n, u, p, scale, output, shared);
        u += n, output += n;
    }
    for (; u < units; ++u, ++output) {
        const int32_t start = bias ? bias[u] : 0;
        const int32_t acc = lanes ? fc_row(lanes, tail, weights + u * depth, groups, rest, start)
                                  : tc_dot1_s8(row, weights + u * depth, depth, offset2, start);
        fc_outputs(&acc, 1, u, p, scale, output, shared);
    }
}

/* acc[0 .. n) = start[0 .. n) (acc itself, or not) + the rows of n / 4 blocks of 4 pre-widened rows against the
 * expanded input row, each block's tails (its last `skip` bytes) left to the caller: per block FC_WIDE_GROUP_ASM
 * 8 groups per loop turn (less branching), then 4, 2 and 1 as the low bits of the count say (45 instructions
 * and 86 estimated Cortex-M4 cycles per 64 MACs in the loop, flash aside), its starts read by one LDM and
 * its sums written by one STM. All the blocks in one asm: every register is taken in the loop, so what the
 * blocks share and where the next one starts wait in 24 bytes that the asm takes on the stack (gcc's memory
 * operands would need a base register). Returns where the chunk's weights end. */
static inline __attribute__((always_inline)) const int16_t *
fc_blocks_wide(const int32_t *lanes, const int16_t *w, int32_t groups, int32_t skip, const int32_t *start,
               int32_t *acc, int32_t n)
{
    int32_t xe, xo, count;
    const int32_t *row;
    /* LDM and STM move registers in ascending order: the sums' and the weight words' registers are fixed; they
     * bring the asm its inputs, stored at [sp] (start, lanes, end, acc) and [sp, #16] (groups, skip) */
    register int32_t a0 __asm("r0") = (int32_t)start, a1 __asm("r1") = (int32_t)lanes,
                     a2 __asm("r2") = (int32_t)(acc + n), a3 __asm("r3") = (int32_t)acc;
    register int32_t k0 __asm("r8") = groups, k1 __asm("r9") = skip, k2 __asm("r10"), k3 __asm("r11"),
                     k4 __asm("r12");
    __asm volatile(
        "sub sp, sp, #24\n\t"
        "stm sp, {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "strd %[k0], %[k1], [sp, #16]\n"
        "0:\n\t"
        "ldr %[n], [sp]\n\t"
        "ldmia %[n]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "str %[n], [sp]\n\t"
        "ldr %[lanes], [sp, #4]\n\t"
        "ldr %[n], [sp, #16]\n\t"
        FC_WIDE_GROUPS_ASM
        "ldr %[n], [sp, #20]\n\t"
        "add %[w], %[w], %[n]\n\t"
        "ldr %[n], [sp, #12]\n\t"
        "stmia %[n]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "str %[n], [sp, #12]\n\t"
        "ldr %[xe], [sp, #8]\n\t"
        "cmp %[n], %[xe]\n\t"
        "bne 0b\n\t"
        "add sp, sp, #24"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [lanes] "=&r"(row), [w] "+r"(w),
          [n] "=&r"(count), [xe] "=&r"(xe), [xo] "=&r"(xo), [k0] "+r"(k0), [k1] "+r"(k1), [k2] "=&r"(k2),
          [k3] "=&r"(k3), [k4] "=&r"(k4)
        :
        : "cc", "memory");
    return w;
}

/* fc_units on pre-widened weights (the row expanded): blocks of 4 units (fc_blocks_wide, then their tails), up
 * to FC_CHUNK units per fc_outputs, then each last unit alone, their outputs together. `shared` as in fc_units,
 * but one copy for both: it picks only each fc_outputs (the blocks' asm is long). */
static inline __attribute__((always_inline)) void
fc_units_wide(const int32_t *lanes, const int32_t *tail, const int16_t *weights, int32_t depth, int32_t units,
              const tc_output_params *p, const tc_channel_scale *scale, int8_t *output, const int shared)
{
    const int32_t groups = depth >> 2, rest = depth & 3;
    const int32_t *bias = fc_from_bias(p, shared) ? p->bias : 0;
    int32_t u = 0;
    for (const int16_t *w = weights; u + 4 <= units; ) {
        const int32_t n = units - u < FC_CHUNK ? (units - u) & ~3 : FC_CHUNK;
        const int16_t *const blocks = w;
        int32_t acc[FC_CHUNK];
        for (int32_t k = 0; !bias && k < n; ++k) {
            acc[k] = 0; /* the sums start from themselves */
        }
        w = fc_blocks_wide(lanes, w, groups, rest * 4 * sizeof *w, bias ? bias + u : acc, acc, n);
        for (int32_t b = 0; rest && b < n; b += 4) {
            const int16_t *t = blocks + b * depth + 16 * groups; /* block b's tails, row after row */
            for (int32_t k = 0; k < 4; ++k, t += rest) {
                for (int32_t i = 0; i < rest; ++i) {
                    acc[b + k] += t[i] * tail[i];
                }
            }
        }
        fc_outputs(acc, n, u, p, scale, output, shared);
        u += n, output += n;
    }
    const int32_t done = u;
    int32_t sums[3], n = 0; /* the last units' sums, for one fc_outputs (units % 4 of them) */
    for (const int16_t *w = weights + done * depth; done + n < units; ++n, w += (depth + 1) & ~1) {
        int32_t acc = bias ? bias[done + n] : 0, k;
        for (int32_t g = 0; g < groups; ++g) {
            memcpy(&k, w + 4 * g, sizeof k);
            acc = __smlad(k, lanes[2 * g], acc);
            memcpy(&k, w + 4 * g + 2, sizeof k);
            acc = __smlad(k, lanes[2 * g + 1], acc);
        }
        for (int32_t i = 0; i < rest; ++i) {
            acc += w[4 * groups + i] * tail[i];
        }
        sums[n] = acc;
    }
    if (n) {
        fc_outputs(sums, n, done, p, scale, output, shared);
    }
}

/* fully_connected_dsp on pre-widened weights, for rows of at most FC_MAX_DEPTH values. */
static void fully_connected_wide_dsp(const int8_t *input, int32_t batches, int32_t depth, const int16_t *weights,
                                     int32_t units, const int32_t *bias, int8_t *output, const tc_int8_io *io,
                                     const tc_requant *rq)
{
    const int32_t offset2 = tc_dup16(-io->input_zero_point);
    const tc_output_params out = fc_output_params(bias, units, depth, io, rq);
    const int shared = out.fast_scale && !out.per_channel;
    tc_channel_scale scale = {0, 0, 0, 0};
    if (shared) {
        tc_channel_scales(&out, 0, 1, &scale);
        scale.bias2 = 0; /* the accumulators start from the bias (fc_units_wide) */
    }
    int32_t lanes[FC_MAX_DEPTH / 2], tail[3];
    for (int32_t b = 0; b < batches; ++b, output += units) {
        tc_expand_s8(input + b * depth, depth >> 2, depth & 3, offset2, lanes, 2, tail);
        fc_units_wide(lanes, tail, weights, depth, units, &out, &scale, output, shared);
    }
}

/* Each input row, when it has at most FC_MAX_DEPTH values, expanded once to int16 pairs with the input
 * offset, then fc_units. */
static void fully_connected_dsp(const int8_t *input, int32_t batches, int32_t depth,
                                const int8_t *weights, int32_t units, const int32_t *bias,
                                int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
    const int32_t offset2 = tc_dup16(-io->input_zero_point);
    const tc_output_params out = fc_output_params(bias, units, depth, io, rq);
    const int shared = out.fast_scale && !out.per_channel, expanded = depth <= FC_MAX_DEPTH;
    tc_channel_scale scale = {0, 0, 0, 0};
    if (shared) {
        tc_channel_scales(&out, 0, 1, &scale);
        scale.bias2 = 0; /* the accumulators start from the bias (fc_units) */
    }
    int32_t lanes[FC_MAX_DEPTH / 2], tail[3];
    for (int32_t b = 0; b < batches; ++b, output += units) {
        const int8_t *row = input + b * depth;
        if (expanded) {
            tc_expand_s8(row, depth >> 2, depth & 3, offset2, lanes, 2, tail);
        }
        if (shared) {
            fc_units(row, expanded ? lanes : 0, tail, weights, depth, units, offset2, &out, &scale, output, 1);
        } else {
            fc_units(row, expanded ? lanes : 0, tail, weights, depth, units, offset2, &out, &scale, output, 0);
        }
    }
}
#endif

void tc_fully_connected_s8(const int8_t *input, int32_t batches, int32_t depth,
                           const int8_t *weights, int32_t units, const int32_t *bias,
                           int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point)) {
        fully_connected_dsp(input, batches, depth, weights, units, bias, output, io, rq);
        return;
    }
#endif
    const int32_t input_offset = -io->input_zero_point;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        for (int32_t u = 0; u < units; ++u) {
            const int8_t *w = weights + u * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += (int32_t)w[d] * ((int32_t)row[d] + input_offset);
            }
            *output++ = tc_output_s8(acc, bias, u, io, rq);
        }
    }
}

void tc_fully_connected_wide_s8(const int8_t *input, int32_t batches, int32_t depth,
                                const int16_t *weights, int32_t units, const int32_t *bias,
                                int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point) && depth <= FC_MAX_DEPTH) {
        fully_connected_wide_dsp(input, batches, depth, weights, units, bias, output, io, rq);
        return;
    }
#endif
    const int32_t input_offset = -io->input_zero_point;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        for (int32_t u = 0; u < units; ++u) {
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += weights[tc_wide_index(units, depth, TC_FC_WIDE_BLOCK, u, d)] * ((int32_t)row[d] + input_offset);
            }
            *output++ = tc_output_s8(acc, bias, u, io, rq);
        }
    }
}
