/* FULLY_CONNECTED, int8 with symmetric (zero-point 0) weights, per-tensor or per-channel. */
#include "tinyctl_dsp.h"

/* One weight row's word against the input pairs in fc_block's asm. */
#define FC_ROW_ASM(w, a)                                  \
    "ldr %[k], [%[" w "]], #4\n\t"                        \
    "sxtb16 %[ke], %[k]\n\t"                              \
    "sxtb16 %[k], %[k], ror #8\n\t"                       \
    "smlad %[" a "], %[ke], %[xe], %[" a "]\n\t"          \
    "smlad %[" a "], %[k], %[xo], %[" a "]\n\t"

#if TC_DSP
#define FC_MAX_DEPTH 640  /* inputs per row of the expanded path: their int16 copy is on the stack */

/* acc[k] += weight row k (rows `depth` bytes apart) against the expanded input row: per group of 4
 * inputs one LDRD of the input's int16 pairs, then one word and two SMLADs per row. The loop is in
 * asm because it needs all 14 allocatable registers, and gcc spills two of them. */
static inline __attribute__((always_inline)) void
fc_block(const int32_t *lanes, const int32_t *tail, const int8_t *w0, int32_t depth, int32_t groups, int32_t rest,
         int32_t acc[4])
{
    const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, xe, xo, k, ke;
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

/* Four units at a time, then one at a time; each input row, when it has at most FC_MAX_DEPTH values,
 * expanded once to int16 pairs with the input offset (fc_block), else read as it is (tc_dot4_s8). */
static void fully_connected_dsp(const int8_t *input, int32_t batches, int32_t depth,
                                const int8_t *weights, int32_t units, const int32_t *bias,
                                int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
    const int32_t offset2 = tc_dup16(-io->input_zero_point), groups = depth >> 2, rest = depth & 3;
    const tc_output_params out = tc_output_params_of(bias, units, depth, io, rq);
    int32_t lanes[FC_MAX_DEPTH / 2], tail[3];
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        const int expanded = depth <= FC_MAX_DEPTH;
        if (expanded) {
            tc_expand_s8(row, groups, rest, offset2, lanes, 2, tail);
        }
        int32_t u = 0;
        for (; u + 4 <= units; u += 4) {
            int32_t acc[4] = {0, 0, 0, 0};
            if (expanded) {
                fc_block(lanes, tail, weights + u * depth, depth, groups, rest, acc);
            } else {
                tc_dot4_s8(row, weights + u * depth, depth, depth, offset2, acc);
            }
            tc_outputs_dsp(acc, 4, u, &out, output);
            output += 4;
        }
        for (; u < units; ++u) {
            const int32_t acc = tc_dot1_s8(row, weights + u * depth, depth, offset2, 0);
            tc_outputs_dsp(&acc, 1, u, &out, output++);
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
