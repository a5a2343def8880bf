/* The int16-weight blocks' asm that conv2d_matmul.c, conv2d_triples.c, conv2d_pointwise.c and
 * conv2d_pointwise_fused.c share (private to them; conv2d_window_rgb.c's triples take BLOCK3X2_FROM_BIAS and
 * BLOCK3X2_MORE): a block of two output channels at two pixels (BLOCK2X2_*) or three (BLOCK3X2_*), each block's sums
 * requantised in its registers and stored (SCALE_*, blocks2x2_wide_outputs, blocks3x2), two or three pixels' windows
 * expanded into int16 lanes (expand_pair, expand_triple); and the 1x1 loops of conv2d_pointwise.c that
 * conv2d_matmul.c hands its layers to. */
#ifndef CONV2D_WIDE_ASM_H
#define CONV2D_WIDE_ASM_H

#include "tinyctl_dsp.h"

#if TC_DSP
#define MATMUL_MAX_DEPTH 288  /* band bytes (3x3x32): two pixels' int16 copy is on the stack */
#define MATMUL_CHUNK 32       /* output channels whose tc_channel_scale sits on the stack at once */

/* One group of a block of two channels at the two pixels: the pixels' lanes (`lanes`: BLOCK2X2_LANES_STEP or
 * BLOCK2X2_LANES_AT), then each channel's two weight words against them; `op` smuad for a first group, which
 * needs no zeroed sums, else smlad with the sums s00 .. s11. */
#define BLOCK2X2_WIDE_GROUP(lanes, op, s00, s10, s01, s11)                                                             \
    lanes "ldrd %[ke], %[ko], [%[w]], #8\n\t"                                                                          \
    op "%[a00], %[ke], %[x0e]" s00 "\n\t"                                                                              \
    "smlad %[a00], %[ko], %[x0o], %[a00]\n\t"                                                                          \
    op "%[a10], %[ke], %[x1e]" s10 "\n\t"                                                                              \
    "smlad %[a10], %[ko], %[x1o], %[a10]\n\t"                                                                          \
    "ldrd %[ke], %[ko], [%[w]], #8\n\t"                                                                                \
    op "%[a01], %[ke], %[x0e]" s01 "\n\t"                                                                              \
    "smlad %[a01], %[ko], %[x0o], %[a01]\n\t"                                                                          \
    op "%[a11], %[ke], %[x1e]" s11 "\n\t"                                                                              \
    "smlad %[a11], %[ko], %[x1o], %[a11]\n\t"
#define BLOCK2X2_FIRST(lanes) BLOCK2X2_WIDE_GROUP(lanes, "smuad ", "", "", "", "")
#define BLOCK2X2_MORE(lanes) BLOCK2X2_WIDE_GROUP(lanes, "smlad ", ", %[a00]", ", %[a10]", ", %[a01]", ", %[a11]")
/* A group's lanes stepped through (then rewound for the next block), or at .Lgroup from the window's start. */
#define BLOCK2X2_LANES_STEP                                                                                            \
    "ldrd %[x1e], %[x1o], [%[lanes], #8]\n\t"                                                                          \
    "ldrd %[x0e], %[x0o], [%[lanes]], #16\n\t"
#define BLOCK2X2_LANES_AT                                                                                              \
    "ldrd %[x1e], %[x1o], [%[lanes], #.Lgroup * 16 + 8]\n\t"                                                           \
    "ldrd %[x0e], %[x0o], [%[lanes], #.Lgroup * 16]\n\t"
/* One block over `groups` (in n, >= 1) whole words of pre-widened weights: the first group, then the rest in a
 * loop of two groups a turn (the counter's cost halved: 5% of a 3x3x16 window), n its turns, entered at its
 * second group when an odd number remains. */
