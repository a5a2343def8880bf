/* depthwise_plane.c's copies of a channel's (or two neighbouring channels') int8 input rows into int16 padded rows:
 * one halfword load a pixel for a channel pair, split by SXTB16, in asm (private to depthwise_plane.c and, through
 * depthwise_plane_walks.h, to a model.c, which takes the copies of a ring's rows alone: the others `unused` there). */
#ifndef DEPTHWISE_PLANE_COPY_H
#define DEPTHWISE_PLANE_COPY_H

#include "depthwise_plane_shared.h"

#if TC_DSP
/* (bottom, top) as the two int16 halves of a word. */
static inline int32_t plane_pair16(int32_t bottom, int32_t top)
{
    int32_t pair;
    __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(pair) : "r"(bottom), "r"(top));
    return pair;
}

/* n values of one channel (step bytes apart) to int16, four a step (two stores of pairs). */
static inline __attribute__((always_inline)) void plane_copy_row(const int8_t *src, int32_t step, int32_t n,
                                                                  int16_t *dst)
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

/* Four pixels of plane_copy_rows2's asm from s on (which moves past them): their halfwords loaded back to
 * back, paired into two words and split by SXTB16 into each channel's two int16 pairs, stored by two word stores
 * a channel (d word-aligned; the second channel's PLANE_RING_BYTES on; an immediate offset's store takes one
 * cycle, an STRD three): 16 cycles, against 25 a pair at a time. */
#define PLANE_PIXELS4_ASM                                            \
    "ldrh %[a], [%[s]]\n\t"                                          \
    "ldrh %[b], [%[s], %[step]]\n\t"                                 \
    "ldrh %[c], [%[s], %[step], lsl #1]\n\t"                         \
    "ldrh %[e], [%[s], %[step3]]\n\t"                                \
    "add %[s], %[s], %[step], lsl #2\n\t"                            \
    "orr %[a], %[a], %[b], lsl #16\n\t"                              \
    "orr %[c], %[c], %[e], lsl #16\n\t"                              \
    "sxtb16 %[b], %[a], ror #8\n\t"                                  \
    "sxtb16 %[a], %[a]\n\t"                                          \
    "sxtb16 %[e], %[c], ror #8\n\t"                                  \
    "sxtb16 %[c], %[c]\n\t"                                          \
    "str %[b], [%[d], #" PLANE_AT(PLANE_RING_BYTES) "]\n\t"         \
    "str %[e], [%[d], #" PLANE_AT(PLANE_RING_BYTES + 4) "]\n\t"     \
    "str %[c], [%[d], #4]\n\t"                                       \
    "str %[a], [%[d]], #8\n\t"
#define PLANE_PIXELS4_OPERANDS                                                                               \
    : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e), [s] "+r"(src), [d] "+r"(dst)                  \
    : [step] "r"(step), [step3] "r"(step3)                                                                   \
    : "memory"

/* n values of two neighbouring channels (src at the first one's; step bytes between values) to int16,
 * the first channel's at dst and the second's PLANE_RING_BYTES past it: one halfword load a pixel for
 * both, eight pixels a loop turn (35 cycles, against 50 a pair at a time); a first value alone where dst
 * is not word-aligned (a padding column of 1), for aligned stores, unless the row is too short to gain. The asm is
 * volatile: its stores are no operand, and where n is known (TC_PLANE_RING_AT) a last copy's pointers are dead. */
