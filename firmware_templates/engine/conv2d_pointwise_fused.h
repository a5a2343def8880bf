/* The asm of tc_pointwise_fused_s8's blocks (conv2d_pointwise_fused.c): two output channels at three pixels from one
 * fused stream, the groups in a loop for any depth, or straight through for a layer's depth with its channel count as
 * an immediate (TC_POINTWISE_FUSED_AT, which a generated model.c instantiates for its 1x1 layers' shapes: no loop
 * counter, no entry into the loop, no output step loaded, each pixel's outputs stored with immediate offsets;
 * MobileNet's 1x1 layers over 32 to 256 channels: 6.69 -> 6.53 M estimated cycles on the M4; then its lanes at fixed
 * offsets and its output address in a register: 3 cycles a block fewer, 45 k in MobileNet's 1x1 layers). Private to
 * conv2d_pointwise_fused.c and a model.c. */
#ifndef CONV2D_POINTWISE_FUSED_H
#define CONV2D_POINTWISE_FUSED_H

#include "conv2d_wide_asm.h"

#if TC_DSP
/* A block's first group from the pair's biases, loaded first (the stream's next two words) by two single loads, so
 * that the group's loads pipeline behind them (behind an LDRD they would not: 5 cycles, against 4). */
#define FUSED_FIRST FUSED_BIASES BLOCK3X2_FROM_BIAS
#define FUSED_BIASES                                                                                                  \
    "ldr %[a01], [%[w], #4]\n\t"                                                                                     \
    "ldr %[a00], [%[w]], #8\n\t"
/* Channel c's three sums requantised in place, its multiplier, round and right in m, r and s, t the scratch. */
#define FUSED_SCALE_ONE(c, m, r, s, t)                                                                                \
    TC_SCALE_DOUBLED_ASM("%[a0" c "]", "%[" m "]", "%[" r "]", "%[" s "]", "%[" t "]")                               \
    TC_SCALE_DOUBLED_ASM("%[a1" c "]", "%[" m "]", "%[" r "]", "%[" s "]", "%[" t "]")                               \
    TC_SCALE_DOUBLED_ASM("%[a2" c "]", "%[" m "]", "%[" r "]", "%[" s "]", "%[" t "]")
/* Both channels' scales by one LDM of six registers (the lanes' register the scratch: they are reloaded below),
 * their outputs, the lanes back at their start and the next block's groups (the single loads back to back), each
 * pixel's two outputs stored by one STRH (the pixels `second` apart), and the next block while the second channel's
 * right has 256 added (ASR reads its low byte alone; the flags of the TST survive to the BNE): 48 cycles, against 52
 * with two LDMs of three, the lanes rewound by a subtraction and the output compared with its end. */
#define FUSED_REQUANT                                                                                                 \
    "ldm %[w]!, {%[x0], %[x1], %[x2], %[k0], %[k1], %[n]}\n\t"                                                       \
    FUSED_SCALE_ONE("0", "x0", "x1", "x2", "lanes") FUSED_SCALE_ONE("1", "k0", "k1", "n", "lanes")                   \
    "tst %[n], #256\n\t"                                                                                             \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                                 \
    "bfi %[a10], %[a11], #8, #8\n\t"                                                                                 \
    "bfi %[a20], %[a21], #8, #8\n\t"
#define FUSED_OUTPUTS                                                                                                 \
    FUSED_REQUANT                                                                                                     \
    "ldr %[lanes], %[lanes_at]\n\t"                                                                                  \
    "ldr %[x0], %[output]\n\t"                                                                                       \
    "ldr %[k1], %[second]\n\t"                                                                                       \
    "ldr %[n], %[groups]\n\t"                                                                                        \
    "strh %[a10], [%[x0], %[k1]]\n\t"                                                                                \
    "strh %[a20], [%[x0], %[k1], lsl #1]\n\t"                                                                        \
    "strh %[a00], [%[x0]], #2\n\t"                                                                                   \
    "str %[x0], %[output]\n\t"                                                                                       \
    "bne 2b"