#define BLOCK2X2_WIDE                                                                                                  \
    "ldr %[n], %[groups]\n\t" BLOCK2X2_FIRST(BLOCK2X2_LANES_STEP) "subs %[n], %[n], #1\n\t"                          \
    "beq 3f\n\t"                                                                                                      \
    "adds %[n], %[n], #1\n\t"                                                                                         \
    "lsrs %[n], %[n], #1\n\t"                                                                                         \
    "bcc 4f\n"                                                                                                         \
    "1:\n\t" BLOCK2X2_MORE(BLOCK2X2_LANES_STEP) "4:\n\t" BLOCK2X2_MORE(BLOCK2X2_LANES_STEP) "subs %[n], %[n], #1\n\t"  \
    "bne 1b\n"                                                                                                         \
    "3:\n\t"
/* The same over 1 + `more` groups written out: no counter, and the lanes need no rewinding. */
#define BLOCK2X2_WIDE_UNROLLED                                                                                         \
    ".set .Lgroup, 0\n\t" BLOCK2X2_FIRST(BLOCK2X2_LANES_AT) ".rept %c[more]\n\t"                                      \
    ".set .Lgroup, .Lgroup + 1\n\t" BLOCK2X2_MORE(BLOCK2X2_LANES_AT) ".endr\n\t"
#define BLOCK2X2_WIDE_OPERANDS                                                                                         \
    [a00] "=&r"(a00), [a10] "=&r"(a10), [a01] "=&r"(a01), [a11] "=&r"(a11), [lanes] "+r"(lanes), [w] "+r"(w),          \
        [n] "=&r"(n), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [ke] "=&r"(ke),          \
        [ko] "=&r"(ko)

/* One output of a block's sum in place, tc_output_scaled in five instructions, the channel's scale in registers
 * b (bias2), m (multiplier), r (round) and s (right), tmp a scratch: the operand bias2 + 2 * acc, then
 * TC_SCALE_DOUBLED_ASM (its sign shortcut holds because m >= 0). */
#define SCALE_FULL(acc, b, m, r, s, tmp)                                                                               \
    "add " acc ", " b ", " acc ", lsl #1\n\t" TC_SCALE_DOUBLED_ASM(acc, m, r, s, tmp)

/* The scales of a block's two channels into x0e .. x1o, each applied to its two sums in place (SCALE_FULL). */
#define BLOCK2X2_SCALE                                                                                                 \
    "ldr %[n], %[scales]\n\t"                                                                                        \
    "ldrd %[x0e], %[x0o], [%[n]], #8\n\t"                                                                             \
    "ldrd %[x1e], %[x1o], [%[n]], #8\n\t"                                                                             \
    SCALE_FULL("%[a00]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")                                              \
    SCALE_FULL("%[a10]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")                                              \
    "ldrd %[x0e], %[x0o], [%[n]], #8\n\t"                                                                             \
    "ldrd %[x1e], %[x1o], [%[n]], #8\n\t"                                                                             \
    "str %[n], %[scales]\n\t"                                                                                         \
    SCALE_FULL("%[a01]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")                                              \
    SCALE_FULL("%[a11]", "%[x0e]", "%[x0o]", "%[x1e]", "%[x1o]", "%[ke]")
/* The next block, or the end: BLOCK2X2_WIDE's lanes back to the window's start first (BLOCK2X2_WIDE_UNROLLED's
 * stay there). */
#define BLOCK2X2_REWIND                                                                                                \
    "ldr %[n], %[rewind]\n\t"                                                                                         \
    "sub %[lanes], %[lanes], %[n]\n\t"
#define BLOCK2X2_NEXT                                                                                                  \
    "ldr %[n], %[end]\n\t"                                                                                            \
    "cmp %[output], %[n]\n\t"                                                                                         \
    "bne 2b"
/* A block's four outputs stored: SSAT's clamp alone (into [-128, 127]), or packed in a word and clamped at once
 * by SSUB8 and SEL against the range's ends in each byte. */
#define BLOCK2X2_STORE_FULL                                                                                            \
    "ldr %[n], %[second]\n\t"                                                                                         \
    "strb %[a10], [%[output], %[n]]\n\t"                                                                              \
    "strb %[a00], [%[output]], #1\n\t"                                                                                \
    "strb %[a11], [%[output], %[n]]\n\t"                                                                              \
    "strb %[a01], [%[output]], #1\n\t"
