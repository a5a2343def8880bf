/* What the FULLY_CONNECTED kernels on pre-widened weights share (fully_connected.c, fully_connected_fused.c):
 * the asm of their MAC loop over a block of 4 rows. */
#ifndef FULLY_CONNECTED_SHARED_H
#define FULLY_CONNECTED_SHARED_H

#include "tinyctl_dsp.h"

#if TC_DSP
#define FC_MAX_DEPTH 640  /* inputs per row of the expanded path: their int16 copy is on the stack */

/* One group of 4 inputs (one LDRD of their int16 pairs xe, xo) against the 8 weight words of a block
 * of 4 pre-widened rows (row k's pairs at words 2k and 2k + 1): one LDM of 5 words, 5 SMLADs, one LDM
 * of 3 words, 3 SMLADs. LDM costs 1 + N cycles on the Cortex-M4 where each LDRD of 2 words costs 3. */
#define FC_WIDE_GROUP_ASM                                                   \
    "ldrd %[xe], %[xo], [%[lanes]], #8\n\t"                                 \
    "ldmia %[w]!, {%[k0], %[k1], %[k2], %[k3], %[k4]}\n\t"                  \
    "smlad %[a0], %[k0], %[xe], %[a0]\n\t"                                 \
    "smlad %[a0], %[k1], %[xo], %[a0]\n\t"                                 \
    "smlad %[a1], %[k2], %[xe], %[a1]\n\t"                                 \
    "smlad %[a1], %[k3], %[xo], %[a1]\n\t"                                 \
    "smlad %[a2], %[k4], %[xe], %[a2]\n\t"                                 \
    "ldmia %[w]!, {%[k0], %[k1], %[k2]}\n\t"                                \
    "smlad %[a2], %[k0], %[xo], %[a2]\n\t"                                 \
    "smlad %[a3], %[k1], %[xe], %[a3]\n\t"                                 \
    "smlad %[a3], %[k2], %[xo], %[a3]\n\t"

/* n (a register holding the group count, 0 or more) groups of FC_WIDE_GROUP_ASM: 8 per loop turn (less
 * branching), then 4, 2 and 1 as the low bits of the count say. Uses the local labels 1 to 5. */
#define FC_WIDE_GROUPS_ASM                                                  \
    "subs %[n], %[n], #8\n\t"                                               \
    "bmi 2f\n\t"                                                            \
    "1:\n\t"                                                                \
    FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM \
    FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM \
    "subs %[n], %[n], #8\n\t"                                               \
    "bpl 1b\n\t"                                                            \
    "2:\n\t"                                                                \
    "lsls %[n], %[n], #30\n\t" /* n is groups % 8 - 8: carry its bit 2, negative its bit 1 */ \
    "bcc 3f\n\t"                                                            \
    FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM \
    "3:\n\t"                                                                \
    "bpl 4f\n\t"              /* the groups leave the flags alone */        \
    FC_WIDE_GROUP_ASM FC_WIDE_GROUP_ASM                                     \
    "4:\n\t"                                                                \
    "lsls %[n], %[n], #2\n\t"  /* carry its bit 0 */                        \
    "bcc 5f\n\t"                                                            \
    FC_WIDE_GROUP_ASM                                                       \
    "5:\n\t"
#endif
#endif
