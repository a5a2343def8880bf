/* FULLY_CONNECTED on one fused stream of int32 words (tinyctl/engine/wide_weights.py fuse_fc writes it): per
 * block of 4 units their 4 biases, their rows pre-widened to int16 as tc_fully_connected_wide_s8 reads them (8
 * words per 4 inputs), then per unit its multiplier, round and right shift for TC_SCALE_DOUBLED_ASM. The code
 * generator picks it only where that requantisation is proved equal to tc_requantize (depth and units
 * multiples of 4, the output range [-128, 127], right shifts 1 to 22, every sum below 2^30): each block's sums
 * are then requantised in the registers they are summed in, its four outputs stored as one word, everything
 * read through one pointer in the order used. */
#include "fully_connected_shared.h"

/* Words of a block of 4 units over `depth` inputs: biases, weights, (multiplier, round, right) per unit. */
static inline int32_t fc_fused_block_words(int32_t depth)
{
    return 4 + 2 * depth + 3 * 4;
}

#if TC_DSP
/* Unit a's output into register a from its sum there, its multiplier m, round r and right shift s:
 * TC_SCALE_DOUBLED_ASM of t = 2 * sum (the bias is in the sum), xe its scratch. */
#define FC_FUSED_OUTPUT_ASM(a, m, r, s)                                      \
    "lsls %[" a "], %[" a "], #1\n\t"                                         \
    TC_SCALE_DOUBLED_ASM("%[" a "]", "%[" m "]", "%[" r "]", "%[" s "]", "%[xe]")

/* The outputs output .. end (a multiple of 4 bytes) of one expanded input row (lanes, `groups` groups of 4
 * inputs) from the stream. Every register is taken: the row, the group count and the output pointers wait in
 * 16 bytes the asm takes on the stack. The scales' LDM needs six registers in ascending order: xo, then the
 * weight words' k0 to k4, free once a block's sums are done. Out of line: inlined, gcc finds no registers for it. */
static __attribute__((noinline)) void fc_fused_row(const int32_t *lanes, int32_t groups, const int32_t *stream,
                                                   int8_t *output, const int8_t *end)
{
    register int32_t a0 __asm("r0"), a1 __asm("r1"), a2 __asm("r2"), a3 __asm("r3");
    register int32_t row __asm("r4") = (int32_t)lanes, n __asm("r5") = groups, xe __asm("r6") = (int32_t)output,
                     xo __asm("r7") = (int32_t)end;
    register int32_t k0 __asm("r8"), k1 __asm("r9"), k2 __asm("r10"), k3 __asm("r11"), k4 __asm("r12");
    const int32_t *w = stream;
    __asm volatile(
        "sub sp, sp, #16\n\t"
        "stm sp, {%[lanes], %[n], %[xe], %[xo]}\n"
        "0:\n\t"
        "ldr %[lanes], [sp]\n\t"
        "ldr %[n], [sp, #4]\n\t"
        "ldmia %[w]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
        FC_WIDE_GROUPS_ASM
        "ldmia %[w]!, {%[xo], %[k0], %[k1], %[k2], %[k3], %[k4]}\n\t"
        FC_FUSED_OUTPUT_ASM("a0", "xo", "k0", "k1")
        FC_FUSED_OUTPUT_ASM("a1", "k2", "k3", "k4")
        "ldmia %[w]!, {%[xo], %[k0], %[k1], %[k2], %[k3], %[k4]}\n\t"
        FC_FUSED_OUTPUT_ASM("a2", "xo", "k0", "k1")
        FC_FUSED_OUTPUT_ASM("a3", "k2", "k3", "k4")
        "ldr %[lanes], [sp, #8]\n\t"
        "bfi %[a0], %[a1], #8, #8\n\t"
        "bfi %[a0], %[a2], #16, #8\n\t"
        "bfi %[a0], %[a3], #24, #8\n\t"
        "str %[a0], [%[lanes]], #4\n\t"     /* any alignment: a single store may be unaligned */
        "ldr %[n], [sp, #12]\n\t"
        "str %[lanes], [sp, #8]\n\t"
        "cmp %[lanes], %[n]\n\t"
        "bne 0b\n\t"
        "add sp, sp, #16"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [lanes] "+r"(row), [n] "+r"(n),
          [xe] "+r"(xe), [xo] "+r"(xo), [k0] "=&r"(k0), [k1] "=&r"(k1), [k2] "=&r"(k2), [k3] "=&r"(k3),
          [k4] "=&r"(k4), [w] "+r"(w)
        :
        : "cc", "memory");
}
#endif

/* One unit's output from its sum (the bias in it) and its (multiplier, round, right) words: tc_requantize, which
 * TC_SCALE_DOUBLED_ASM equals where the code generator picks this kernel. */
static int8_t fc_fused_output(int32_t sum, const int32_t *scale, const tc_int8_io *io)
{
    return tc_clamp_s8(tc_requantize(sum, scale[0], -scale[2]) + io->output_zero_point, io->act_min, io->act_max);
}

void tc_fully_connected_fused_s8(const int8_t *input, int32_t batches, int32_t depth, const int32_t *stream,
                                 int32_t units, int8_t *output, const tc_int8_io *io)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point) && depth <= FC_MAX_DEPTH) {
        const int32_t offset2 = tc_dup16(-io->input_zero_point);
        int32_t lanes[FC_MAX_DEPTH / 2];
        for (int32_t b = 0; b < batches && units > 0; ++b, output += units) {
            tc_expand_s8(input + b * depth, depth >> 2, 0, offset2, lanes, 2, 0);
            fc_fused_row(lanes, depth >> 2, stream, output, output + units);
        }
        return;
    }
#endif
    const int32_t offset = -io->input_zero_point, words = fc_fused_block_words(depth);
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        for (const int32_t *block = stream; block < stream + units / 4 * words; block += words) {
            for (int32_t k = 0; k < 4; ++k) {
                int32_t sum = block[k];
                for (int32_t i = 0; i < depth; i += 4) {
                    const int32_t even = block[4 + 2 * i + 2 * k], odd = block[5 + 2 * i + 2 * k]; /* w0 w2, w1 w3 */
                    sum += (int16_t)even * (row[i] + offset) + (even >> 16) * (row[i + 2] + offset)
                           + (int16_t)odd * (row[i + 1] + offset) + (odd >> 16) * (row[i + 3] + offset);
                }
                *output++ = fc_fused_output(sum, block + 4 + 2 * depth + 3 * k, io);
            }
        }
    }
}