#define BLOCK2X2_STORE_CLAMPED                                                                                         \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                                  \
    "bfi %[a10], %[a11], #8, #8\n\t"                                                                                  \
    "pkhbt %[a00], %[a00], %[a10], lsl #16\n\t"                                                                       \
    "ldr %[x0e], %[lo4]\n\t"                                                                                          \
    "ldr %[x0o], %[hi4]\n\t"                                                                                          \
    "ssub8 %[x1e], %[a00], %[x0e]\n\t"                                                                                \
    "sel %[a00], %[a00], %[x0e]\n\t"                                                                                  \
    "ssub8 %[x1e], %[x0o], %[a00]\n\t"                                                                                \
    "sel %[a00], %[a00], %[x0o]\n\t"                                                                                  \
    "ldr %[n], %[second]\n\t"                                                                                         \
    "lsr %[a10], %[a00], #16\n\t"                                                                                     \
    "strh %[a10], [%[output], %[n]]\n\t"                                                                              \
    "strh %[a00], [%[output]], #2\n\t"
/* The asm of blocks2x2_wide_outputs: each block (`blocks`), its requantisation, `store` and `next`. */
#define BLOCKS2X2_WIDE_OUTPUTS(blocks, store, next)                                                                    \
    __asm volatile("2:\n\t" blocks BLOCK2X2_SCALE store next                                                           \
                   : BLOCK2X2_WIDE_OPERANDS, [output] "+r"(output), [scales] "+m"(job->scales)                         \
                   : [groups] "m"(job->groups), [rewind] "m"(job->rewind), [end] "m"(job->end),                        \
                     [second] "m"(job->second), [lo4] "m"(job->lo4), [hi4] "m"(job->hi4), [more] "n"(more)             \
                   : "cc", "memory")

/* What blocks2x2_wide_outputs reads from memory, having no register left: the next block's scales and the end
 * of the outputs (per pair of pixels), the window's groups of 4 and their bytes of lanes (16 each), the
 * second pixel's outputs from the first's, the activation range in each byte; for blocks3x2 over a band of a
 * deeper window, the band's sums (6 a block) and their end, and the weight bytes from a block's band to the
 * next block's; for conv2d_pointwise_fused.c's blocks, the lanes' start. A local of the caller's, so that each is
 * one load from the stack, and set once where it does not change. */
typedef struct {
    const tc_channel_scale *scales;
    const int8_t *end;
    int32_t groups, rewind, second, lo4, hi4;
    int32_t *sums;
    const int32_t *sums_end;
    int32_t skip;
    const int32_t *lanes;
} wide_outputs_job;

static inline wide_outputs_job wide_outputs_job_of(int32_t groups, int32_t second, const tc_output_params *p)
{
    const wide_outputs_job job = {.groups = groups,
                                  .rewind = 16 * groups,
                                  .second = second,
                                  .lo4 = (int32_t)((uint8_t)p->min * 0x01010101u),
                                  .hi4 = (int32_t)((uint8_t)p->max * 0x01010101u)};
    return job;
}

/* blocks2x2_wide with each block's four sums requantised in the registers that held its inputs and weights
 * and stored as int8: channel k's outputs at output[k] (first pixel) and output[job->second + k], scales from
 * job->scales (tc_channel_scales) on, until output reaches job->end. About three instructions an output fewer
 * than the sums' stores, reloads and loop in tc_outputs2_dsp, a fifth of a short window's cost. Into
 * [-128, 127] (`full`) the SSAT clamps; into a narrower range the four outputs, packed in a word, are clamped
 * at once (about two instructions an output more). `unrolled`: 0, or job->groups, a constant, when the
 * blocks' groups are written out (BLOCK2X2_WIDE_UNROLLED: 7 instructions a block fewer over 2 groups). */
