/* The channel-plane depthwise kernel's passes of six and of three outputs (plane_hex_full, plane_tri_full: a small
 * plane's rows, and a ring row's last six), and the requantisation steps that every pass's asm shares. Private to
 * depthwise_plane_passes.h, which builds the passes of four and the rows on them. */
#ifndef DEPTHWISE_PLANE_HEX_H
#define DEPTHWISE_PLANE_HEX_H

#include "depthwise_plane_shared.h"

#if TC_DSP
/* The channel's multiplier, round and right into m, rnd and sh, back to back; ... and its step into st (5 cycles). */
#define PLANE_SCALE_LOAD3_ASM(m, rnd, sh)    \
    "ldr %[" m "], [%[k], #8]\n\t"          \
    "ldr %[" rnd "], [%[k], #12]\n\t"       \
    "ldr %[" sh "], [%[k], #16]\n\t"
#define PLANE_SCALE_LOAD_ASM(m, rnd, sh, st) PLANE_SCALE_LOAD3_ASM(m, rnd, sh) "ldr %[" st "], [%[k], #20]\n\t"
/* The sum in register a, times the multiplier, rounded and its sign added (t: scratch). */
#define PLANE_ROUND_ASM(a, m, rnd, t)                     \
    "smmlar %[" t "], %[" a "], %[" m "], %[" rnd "]\n\t" \
    "add %[" a "], %[" t "], %[" a "], asr #31\n\t"
/* ... then shifted right and saturated into [-128, 127]. */
#define PLANE_SHIFT_ASM(a, sh)                        \
    "asr %[" a "], %[" a "], %[" sh "]\n\t"         \
    "ssat %[" a "], #8, %[" a "]\n\t"
/* Two outputs at o and o + st, o moved past them. */
#define PLANE_STORE2_ASM(a, b, st)                  \
    "strb %[" a "], [%[o]]\n\t"                   \
    "strb %[" b "], [%[o], %[" st "]]\n\t"        \
    "add %[o], %[o], %[" st "], lsl #1\n\t"

/* One filter row of three neighbouring outputs in plane_tri_full's and plane_hex_full's asm: the aligned pairs
 * P0..P2 `at` bytes past q (two registers: P2 into P0's once P0 is done with), the row's weights `kat` bytes past
 * k. Outputs 2j and 2j + 1 are P_j.(w0, w1) + x_(2j+2) w2 and x_(2j+1) w0 + P_(j+1).(w1, w2). */
#define PLANE_ROW3_ASM(at, kat, f0, f1, f2)                    \
    "ldr %[xa], [%[q], #" PLANE_AT(at) "]\n\t"                 \
    "ldr %[xb], [%[q], #" PLANE_AT(at + 4) "]\n\t"             \
    "ldr %[w01], [%[k], #" PLANE_AT(kat) "]\n\t"               \
    "ldr %[w12], [%[k], #" PLANE_AT(kat + 4) "]\n\t"           \
    "smlad %[a0], %[xa], %[w01], %[" f0 "]\n\t"             \
    "smlabt %[a0], %[xb], %[w12], %[a0]\n\t"                   \
    "smlatb %[a1], %[xa], %[w01], %[" f1 "]\n\t"            \
    "smlad %[a1], %[xb], %[w12], %[a1]\n\t"                    \
    "ldr %[xa], [%[q], #" PLANE_AT(at + 8) "]\n\t"             \
    "smlad %[a2], %[xb], %[w01], %[" f2 "]\n\t"             \
    "smlabt %[a2], %[xa], %[w12], %[a2]\n\t"
