/* The copy that stages a layer's int16 weights in free arena bytes before the layer (toolchain/staged_weights.py):
 * on Thumb-2 cores 64 bytes a loop turn by two LDM/STM pairs of eight registers (40 cycles on the Cortex-M4, against
 * 50 for newlib's word loop: DDI 0439B table 3-1, LDM/STM 1 + N), the last bytes by memcpy. Both pointers are
 * word-aligned (the code generator's MODEL_ALIGN16 arrays and the planner's aligned arena offsets). */
#include <string.h>

#include "tinyctl_engine.h"

/* LDM/STM of r3..r10: Thumb-2 (ARMv7-M and ARMv8-M mainline; ARMv6-M's LDM takes r0..r7 alone). -DTC_PORTABLE keeps
 * memcpy, as it keeps every kernel's portable C. */
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB >= 2 && !defined(TC_PORTABLE)
#define COPY_LDM 1
/* turns (>= 1) of 64 bytes from *src to *dst, both moved past them. */
static void copy_turns(uint32_t **dst, const uint32_t **src, size_t turns)
{
    register uint32_t a __asm("r3"), b __asm("r4"), c __asm("r5"), d __asm("r6"), e __asm("r7"), f __asm("r8"),
        g __asm("r9"), h __asm("r10");
#define COPY_EIGHT_WORDS                                                              \
    "ldm %[s]!, {%[a], %[b], %[c], %[d], %[e], %[f], %[g], %[h]}\n\t"                 \
    "stm %[t]!, {%[a], %[b], %[c], %[d], %[e], %[f], %[g], %[h]}\n\t"
    __asm volatile("1:\n\t" COPY_EIGHT_WORDS COPY_EIGHT_WORDS
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b"
                   : [s] "+r"(*src), [t] "+r"(*dst), [n] "+r"(turns), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c),
                     [d] "=&r"(d), [e] "=&r"(e), [f] "=&r"(f), [g] "=&r"(g), [h] "=&r"(h)
                   :
                   : "cc", "memory");
#undef COPY_EIGHT_WORDS
}
#endif

void tc_copy_words(void *dst, const void *src, size_t bytes)
{
#if COPY_LDM
    uint32_t *to = dst;
    const uint32_t *from = src;
    if (bytes >= 64) {
        copy_turns(&to, &from, bytes / 64);
    }
    memcpy(to, from, bytes % 64);
#else
    memcpy(dst, src, bytes);
#endif
}