static inline __attribute__((always_inline)) void
blocks2x2_wide_outputs(const int32_t *lanes, const int16_t *w, int8_t *output, wide_outputs_job *job, const int full,
                       const int32_t unrolled)
{
    const int32_t more = unrolled > 0 ? unrolled - 1 : 0;
    int32_t a00, a10, a01, a11, x0e, x0o, x1e, x1o, ke, ko, n;
    if (unrolled && full) {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE_UNROLLED, BLOCK2X2_STORE_FULL, BLOCK2X2_NEXT);
    } else if (unrolled) {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE_UNROLLED, BLOCK2X2_STORE_CLAMPED, BLOCK2X2_NEXT);
    } else if (full) {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE, BLOCK2X2_STORE_FULL, BLOCK2X2_REWIND BLOCK2X2_NEXT);
    } else {
        BLOCKS2X2_WIDE_OUTPUTS(BLOCK2X2_WIDE, BLOCK2X2_STORE_CLAMPED, BLOCK2X2_REWIND BLOCK2X2_NEXT);
    }
}

/* tc_expand_s8 of two pixels' windows of `groups` (>= 1) whole words, from x and x + step, into lanes
 * interleaved as blocks2x2_wide reads them (a group of the first, then of the second). In asm: gcc's loop
 * spills and reloads the registers of the loop around it, more than the loop itself costs. */
static inline __attribute__((always_inline)) void
expand_pair(const int8_t *x, int32_t step, int32_t offset2, int32_t *lanes, int32_t groups)
{
    int32_t v0, v1, even, odd;
    __asm volatile("1:\n\t"
                   "ldr %[v1], [%[x], %[step]]\n\t"
                   "ldr %[v0], [%[x]], #4\n\t"
                   "sxtab16 %[even], %[offset2], %[v0]\n\t"
                   "sxtab16 %[odd], %[offset2], %[v0], ror #8\n\t"
                   "strd %[even], %[odd], [%[lanes]], #8\n\t"
                   "sxtab16 %[even], %[offset2], %[v1]\n\t"
                   "sxtab16 %[odd], %[offset2], %[v1], ror #8\n\t"
                   "strd %[even], %[odd], [%[lanes]], #8\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b"
                   : [x] "+r"(x), [lanes] "+r"(lanes), [n] "+r"(groups), [v0] "=&r"(v0), [v1] "=&r"(v1),
                     [even] "=&r"(even), [odd] "=&r"(odd)
                   : [step] "r"(step), [offset2] "r"(offset2)
                   : "cc", "memory");
}

/* Where output pixel p's window starts in the input of a 1x1 convolution without padding. */
static inline int32_t pointwise_offset(const tc_dims *in, const tc_dims *out, const tc_window *win, int32_t p)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    return ((b * in->h + oy * win->stride_h) * in->w + ox * win->stride_w) * in->c;
}

/* One group of expand_triple's asm: the three pixels' words, their even and odd lanes, one STM. */
#define EXPAND_TRIPLE_GROUP                                                                                           \
    "ldr %[o1], [%[x], %[step]]\n\t"                                                                                 \
    "ldr %[o2], [%[x], %[step2]]\n\t"                                                                                \
    "ldr %[o0], [%[x]], #4\n\t"                                                                                      \
    "sxtab16 %[e0], %[offset2], %[o0]\n\t"                                                                           \
    "sxtab16 %[o0], %[offset2], %[o0], ror #8\n\t"                                                                   \
    "sxtab16 %[e1], %[offset2], %[o1]\n\t"                                                                           \
    "sxtab16 %[o1], %[offset2], %[o1], ror #8\n\t"                                                                   \
    "sxtab16 %[e2], %[offset2], %[o2]\n\t"                                                                           \
    "sxtab16 %[o2], %[offset2], %[o2], ror #8\n\t"                                                                   \
    "stm %[lanes]!, {%[e0], %[e1], %[e2], %[o0], %[o1], %[o2]}\n\t"