/* A block's groups straight through: its first from the biases, one more, then `pairs_more` pairs (the layer's
 * depth / 8 - 1: TC_FUSED_REPEAT_n for n up to 35, depths 8 to 288), the lanes' register never moved. */
#define FUSED_GROUPS_AT(pairs_more)                                                                                   \
    FUSED_BIASES BLOCK3X2_FROM_BIAS_AT BLOCK3X2_MORE_AT TC_FUSED_REPEAT_##pairs_more(BLOCK3X2_MORE_AT BLOCK3X2_MORE_AT)
#define TC_FUSED_REPEAT_0(x)
#define TC_FUSED_REPEAT_1(x) x
#define TC_FUSED_REPEAT_2(x) x x
#define TC_FUSED_REPEAT_3(x) TC_FUSED_REPEAT_2(x) x
#define TC_FUSED_REPEAT_4(x) TC_FUSED_REPEAT_2(x) TC_FUSED_REPEAT_2(x)
#define TC_FUSED_REPEAT_5(x) TC_FUSED_REPEAT_4(x) x
#define TC_FUSED_REPEAT_6(x) TC_FUSED_REPEAT_4(x) TC_FUSED_REPEAT_2(x)
#define TC_FUSED_REPEAT_7(x) TC_FUSED_REPEAT_4(x) TC_FUSED_REPEAT_3(x)
#define TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_4(x) TC_FUSED_REPEAT_4(x)
#define TC_FUSED_REPEAT_9(x) TC_FUSED_REPEAT_8(x) x
#define TC_FUSED_REPEAT_10(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_2(x)
#define TC_FUSED_REPEAT_11(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_3(x)
#define TC_FUSED_REPEAT_12(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_4(x)
#define TC_FUSED_REPEAT_13(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_5(x)
#define TC_FUSED_REPEAT_14(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_6(x)
#define TC_FUSED_REPEAT_15(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_7(x)
#define TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_8(x) TC_FUSED_REPEAT_8(x)
#define TC_FUSED_REPEAT_17(x) TC_FUSED_REPEAT_16(x) x
#define TC_FUSED_REPEAT_18(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_2(x)
#define TC_FUSED_REPEAT_19(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_3(x)
#define TC_FUSED_REPEAT_20(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_4(x)
#define TC_FUSED_REPEAT_21(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_5(x)
#define TC_FUSED_REPEAT_22(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_6(x)
#define TC_FUSED_REPEAT_23(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_7(x)
#define TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_8(x)
#define TC_FUSED_REPEAT_25(x) TC_FUSED_REPEAT_24(x) x
#define TC_FUSED_REPEAT_26(x) TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_2(x)
#define TC_FUSED_REPEAT_27(x) TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_3(x)
#define TC_FUSED_REPEAT_28(x) TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_4(x)
#define TC_FUSED_REPEAT_29(x) TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_5(x)
#define TC_FUSED_REPEAT_30(x) TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_6(x)
#define TC_FUSED_REPEAT_31(x) TC_FUSED_REPEAT_24(x) TC_FUSED_REPEAT_7(x)
#define TC_FUSED_REPEAT_32(x) TC_FUSED_REPEAT_16(x) TC_FUSED_REPEAT_16(x)
#define TC_FUSED_REPEAT_33(x) TC_FUSED_REPEAT_32(x) x
#define TC_FUSED_REPEAT_34(x) TC_FUSED_REPEAT_32(x) TC_FUSED_REPEAT_2(x)
#define TC_FUSED_REPEAT_35(x) TC_FUSED_REPEAT_32(x) TC_FUSED_REPEAT_3(x)
/* FUSED_OUTPUTS for TC_POINTWISE_FUSED_AT, whose lanes' register never moves and whose output address stays in n (no
 * shift loaded there): each channel's scale by an LDM of three, k0 the scratch, the second's right shift with 256
 * added but for the last pair; each STRH with an immediate offset, the output step ([second], [second2]: the channel
 * count and twice it; one cycle, against two with a register offset): 41 cycles a block, against 44 with one LDM of
 * six, the lanes reloaded and the output address loaded and stored. */