/* ... and of six: three more from P2 (in xa) and P3 (into xb's register). */
#define PLANE_ROW6_ASM(at, kat, f0, f1, f2, f3, f4, f5)         \
    PLANE_ROW3_ASM(at, kat, f0, f1, f2)                         \
    "smlatb %[a3], %[xb], %[w01], %[" f3 "]\n\t"            \
    "smlad %[a3], %[xa], %[w12], %[a3]\n\t"                    \
    "ldr %[xb], [%[q], #" PLANE_AT(at + 12) "]\n\t"            \
    "smlad %[a4], %[xa], %[w01], %[" f4 "]\n\t"             \
    "smlabt %[a4], %[xb], %[w12], %[a4]\n\t"                   \
    "smlatb %[a5], %[xa], %[w01], %[" f5 "]\n\t"            \
    "smlad %[a5], %[xb], %[w12], %[a5]\n\t"

/* Output a of PLANE_ROW6_S2_ASM, P_j in register pj: P_(j+1) loaded into register pn from `at` bytes past q, then
 * P_j.(w0, w1) + x_(2j+2) w2 (the bottom half of P_(j+1)) added to f. */
#define PLANE_S2_OUTPUT_ASM(pn, at, a, pj, f)                  \
    "ldr %[" pn "], [%[q], #" PLANE_AT(at) "]\n\t"             \
    "smlad %[" a "], %[" pj "], %[w01], %[" f "]\n\t"          \
    "smlabt %[" a "], %[" pn "], %[w12], %[" a "]\n\t"
/* One filter row of three outputs two values apart in plane_tri_full's and plane_hex_full's asm at stride 2: the
 * pairs P0..P3 `at` bytes past q, each loaded as it is needed (two registers in turn), the row's weights `kat` bytes
 * past k; ... and of six, P4..P6 on. */
#define PLANE_ROW3_S2_ASM(at, kat, f0, f1, f2)                 \
    "ldr %[xa], [%[q], #" PLANE_AT(at) "]\n\t"                 \
    "ldr %[w01], [%[k], #" PLANE_AT(kat) "]\n\t"               \
    "ldr %[w12], [%[k], #" PLANE_AT(kat + 4) "]\n\t"           \
    PLANE_S2_OUTPUT_ASM("xb", at + 4, "a0", "xa", f0)          \
    PLANE_S2_OUTPUT_ASM("xa", at + 8, "a1", "xb", f1)          \
    PLANE_S2_OUTPUT_ASM("xb", at + 12, "a2", "xa", f2)
#define PLANE_ROW6_S2_ASM(at, kat, f0, f1, f2, f3, f4, f5)     \
    PLANE_ROW3_S2_ASM(at, kat, f0, f1, f2)                      \
    PLANE_S2_OUTPUT_ASM("xa", at + 16, "a3", "xb", f3)         \
    PLANE_S2_OUTPUT_ASM("xb", at + 20, "a4", "xa", f4)         \
    PLANE_S2_OUTPUT_ASM("xa", at + 24, "a5", "xb", f5)

/* The channel's multiplier, round and right into w01, w12 and xa, then the six (or three) sums of plane_hex_full's
 * (plane_tri_full's) asm requantised in their registers (the bias's the scratch). */
#define PLANE_SCALE3_LOAD_ASM PLANE_SCALE_LOAD3_ASM("w01", "w12", "xa")
#define PLANE_REQUANT3_ASM                                                                                    \
    PLANE_ROUND_ASM("a0", "w01", "w12", "b") PLANE_ROUND_ASM("a1", "w01", "w12", "b")                         \
    PLANE_ROUND_ASM("a2", "w01", "w12", "b")                                                                 \
    PLANE_SHIFT_ASM("a0", "xa") PLANE_SHIFT_ASM("a1", "xa") PLANE_SHIFT_ASM("a2", "xa")
#define PLANE_REQUANT6_ASM                                                                                    \
    PLANE_REQUANT3_ASM                                                                                        \
    PLANE_ROUND_ASM("a3", "w01", "w12", "b") PLANE_ROUND_ASM("a4", "w01", "w12", "b")                         \
    PLANE_ROUND_ASM("a5", "w01", "w12", "b")                                                                 \
    PLANE_SHIFT_ASM("a3", "xa") PLANE_SHIFT_ASM("a4", "xa") PLANE_SHIFT_ASM("a5", "xa")