#define EXPAND_TRIPLE_ASM(body)                                                                                       \
    __asm volatile("1:\n\t" body "subs %[n], %[n], #1\n\t"                                                          \
                   "bne 1b"                                                                                           \
                   : [x] "+r"(x), [lanes] "+r"(lanes), [n] "+r"(turns), [e0] "=&r"(e0), [e1] "=&r"(e1),               \
                     [e2] "=&r"(e2), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2)                                   \
                   : [step] "r"(step), [step2] "r"(step2), [offset2] "r"(offset2)                                     \
                   : "cc", "memory")

/* tc_expand_s8 of three pixels' windows of `groups` (>= 1) whole words, from x, x + step and x + step2, into
 * lanes as blocks3x2 reads them: per group the three pixels' even lanes, then their odd ones, stored by
 * one STM (their registers ascending); `twice` (a constant) where groups is even: two groups a loop turn. */
static inline __attribute__((always_inline)) void expand_triple(const int8_t *x, int32_t step, int32_t step2,
                                                                int32_t offset2, int32_t *lanes, int32_t groups,
                                                                const int twice)
{
    register int32_t e0 __asm("r4"), e1 __asm("r5"), e2 __asm("r6"), o0 __asm("r7"), o1 __asm("r8"), o2 __asm("r9");
    int32_t turns = twice ? groups >> 1 : groups;
    if (twice) {
        EXPAND_TRIPLE_ASM(EXPAND_TRIPLE_GROUP EXPAND_TRIPLE_GROUP);
    } else {
        EXPAND_TRIPLE_ASM(EXPAND_TRIPLE_GROUP);
    }
}

/* Half a group of a block of two channels at three pixels: the channels' weight words, then the pixels' even
 * (or odd) lanes, five single loads back to back (all but the first pipelined: an LDM would not pipeline behind
 * them), then six products: 12 cycles on the M4 for 12 MACs (blocks2x2's LDRDs: 10 for 8); `op` smuad for a
 * first group. */
#define BLOCK3X2_LOADS(w_step)                                                                                         \
    "ldr %[k1], [%[w], #8]\n\t"                                                                                       \
    "ldr %[k0], [%[w]], #" w_step "\n\t"                                                                             \
    "ldr %[x1], [%[lanes], #4]\n\t"                                                                                   \
    "ldr %[x2], [%[lanes], #8]\n\t"                                                                                   \
    "ldr %[x0], [%[lanes]], #12\n\t"
#define BLOCK3X2_HALF(op, s, w_step) BLOCK3X2_LOADS(w_step) BLOCK3X2_PRODUCTS(op, s)
#define BLOCK3X2_PRODUCTS(op, s)                                                                                       \
    op "%[a00], %[k0], %[x0]" s("a00") "\n\t" op "%[a10], %[k0], %[x1]" s("a10") "\n\t"                              \
    op "%[a20], %[k0], %[x2]" s("a20") "\n\t" op "%[a01], %[k1], %[x0]" s("a01") "\n\t"                              \
    op "%[a11], %[k1], %[x1]" s("a11") "\n\t" op "%[a21], %[k1], %[x2]" s("a21") "\n\t"
#define BLOCK3X2_NO_SUM(acc) ""
#define BLOCK3X2_SUM(acc) ", %[" acc "]"
#define BLOCK3X2_FIRST BLOCK3X2_HALF("smuad ", BLOCK3X2_NO_SUM, "4") BLOCK3X2_HALF("smlad ", BLOCK3X2_SUM, "12")
#define BLOCK3X2_MORE BLOCK3X2_HALF("smlad ", BLOCK3X2_SUM, "4") BLOCK3X2_HALF("smlad ", BLOCK3X2_SUM, "12")
/* A first group whose sums start from the two channels' biases in a00 and a01: SMLAD's accumulate operand reads
 * them for the second and third pixels before the first pixel's products overwrite them (no copies). */
#define BLOCK3X2_FROM_BIAS                                                                                             \
    BLOCK3X2_LOADS("4") BLOCK3X2_BIAS_PRODUCTS BLOCK3X2_HALF("smlad ", BLOCK3X2_SUM, "12")