static inline __attribute__((always_inline)) void plane_copy_rows2(const int8_t *src, int32_t step, int32_t n,
                                                                    int16_t *dst)
{
    const int32_t step3 = 3 * step;
    int32_t a, b, c, e;
    if ((uintptr_t)dst & 2 && n < 8) { /* a short row after a padding column of 1: four pixels a pair */
        for (int32_t quads = n >> 2; quads > 0; --quads) {
            __asm volatile(PLANE_PIXELS2_ASM("[%[s]]", "[%[s], %[step]]")
                           PLANE_PIXELS2_ASM("[%[s], %[step], lsl #1]", "[%[s], %[step3]]")
                           "add %[s], %[s], %[step], lsl #2"
                           : [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(dst)
                           : [step] "r"(step), [step3] "r"(step3)
                           : "memory");
        }
    } else {
        if ((uintptr_t)dst & 2) {
            dst[0] = src[0];
            dst[PLANE_RING_VALUES] = src[1];
            ++dst, src += step, --n;
        }
        for (int32_t eights = n >> 3; eights > 0; --eights) {
            __asm volatile(PLANE_PIXELS4_ASM PLANE_PIXELS4_ASM PLANE_PIXELS4_OPERANDS);
        }
        if (n & 4) {
            __asm volatile(PLANE_PIXELS4_ASM PLANE_PIXELS4_OPERANDS);
        }
    }
    if (n & 2) {
        __asm volatile(PLANE_PIXELS2_ASM("[%[s]]", "[%[s], %[step]]") "add %[s], %[s], %[step], lsl #1"
                       : [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(dst)
                       : [step] "r"(step)
                       : "memory");
    }
    if (n & 1) {
        __asm volatile(""); /* a branch round the last pixel: gcc's IT block costs its loads when skipped */
        dst[0] = src[0];
        dst[PLANE_RING_VALUES] = src[1];
    }
}

/* Six pixels of plane_copy_small_rows2's asm from s on, which moves 4 pixels on (to the last pair's). */
#define PLANE_PIXELS6_ASM                                                    \
    PLANE_PIXELS2_ASM("[%[s]]", "[%[s], %[step]]")                           \
    PLANE_PIXELS2_ASM("[%[s], %[step], lsl #1]", "[%[s], %[step3]]")         \
    "add %[s], %[s], %[step], lsl #2\n\t"                                    \
    PLANE_PIXELS2_ASM("[%[s]]", "[%[s], %[step]]")
/* A row's end in plane_copy_small_rows2's asm: src `advance` bytes on to the next row's first pixel, dst to the next
 * padded row (the pixel pairs moved it 2 values each), and the loop. */
#define PLANE_SMALL_ROW_END_ASM(row_bytes, pixels)                           \
    "add %[s], %[s], %[advance]\n\t"                                         \
    "add %[d], %[d], #" PLANE_AT(row_bytes - 2 * (pixels)) "\n\t"           \
    "subs %[rows], %[rows], #1\n\t"                                          \
    "bne 1b"
#define PLANE_SMALL_COPY_OPERANDS                                                                     \
    : [a] "=&r"(a), [b] "=&r"(b), [s] "+r"(src), [d] "+r"(dst), [rows] "+r"(rows)                     \
    : [step] "r"(step), [step3] "r"(step3), [advance] "r"(row_step - (pixels - 2) * step)             \
    : "cc", "memory"

/* plane_copy_rows2 for `rows` rows of 6 or 12 pixels (plane_small_channels's planes), src moving row_step bytes
 * and dst a small plane's row (PLANE_SMALL_ROW_BYTES or PLANE_SMALL12_ROW_BYTES) a row: the pixel pairs and the loop
 * in one asm block (6 pixels: 29 cycles a row, against 55 through plane_copy_rows2 and the C loop around it). */
static __attribute__((unused)) void plane_copy_small_rows2(const int8_t *src, int32_t step, int32_t row_step,
                                                          int32_t rows, int16_t *dst, const int32_t pixels)
{
    const int32_t step3 = 3 * step;
    int32_t a, b;
    if (pixels == 6) {
        __asm volatile("1:\n\t" PLANE_PIXELS6_ASM PLANE_SMALL_ROW_END_ASM(PLANE_SMALL_ROW_BYTES, 6)
                       PLANE_SMALL_COPY_OPERANDS);
    } else {
        __asm volatile("1:\n\t" PLANE_PIXELS6_ASM "add %[s], %[s], %[step], lsl #1\n\t" PLANE_PIXELS6_ASM
                       PLANE_SMALL_ROW_END_ASM(PLANE_SMALL12_ROW_BYTES, 12) PLANE_SMALL_COPY_OPERANDS);
    }
}

/* plane_copy_rows2 for `rows` rows of 3 pixels after a padding column of 1 (plane_small_channels's rows of 3 at
 * stride 1), src moving row_step bytes and dst, word-aligned at the padding column, PLANE_SMALL_ROW_BYTES a row: each
 * channel's row as two word stores, (padding, x0) and (x1, x2), the padding value added by SXTAB16 to the first
 * pixel's bytes shifted into the top halves (21 cycles a row, against about 100 through plane_copy_rows2). */
static __attribute__((unused)) void plane_copy_small3_rows2(const int8_t *src, int32_t step, int32_t row_step,
                                                           int32_t rows, int16_t *dst, int32_t padding)
{
    const int32_t pad = (uint16_t)padding; /* (padding, 0) */
    int32_t a, b, c;
    __asm volatile("1:\n\t"
                   "ldrh %[a], [%[s]]\n\t"
                   "ldrh %[b], [%[s], %[step]]\n\t"
                   "ldrh %[c], [%[s], %[step], lsl #1]\n\t"
                   "add %[s], %[s], %[row_step]\n\t"
                   "lsls %[a], %[a], #16\n\t"
                   "orr %[b], %[b], %[c], lsl #16\n\t"
                   "sxtab16 %[c], %[pad], %[a]\n\t"
                   "sxtab16 %[a], %[pad], %[a], ror #8\n\t"
                   "str %[c], [%[d]]\n\t"
                   "str %[a], [%[d], #" PLANE_AT(PLANE_RING_BYTES) "]\n\t"
                   "sxtb16 %[c], %[b]\n\t"
                   "sxtb16 %[b], %[b], ror #8\n\t"
                   "str %[c], [%[d], #4]\n\t"
                   "str %[b], [%[d], #" PLANE_AT(PLANE_RING_BYTES + 4) "]\n\t"
                   "add %[d], %[d], #" PLANE_AT(PLANE_SMALL_ROW_BYTES) "\n\t"
                   "subs %[rows], %[rows], #1\n\t"
                   "bne 1b"
                   : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [s] "+r"(src), [d] "+r"(dst), [rows] "+r"(rows)
                   : [step] "r"(step), [row_step] "r"(row_step), [pad] "r"(pad)
                   : "cc", "memory");
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
#endif

#endif
