/* conv2d_window.c's 3x3 windows over 3 channels (an RGB first layer) into [-128, 127] three pixels a pass
 * (tc_window_run3): the three windows expanded straight from the image into blocks3x2's lane order
 * (rgb3x3_triple_lanes) and summed by its group code (BLOCK3X2_FROM_BIAS, then BLOCK3X2_MORE; conv2d_wide_asm.h)
 * against window_pairs' stream of doubled weights: 12 cycles for 12 MACs against window_pair_loop's 18 for 16, six
 * outputs requantised a pass (MobileNet's first layer 1.13 -> 1.01 M estimated cycles on the M4). */
#include "conv2d_wide_asm.h"
#include "conv2d_window_shared.h"

#if TC_DSP
/* The 3x3 windows over 3 channels of three pixels (rows of 9 bytes from p0, p1 and p2, the second row `step1`
 * bytes after the first and the third `step2` after the second) as their 7 packed words' lanes in blocks3x2's order
 * (per group the three pixels' even lanes, then their odd ones, stored by one STM), read straight from the image as
 * rgb3x3_pair_lanes reads two; each pixel's pointer moves down a row where a word starts in the next one. */
static inline __attribute__((always_inline)) void rgb3x3_triple_lanes(const int8_t *p0, const int8_t *p1,
                                                                      const int8_t *p2, int32_t step1, int32_t step2,
                                                                      int32_t offset2, int32_t *lanes)
{
    register int32_t e0 __asm("r4"), e1 __asm("r5"), e2 __asm("r6"), o0 __asm("r7"), o1 __asm("r8"), o2 __asm("r9");
    int32_t t;
#define RGB_TRIPLE_GROUP /* e0, e1, e2: the three pixels' word */                                             \
    "sxtab16 %[o0], %[offset2], %[e0], ror #8\n\t"                                                            \
    "sxtab16 %[e0], %[offset2], %[e0]\n\t"                                                                    \
    "sxtab16 %[o1], %[offset2], %[e1], ror #8\n\t"                                                            \
    "sxtab16 %[e1], %[offset2], %[e1]\n\t"                                                                    \
    "sxtab16 %[o2], %[offset2], %[e2], ror #8\n\t"                                                            \
    "sxtab16 %[e2], %[offset2], %[e2]\n\t"                                                                    \
    "stmia %[lanes]!, {%[e0], %[e1], %[e2], %[o0], %[o1], %[o2]}\n\t"
#define RGB_TRIPLE_WORDS(at) /* the word `at` bytes on in each pixel's row */                                  \
    "ldr %[e0], [%[a], #" at "]\n\t"                                                                          \
    "ldr %[e1], [%[b], #" at "]\n\t"                                                                          \
    "ldr %[e2], [%[c], #" at "]\n\t"
#define RGB_TRIPLE_ACROSS(e, q, last, ld, width, step) /* the end of row q's 9 bytes, the next row's start */  \
    ld " %[t], [%[" q "], #" last "]\n\t"                                                                     \
    "add %[" q "], %[" q "], %[" step "]\n\t"                                                                 \
    "ldr %[" e "], [%[" q "], #-" width "]\n\t"                                                               \
    "bfi %[" e "], %[t], #0, #" width "*8\n\t"
    __asm volatile(RGB_TRIPLE_WORDS("0") RGB_TRIPLE_GROUP RGB_TRIPLE_WORDS("4") RGB_TRIPLE_GROUP
                   RGB_TRIPLE_ACROSS("e0", "a", "8", "ldrb", "1", "step1")
                   RGB_TRIPLE_ACROSS("e1", "b", "8", "ldrb", "1", "step1")
                   RGB_TRIPLE_ACROSS("e2", "c", "8", "ldrb", "1", "step1") RGB_TRIPLE_GROUP
                   RGB_TRIPLE_WORDS("3") RGB_TRIPLE_GROUP
                   RGB_TRIPLE_ACROSS("e0", "a", "7", "ldrh", "2", "step2")
                   RGB_TRIPLE_ACROSS("e1", "b", "7", "ldrh", "2", "step2")
                   RGB_TRIPLE_ACROSS("e2", "c", "7", "ldrh", "2", "step2") RGB_TRIPLE_GROUP
                   RGB_TRIPLE_WORDS("2") RGB_TRIPLE_GROUP RGB_TRIPLE_WORDS("6") RGB_TRIPLE_GROUP
                   : [lanes] "+r"(lanes), [e0] "=&r"(e0), [e1] "=&r"(e1), [e2] "=&r"(e2), [o0] "=&r"(o0),
                     [o1] "=&r"(o1), [o2] "=&r"(o2), [t] "=&r"(t), [a] "+r"(p0), [b] "+r"(p1), [c] "+r"(p2)
                   : [step1] "r"(step1), [step2] "r"(step2), [offset2] "r"(offset2)
                   : "memory");
#undef RGB_TRIPLE_GROUP
#undef RGB_TRIPLE_WORDS
#undef RGB_TRIPLE_ACROSS
}

#define RGB_GROUPS 7 /* a 3x3 window over 3 channels: 27 bytes in 7 groups of 4 */