#define BLOCK3X2_BIAS_PRODUCTS                                                                                         \
    "smlad %[a10], %[k0], %[x1], %[a00]\n\t"                                                                          \
    "smlad %[a20], %[k0], %[x2], %[a00]\n\t"                                                                          \
    "smlad %[a00], %[k0], %[x0], %[a00]\n\t"                                                                          \
    "smlad %[a11], %[k1], %[x1], %[a01]\n\t"                                                                          \
    "smlad %[a21], %[k1], %[x2], %[a01]\n\t"                                                                          \
    "smlad %[a01], %[k1], %[x0], %[a01]\n\t"
/* The group code above with each half group's lanes at its own offset from the lanes' start, which the assembler's
 * tc_lane counts from BLOCK3X2_FROM_BIAS_AT on: the lanes' register never moves, so that a straight run of groups
 * (the fused 1x1 blocks for a layer's shape, the RGB first layer's) needs it not reloaded for the next block. */
#define BLOCK3X2_LOADS_AT(w_step)                                                                                      \
    "ldr %[k1], [%[w], #8]\n\t"                                                                                       \
    "ldr %[k0], [%[w]], #" w_step "\n\t"                                                                             \
    "ldr %[x0], [%[lanes], #tc_lane]\n\t"                                                                             \
    "ldr %[x1], [%[lanes], #tc_lane + 4]\n\t"                                                                         \
    "ldr %[x2], [%[lanes], #tc_lane + 8]\n\t"                                                                         \
    ".set tc_lane, tc_lane + 12\n\t"
#define BLOCK3X2_HALF_AT(w_step) BLOCK3X2_LOADS_AT(w_step) BLOCK3X2_PRODUCTS("smlad ", BLOCK3X2_SUM)
#define BLOCK3X2_MORE_AT BLOCK3X2_HALF_AT("4") BLOCK3X2_HALF_AT("12")
#define BLOCK3X2_FROM_BIAS_AT                                                                                          \
    ".set tc_lane, 0\n\t" BLOCK3X2_LOADS_AT("4") BLOCK3X2_BIAS_PRODUCTS BLOCK3X2_HALF_AT("12")
/* A block's groups in turns of eight (n: job->groups, blocks3x2_turns), its sums started by the first group, or
 * loaded from job->sums (a band after the first of a deeper window); over an odd number of fours the first turn
 * runs its last four alone. */
#define BLOCK3X2_EIGHT                                                                                                 \
    "1:\n\t" BLOCK3X2_MORE "4:\n\t" BLOCK3X2_MORE BLOCK3X2_MORE BLOCK3X2_MORE                                          \
    "6:\n\t" BLOCK3X2_MORE "5:\n\t" BLOCK3X2_MORE BLOCK3X2_MORE BLOCK3X2_MORE BLOCK3X2_TURN
#define BLOCK3X2_GROUPS_NEW BLOCK3X2_GROUPS_FROM(BLOCK3X2_FIRST)
/* ... the first group `first` (BLOCK3X2_FIRST, or BLOCK3X2_FROM_BIAS on sums started from the biases). */
#define BLOCK3X2_GROUPS_FROM(first)                                                                                    \
    first "lsrs %[n], %[n], #1\n\t"                                                                                   \
    "bcs 4f\n\t"                                                                                                      \
    "b 5f\n" BLOCK3X2_EIGHT
#define BLOCK3X2_GROUPS_ADDED                                                                                          \
    "ldr %[k1], %[sums]\n\t"                                                                                          \
    "ldrd %[a00], %[a10], [%[k1]]\n\t"                                                                                \
    "ldrd %[a20], %[a01], [%[k1], #8]\n\t"                                                                            \
    "ldrd %[a11], %[a21], [%[k1], #16]\n\t"                                                                          \
    "lsrs %[n], %[n], #1\n\t"                                                                                         \
    "bcs 1f\n\t"                                                                                                      \
    "b 6f\n" BLOCK3X2_EIGHT