#define FUSED_OUTPUTS_AT FUSED_STORES_AT "tst %[x2], #256\n\tbne 2b"
#define FUSED_STORES_AT                                                                                               \
    "ldm %[w]!, {%[x0], %[x1], %[x2]}\n\t" FUSED_SCALE_ONE("0", "x0", "x1", "x2", "k0")                             \
    "ldm %[w]!, {%[x0], %[x1], %[x2]}\n\t" FUSED_SCALE_ONE("1", "x0", "x1", "x2", "k0")                             \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                                 \
    "bfi %[a10], %[a11], #8, #8\n\t"                                                                                 \
    "bfi %[a20], %[a21], #8, #8\n\t"                                                                                 \
    "strh %[a10], [%[n], %[second]]\n\t"                                                                            \
    "strh %[a20], [%[n], %[second2]]\n\t"                                                                           \
    "strh %[a00], [%[n]], #2\n\t"
/* A loop turn of TC_POINTWISE_FUSED_AT: one block, or two where the pairs are even (the first block's loop test and
 * branch saved: 1.5 cycles a block, for twice the code). */
#define TC_FUSED_TURN_1(pairs_more) FUSED_GROUPS_AT(pairs_more)
#define TC_FUSED_TURN_2(pairs_more) FUSED_GROUPS_AT(pairs_more) FUSED_STORES_AT FUSED_GROUPS_AT(pairs_more)

/* The blocks of every pair of channels of a 1x1 layer of `depth` inputs (pairs_more = depth / 8 - 1) and `channels`
 * outputs at three pixels (fused_blocks' work for that shape alone, and for a depth of 8, which its loop of fours of
 * groups does not take), `turn` (1 or 2) blocks a loop turn, as static function `name`. */
#define TC_POINTWISE_FUSED_AT(name, pairs_more, channels, turn)                                                      \
    static void name(const int32_t *stream, int8_t *output, wide_outputs_job *job)                                   \
    {                                                                                                                \
        const int32_t *const lanes = job->lanes, *w = stream;                                                        \
        int32_t a00, a10, a20, a01, a11, a21;                                                                        \
        register int32_t x0 __asm("r4"), x1 __asm("r5"), x2 __asm("r6"), k0 __asm("r7"), k1 __asm("r8");           \
        register int8_t *n __asm("r9") = output;                                                                     \
        __asm volatile("2:\n\t" TC_FUSED_TURN_##turn(pairs_more) FUSED_OUTPUTS_AT                                     \
                       : [a00] "=&r"(a00), [a10] "=&r"(a10), [a20] "=&r"(a20), [a01] "=&r"(a01), [a11] "=&r"(a11),   \
                         [a21] "=&r"(a21), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [k0] "=&r"(k0),           \
                         [k1] "=&r"(k1), [n] "+r"(n), [w] "+r"(w)                                                    \
                       : [lanes] "r"(lanes), [second] "i"(channels), [second2] "i"(2 * (channels))                   \
                       : "cc", "memory");                                                                            \
    }
/* A layer's blocks (struct tc_pointwise_passes) as a constant `var`, and a pointer to them for
 * tc_pointwise_fused_s8. */
#define TC_POINTWISE_PASSES(var, blocks) static const struct tc_pointwise_passes var = {blocks};
#define TC_POINTWISE_PASSES_OF(var) (&var)

/* A layer's blocks for its shape (TC_POINTWISE_FUSED_AT), which tc_pointwise_fused_s8 runs in place of its own. */
struct tc_pointwise_passes {
    void (*blocks)(const int32_t *stream, int8_t *output, wide_outputs_job *job);
};
#else
/* The portable C takes no blocks of its own. */
#define TC_POINTWISE_FUSED_AT(name, pairs_more, channels, turn)
#define TC_POINTWISE_PASSES(var, blocks)
#define TC_POINTWISE_PASSES_OF(var) NULL
#endif

#endif