/* window_pair_loop at three pixels for a 3x3 window over 3 channels into [-128, 127] (rgb3x3_triple_lanes' lanes):
 * per pair of channels its stream's biases, each group's four weight words against the three pixels' lanes as
 * blocks3x2 reads them (BLOCK3X2_MORE_AT: 12 cycles for 12 MACs, window_pair_loop's LDM pairs 18 for 16; the lanes'
 * register never moved), its requantisation as window_pair_loop's (the carry of the shifts' LSRS: another pair
 * follows), each channel's scale by its own LDM (k0 the scratch), the three pixels' outputs stored as one halfword
 * each, at n (the output address, kept in its register), + at->step and + 2 * at->step. Single loads where an LDRD
 * would keep the next load or store from pipelining behind it. */
static inline __attribute__((always_inline)) void window_triple_loop(window_cursor *at, const int32_t *stream)
{
    const int32_t *w = stream, *const lanes = at->lanes;
    int32_t a00, a10, a20, a01, a11, a21;
    int8_t *n = at->out;
    /* ascending, as the LDMs of the scales load them */
    register int32_t x0 __asm("r4"), x1 __asm("r5"), x2 __asm("r6"), k0 __asm("r7"), k1 __asm("r8");
    __asm volatile("1:\n\t"
                   "ldr %[a01], [%[w], #4]\n\t" /* the first and second channel's, past the repeats */
                   "ldr %[a00], [%[w]], #16\n\t"
                   BLOCK3X2_FROM_BIAS_AT ".rept %c[groups] - 1\n\t" BLOCK3X2_MORE_AT ".endr\n\t"
                   "ldmia %[w]!, {%[x0], %[x1], %[x2]}\n\t"
                   TC_SCALE_DOUBLED_ASM("%[a00]", "%[x0]", "%[x1]", "%[x2]", "%[k0]")
                   TC_SCALE_DOUBLED_ASM("%[a10]", "%[x0]", "%[x1]", "%[x2]", "%[k0]")
                   TC_SCALE_DOUBLED_ASM("%[a20]", "%[x0]", "%[x1]", "%[x2]", "%[k0]")
                   "lsrs %[x2], %[x2], #9\n\t" /* C: another pair follows; x2: the second's right shift */
                   "ldmia %[w]!, {%[x0], %[x1]}\n\t"
                   TC_SCALE_DOUBLED_ASM("%[a01]", "%[x0]", "%[x1]", "%[x2]", "%[k0]")
                   TC_SCALE_DOUBLED_ASM("%[a11]", "%[x0]", "%[x1]", "%[x2]", "%[k0]")
                   TC_SCALE_DOUBLED_ASM("%[a21]", "%[x0]", "%[x1]", "%[x2]", "%[k0]")
                   "bfi %[a00], %[a01], #8, #8\n\t"
                   "bfi %[a10], %[a11], #8, #8\n\t"
                   "bfi %[a20], %[a21], #8, #8\n\t"
                   "ldr %[k1], %[step_at]\n\t"
                   "strh %[a10], [%[n], %[k1]]\n\t"
                   "strh %[a20], [%[n], %[k1], lsl #1]\n\t"
                   "strh %[a00], [%[n]], #2\n\t"
                   "bcs 1b"
                   : [a00] "=&r"(a00), [a10] "=&r"(a10), [a20] "=&r"(a20), [a01] "=&r"(a01), [a11] "=&r"(a11),
                     [a21] "=&r"(a21), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [k0] "=&r"(k0), [k1] "=&r"(k1),
                     [n] "+r"(n), [w] "+r"(w)
                   : [lanes] "r"(lanes), [step_at] "m"(at->step), [groups] "i"(RGB_GROUPS)
                   : "cc", "memory");
}

/* The third pixel's lanes of its window's last column (bytes 6, 7 and 8 of each of its rows, which
 * rgb3x3_triple_lanes put in these halfwords) set to 0, the padding's lanes (the input zero point less itself). */
static void rgb3x3_clear_third_right(int32_t *lanes)
{
    int8_t *bytes = (int8_t *)lanes;
#define RGB_CLEAR(half) memset(bytes + 2 * (half), 0, 2);
    RGB_CLEAR(17) RGB_CLEAR(23) RGB_CLEAR(28) RGB_CLEAR(47) RGB_CLEAR(52) RGB_CLEAR(58) RGB_CLEAR(76) RGB_CLEAR(77)
    RGB_CLEAR(82)
#undef RGB_CLEAR
}

/* The int8 outputs of `triples` triples of pixels whose 3x3 windows over 3 channels lie inside the image or the rows
 * in its place (`rows`: rgb_rows), into [-128, 127], for an even chunk of channels (rgb3x3_triple_lanes,
 * window_triple_loop): each triple's windows from `from`, one and two window_steps after it, the triples 3
 * window_steps apart, the pixels `pixel_step` bytes of output apart. With `right_border`, the last triple's third
 * window reaches one column past the image's right edge (SAME padding at stride 2 on an even width) and a row lies
 * below each of its rows: its lanes are read on into the next row, then that column's cleared to the padding's. */
void tc_window_run3(const window_job *j, const rgb_rows *rows, const int8_t *from, int32_t triples, int8_t *out,
                    int32_t pixel_step, int right_border)
{
    window_cursor at = {j->lanes, 0, out, pixel_step, 0, 0};
    for (; triples > 0; --triples, from += 3 * j->window_step, out += 3 * pixel_step) {
        rgb3x3_triple_lanes(from, from + j->window_step, from + 2 * j->window_step, rows->step1, rows->step2,
                            j->offset2, j->lanes);
        if (right_border && triples == 1) {
            rgb3x3_clear_third_right(j->lanes);
        }
        at.out = out;
        window_triple_loop(&at, j->stream);
    }
}
#endif