#define BLOCK3X2_TURN                                                                                                  \
    "subs %[n], %[n], #1\n\t"                                                                                         \
    "bne 1b\n\t"
/* Both channels' scales applied to their three sums in place (SCALE_FULL), each pixel's two outputs stored by
 * one STRH (the pixels `second` apart), the lanes rewound, `skip` (the weights to the next block's band), the
 * next block's groups loaded (n), the next block or the end; the single loads back to back, so that all but the
 * first pipeline. */
#define BLOCK3X2_SCALE_ONE(c)                                                                                          \
    "ldm %[n]!, {%[x0], %[x1], %[x2], %[k0]}\n\t"                                                                     \
    SCALE_FULL("%[a0" c "]", "%[x0]", "%[x1]", "%[x2]", "%[k0]", "%[k1]")                                              \
    SCALE_FULL("%[a1" c "]", "%[x0]", "%[x1]", "%[x2]", "%[k0]", "%[k1]")                                              \
    SCALE_FULL("%[a2" c "]", "%[x0]", "%[x1]", "%[x2]", "%[k0]", "%[k1]")
#define BLOCK3X2_OUTPUTS(skip)                                                                                         \
    "ldr %[n], %[scales]\n\t" BLOCK3X2_SCALE_ONE("0") BLOCK3X2_SCALE_ONE("1") "str %[n], %[scales]\n\t"            \
    BLOCK3X2_STORE(skip)
/* The block's six outputs, requantised in place, stored (then the lanes rewound, `skip`, the next block or the end). */
#define BLOCK3X2_STORE(skip)                                                                                           \
    "bfi %[a00], %[a01], #8, #8\n\t"                                                                                  \
    "bfi %[a10], %[a11], #8, #8\n\t"                                                                                  \
    "bfi %[a20], %[a21], #8, #8\n\t"                                                                                  \
    "ldr %[n], %[second]\n\t"                                                                                         \
    "ldr %[x0], %[output]\n\t"                                                                                        \
    "ldr %[k1], %[rewind]\n\t"                                                                                        \
    "strh %[a10], [%[x0], %[n]]\n\t"                                                                                  \
    "strh %[a20], [%[x0], %[n], lsl #1]\n\t"                                                                          \
    "strh %[a00], [%[x0]], #2\n\t"                                                                                    \
    "str %[x0], %[output]\n\t"                                                                                        \
    "sub %[lanes], %[lanes], %[k1]\n\t" skip                                                                          \
    "ldr %[k1], %[end]\n\t"                                                                                           \
    "ldr %[n], %[groups]\n\t"                                                                                         \
    "cmp %[x0], %[k1]\n\t"                                                                                            \
    "bne 2b"
/* The last band's: the sums it added past, then the outputs, the weights skipped to the next block's band. */
#define BLOCK3X2_OUTPUTS_ADDED                                                                                         \
    "ldr %[k1], %[sums]\n\t"                                                                                          \
    "adds %[k1], %[k1], #24\n\t"                                                                                      \
    "str %[k1], %[sums]\n\t" BLOCK3X2_OUTPUTS("ldr %[k1], %[skip]\n\t"                                                \
                                               "add %[w], %[w], %[k1]\n\t")
/* Any other band's: its six sums stored for the next band, the lanes rewound, the weights skipped, the next
 * block or the end of the sums. */
#define BLOCK3X2_SUMS                                                                                                  \
    "ldr %[k1], %[sums]\n\t"                                                                                          \
    "strd %[a00], %[a10], [%[k1]], #8\n\t"                                                                            \
    "strd %[a20], %[a01], [%[k1]], #8\n\t"                                                                            \
    "strd %[a11], %[a21], [%[k1]], #8\n\t"                                                                            \
    "str %[k1], %[sums]\n\t"                                                                                          \
    "ldr %[k0], %[rewind]\n\t"                                                                                        \
    "sub %[lanes], %[lanes], %[k0]\n\t"                                                                               \
    "ldr %[k0], %[skip]\n\t"                                                                                          \
    "add %[w], %[w], %[k0]\n\t"                                                                                       \
    "ldr %[k0], %[sums_end]\n\t"                                                                                      \
    "ldr %[n], %[groups]\n\t"                                                                                         \
    "cmp %[k1], %[k0]\n\t"                                                                                            \
    "bne 2b"