/* Output j of a pass at o + j * [step] (an immediate: TC_PLANE_SMALL_AT), by an STRB with an immediate offset (one
 * cycle, against two with a register offset, and no ADDs). */
#define PLANE_STORE_AT_ASM(a, j) "strb %[" a "], [%[o], %[s" #j "]]\n\t"
#define PLANE_STEPS_AT [s1] "i"(out_step), [s2] "i"(2 * out_step), [s3] "i"(3 * out_step), [s4] "i"(4 * out_step), \
                       [s5] "i"(5 * out_step)

/* plane_hex_full's asm with the filter-row macro ROW (PLANE_ROW6_ASM or PLANE_ROW6_S2_ASM), for the rows `row`
 * bytes apart; its requantisation and stores REQUANT, with the further inputs `...`. */
#define PLANE_HEX_FULL_ASM(ROW, row, REQUANT, ...)                                                            \
    __asm volatile(ROW(0, 0, "b", "b", "b", "b", "b", "b")                                                   \
                   ROW(row, PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3", "a4", "a5")                              \
                   ROW(2 * (row), 2 * PLANE_WEIGHT_ROW, "a0", "a1", "a2", "a3", "a4", "a5")                     \
                   REQUANT                                                                                     \
                   : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4),            \
                     [a5] "=&r"(a5), [xa] "=&r"(xa), [xb] "=&r"(xb), [w01] "=&r"(w01), [w12] "=&r"(w12),        \
                     [o] "+r"(o), [b] "+r"(bias)                                                                \
                   : [q] "r"(q), [k] "r"(k), "m"(*(const int16_t(*)[3 * (row) / 2])q),                         \
                     "m"(*(const plane_weight_row(*)[3])k) __VA_ARGS__                                          \
                   : "memory")
/* ... requantised with the channel's output step (xb), or the immediate one. */
#define PLANE_HEX_REQUANT_ASM                                                                                 \
    PLANE_SCALE_LOAD_ASM("w01", "w12", "xa", "xb") PLANE_REQUANT6_ASM                                         \
    PLANE_STORE2_ASM("a0", "a1", "xb") PLANE_STORE2_ASM("a2", "a3", "xb")                                     \
    "strb %[a4], [%[o]]\n\t"                                                                                  \
    "strb %[a5], [%[o], %[xb]]"
#define PLANE_HEX_REQUANT_AT_ASM                                                                              \
    PLANE_SCALE3_LOAD_ASM PLANE_REQUANT6_ASM                                                                  \
    "strb %[a0], [%[o]]\n\t" PLANE_STORE_AT_ASM("a1", 1) PLANE_STORE_AT_ASM("a2", 2) PLANE_STORE_AT_ASM("a3", 3) \
    PLANE_STORE_AT_ASM("a4", 4) PLANE_STORE_AT_ASM("a5", 5)
#define PLANE_HEX_ASM(ROW, row)                                                                               \
    if (out_step) {                                                                                           \
        PLANE_HEX_FULL_ASM(ROW, row, PLANE_HEX_REQUANT_AT_ASM, , PLANE_STEPS_AT);                              \
    } else {                                                                                                  \
        PLANE_HEX_FULL_ASM(ROW, row, PLANE_HEX_REQUANT_ASM);                                                   \
    }

/* Six outputs of a stride-1 row into [-128, 127] in one pass, q (4-byte aligned) at the first one's window and o
 * at its output, the rows `row_bytes` apart (the ring's PLANE_ROW_BYTES, or a small plane's): the weight rows and
 * the scale loaded once for six outputs (about 106 cycles, against 143 for a quad and a pair). Fourteen registers:
 * six sums, two of values, two of weights, q, k, o and the bias, whose register (the first row adds to it) is then
 * the scratch. The outputs `out_step` bytes apart where that is not 0 (TC_PLANE_SMALL_AT), else the channel's step
 * apart. */
static inline __attribute__((always_inline)) void plane_hex_full(const int16_t *q, plane_rows k, int32_t bias,
                                                                  int8_t *o, const int row_bytes, const int stride,
                                                                  const int out_step)
{
    int32_t a0, a1, a2, a3, a4, a5, xa, xb, w01, w12;
    if (stride == 2) {
        PLANE_HEX_ASM(PLANE_ROW6_S2_ASM, PLANE_SMALL12_ROW_BYTES)
    } else if (row_bytes == PLANE_SMALL_ROW_BYTES) {
        PLANE_HEX_ASM(PLANE_ROW6_ASM, PLANE_SMALL_ROW_BYTES)
    } else if (row_bytes == PLANE_SMALL12_ROW_BYTES) {
        PLANE_HEX_ASM(PLANE_ROW6_ASM, PLANE_SMALL12_ROW_BYTES)
    } else {
        PLANE_HEX_ASM(PLANE_ROW6_ASM, PLANE_ROW_BYTES)
    }
}

/* plane_tri_full's asm with the filter-row macro ROW (PLANE_ROW3_ASM or PLANE_ROW3_S2_ASM), the rows `row` bytes
 * apart; its requantisation and stores REQUANT, with the further inputs `...`. */
#define PLANE_TRI_FULL_ASM(ROW, row, REQUANT, ...)                                                            \
    __asm volatile(ROW(0, 0, "b", "b", "b") ROW(row, PLANE_WEIGHT_ROW, "a0", "a1", "a2")                       \
                   ROW(2 * (row), 2 * PLANE_WEIGHT_ROW, "a0", "a1", "a2")                                       \
                   REQUANT                                                                                     \
                   : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [xa] "=&r"(xa), [xb] "=&r"(xb),            \
                     [w01] "=&r"(w01), [w12] "=&r"(w12), [o] "+r"(o), [b] "+r"(bias)                            \
                   : [q] "r"(q), [k] "r"(k), "m"(*(const int16_t(*)[3 * (row) / 2])q),                         \
                     "m"(*(const plane_weight_row(*)[3])k) __VA_ARGS__                                          \
                   : "memory")
#define PLANE_TRI_REQUANT_ASM                                                                                 \
    PLANE_SCALE_LOAD_ASM("w01", "w12", "xa", "xb") PLANE_REQUANT3_ASM                                         \
    PLANE_STORE2_ASM("a0", "a1", "xb")                                                                        \
    "strb %[a2], [%[o]]"
#define PLANE_TRI_REQUANT_AT_ASM                                                                              \
    PLANE_SCALE3_LOAD_ASM PLANE_REQUANT3_ASM "strb %[a0], [%[o]]\n\t" PLANE_STORE_AT_ASM("a1", 1)             \
    PLANE_STORE_AT_ASM("a2", 2)
#define PLANE_TRI_ASM(ROW)                                                                                    \
    if (out_step) {                                                                                           \
        PLANE_TRI_FULL_ASM(ROW, PLANE_SMALL_ROW_BYTES, PLANE_TRI_REQUANT_AT_ASM, , [s1] "i"(out_step),          \
                           [s2] "i"(2 * out_step));                                                           \
    } else {                                                                                                  \
        PLANE_TRI_FULL_ASM(ROW, PLANE_SMALL_ROW_BYTES, PLANE_TRI_REQUANT_ASM);                                 \
    }

/* Three outputs of a row into [-128, 127] in one pass from a small plane's rows (PLANE_SMALL_ROW_BYTES apart), q
 * (4-byte aligned) at the first one's window and o at its output: MobileNet's 3x3 layers (about 20 cycles an output
 * at stride 1, against about 50 on the general path's groups of 4 channels); `out_step` as in plane_hex_full. */
static inline __attribute__((always_inline)) void plane_tri_full(const int16_t *q, plane_rows k, int32_t bias,
                                                                  int8_t *o, const int stride, const int out_step)
{
    int32_t a0, a1, a2, xa, xb, w01, w12;
    if (stride == 2) {
        PLANE_TRI_ASM(PLANE_ROW3_S2_ASM)
    } else {
        PLANE_TRI_ASM(PLANE_ROW3_ASM)
    }
}
#endif

#endif