#define BLOCKS3X2(body, tail)                                                                                         \
    __asm volatile("2:\n\t" body tail                                                                                 \
                   : [a00] "=&r"(a00), [a10] "=&r"(a10), [a20] "=&r"(a20), [a01] "=&r"(a01), [a11] "=&r"(a11),         \
                     [a21] "=&r"(a21), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [k0] "=&r"(k0),                 \
                     [k1] "=&r"(k1), [n] "+r"(n), [lanes] "+r"(lanes), [w] "+r"(w), [output] "+m"(output),             \
                     [scales] "+m"(job->scales), [sums] "+m"(job->sums)                                                \
                   : [groups] "m"(job->groups), [rewind] "m"(job->rewind), [end] "m"(job->end),                        \
                     [second] "m"(job->second), [skip] "m"(job->skip), [sums_end] "m"(job->sums_end),                  \
                     [lanes_at] "m"(job->lanes)                                                                        \
                   : "cc", "memory")

/* job->groups for blocks3x2 over `fours` (>= 1) fours of groups: its turns of eight (an odd four's first turn
 * counted whole) doubled, plus 1 where the fours are even (the entry the asm's LSRS leaves in the carry). */
static inline int32_t blocks3x2_turns(int32_t fours)
{
    return ((fours + 1) >> 1 << 1) | !(fours & 1);
}

/* blocks2x2_wide_outputs' blocks at three pixels (expand_triple's lanes) over a multiple of 4 groups into
 * [-128, 127]: 6 products per 6 cycles of loads (blocks2x2: 4 per 6), each flash line of a block's weights read
 * once for three pixels rather than two; the groups in a loop of eight a turn (n: job->groups, blocks3x2_turns:
 * the loop's two instructions beside 176), the first turn's first group before it. job->second is the output's
 * channels, job->rewind the lanes' 24 bytes per group. A window deeper than the lanes hold runs in bands:
 * `added`, a band after the first, adds its sums to the previous bands' (job->sums); `last`, the last band (or the
 * only one), requantises and stores them, where any other stores the sums; job->skip is the weight bytes from a
 * block's band to the next block's (0 in one). */
static inline __attribute__((always_inline)) void blocks3x2(const int32_t *lanes, const int16_t *w, int8_t *output,
                                                            wide_outputs_job *job, const int added, const int last)
{
    int32_t a00, a10, a20, a01, a11, a21, k1, n = job->groups;
    /* ascending, as the LDMs load them */
    register int32_t x0 __asm("r4"), x1 __asm("r5"), x2 __asm("r6"), k0 __asm("r7");
    if (!added && last) {
        BLOCKS3X2(BLOCK3X2_GROUPS_NEW, BLOCK3X2_OUTPUTS(""));
    } else if (!added) {
        BLOCKS3X2(BLOCK3X2_GROUPS_NEW, BLOCK3X2_SUMS);
    } else if (last) {
        BLOCKS3X2(BLOCK3X2_GROUPS_ADDED, BLOCK3X2_OUTPUTS_ADDED);
    } else {
        BLOCKS3X2(BLOCK3X2_GROUPS_ADDED, BLOCK3X2_SUMS);
    }
}

/* A 1x1 convolution without padding, its inputs inside the image, over whole words of input channels into an even
 * number of output channels, on int16 weights (conv2d_pointwise.c). */
void tc_pointwise_wide(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output,
                       const tc_dims *out, const tc_window *win, int32_t offset2, const tc_output_params *p);
/* The same at stride 1 over 8 or 16 input channels into 4 to 32 output channels in fours, in [-128, 127]. */
void tc_pointwise_pixels(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output,
                         const tc_dims *out, int32_t offset2, const tc_output_params *p);
#endif

#endif /* CONV2D_WIDE_ASM_H */
