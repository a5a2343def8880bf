/* ADD and SUB, int8, broadcasting up to 4-D: TFLite's left_shift scheme with a fused activation,
 * computed element by element, or from per-input tables of the scaled inputs (tc_add_table_s8). */
#include "tinyctl_dsp.h"

static int32_t scaled(int32_t v, int32_t zero_point, int32_t multiplier, int32_t shift, int32_t left_shift)
{
    return tc_requantize((v - zero_point) * (1 << left_shift), multiplier, shift);
}

static int8_t finish(int32_t raw, const tc_add_params *p)
{
    int32_t v = tc_requantize(raw, p->output_multiplier, p->output_shift) + p->output_zero_point;
    return tc_clamp_s8(v, p->act_min, p->act_max);
}

static int8_t add_element(int32_t a, int32_t b, const void *params)
{
    const tc_add_params *p = (const tc_add_params *)params;
    return finish(scaled(a, p->input1_zero_point, p->input1_multiplier, p->input1_shift, p->left_shift)
                  + scaled(b, p->input2_zero_point, p->input2_multiplier, p->input2_shift, p->left_shift), p);
}

static int8_t sub_element(int32_t a, int32_t b, const void *params)
{
    const tc_add_params *p = (const tc_add_params *)params;
    return finish(scaled(a, p->input1_zero_point, p->input1_multiplier, p->input1_shift, p->left_shift)
                  - scaled(b, p->input2_zero_point, p->input2_multiplier, p->input2_shift, p->left_shift), p);
}

#if TC_DSP
/* ADD/SUB inline, element by element, with the requantisations done by SMMULR: for an even
 * 2a = 2 * (v - zero_point) * 2^left_shift, SMMULR(2a, multiplier) = floor((2a * m + 2^31) / 2^32)
 * is the reference's rounded a * m / 2^31, and so for the output's 2 * (sum or difference); then
 * tc_rounding_divide_small. Where add_dsp_fits (TFLite's int8 ADD: zero points in int8, left
 * shift 20, shifts <= 0), |a| < 2^29 and |sum| < 2^30, so every step fits an int32 and the results
 * are the portable C's. */
static int add_dsp_fits(const tc_add_params *p)
{
    return p->left_shift >= 0 && p->left_shift <= 21
        && p->input1_zero_point >= -128 && p->input1_zero_point <= 127
        && p->input2_zero_point >= -128 && p->input2_zero_point <= 127
        && p->input1_shift <= 0 && p->input1_shift >= -31 && p->input2_shift <= 0 && p->input2_shift >= -31
        && p->output_shift <= 0 && p->output_shift >= -31;
}

/* A requantisation by (multiplier, shift <= 0). */
typedef struct {
    int32_t multiplier, right;
} add_scale;

/* tc_requantize(twice / 2, s.multiplier, -s.right) for an even `twice`. */
static inline int32_t add_rescale(int32_t twice, add_scale s)
{
    return tc_rounding_divide_small(tc_smmulr(twice, s.multiplier), s.right);
}

/* tc_broadcast_s8's loops with add_element / sub_element inline (`subtract` is a constant in each
 * of the two copies); element i of an operand is read before output element i is written. */
static inline __attribute__((always_inline)) void
add_sub_dsp(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
            int8_t *output, const tc_dims *output_dims, const tc_add_params *p, const int subtract)
{
    const int32_t shift = p->left_shift + 1;
    const int32_t offset1 = p->input1_zero_point * (1 << shift), offset2 = p->input2_zero_point * (1 << shift);
    const add_scale scale1 = {p->input1_multiplier, -p->input1_shift};
    const add_scale scale2 = {p->input2_multiplier, -p->input2_shift};
    const add_scale scale_out = {p->output_multiplier, -p->output_shift};
    const int32_t step1 = strides1->c, step2 = strides2->c;
    for (int32_t n = 0; n < output_dims->n; ++n) {
        for (int32_t h = 0; h < output_dims->h; ++h) {
            for (int32_t w = 0; w < output_dims->w; ++w) {
                const int8_t *a = input1 + n * strides1->n + h * strides1->h + w * strides1->w;
                const int8_t *b = input2 + n * strides2->n + h * strides2->h + w * strides2->w;
                for (int32_t c = output_dims->c; c > 0; --c, a += step1, b += step2) {
                    int32_t x1 = add_rescale(*a * (1 << shift) - offset1, scale1);
                    int32_t x2 = add_rescale(*b * (1 << shift) - offset2, scale2);
                    int32_t v = add_rescale(2 * (subtract ? x1 - x2 : x1 + x2), scale_out) + p->output_zero_point;
                    *output++ = tc_clamp_s8(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif

void tc_add_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_add_params *params)
{
#if TC_DSP
    if (add_dsp_fits(params)) {
        add_sub_dsp(input1, strides1, input2, strides2, output, output_dims, params, 0);
        return;
    }
#endif
    tc_broadcast_s8(input1, strides1, input2, strides2, output, output_dims, add_element, params);
}

void tc_sub_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_add_params *params)
{
#if TC_DSP
    if (add_dsp_fits(params)) {
        add_sub_dsp(input1, strides1, input2, strides2, output, output_dims, params, 1);
        return;
    }
#endif
    tc_broadcast_s8(input1, strides1, input2, strides2, output, output_dims, sub_element, params);
}

/* One run by the tables, requantising with tc_requantize (any output shift). */
static void table_run(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2, int8_t *output, int32_t count,
                      const int32_t *table1, const int32_t *table2, const tc_add_params *p)
{
    for (; count > 0; --count, a += step1, b += step2) {
        const int32_t twice = table1[*a] + table2[*b];
        const int32_t v = tc_requantize(twice >> 1, p->output_multiplier, p->output_shift) + p->output_zero_point;
        *output++ = tc_clamp_s8(v, p->act_min, p->act_max);
    }
}

#if TC_DSP
/* One run by the tables with tc_scale_fast's arithmetic (output right shift 1..22): SMMULR of the
 * twice-scaled sum, then one add with the rounding and the zero point folded in, one shift, and one
 * SSAT when the clamp is the int8 range (`full`). The tables' precondition (|sum| < 2^30) keeps every
 * step inside int32. Inlined where `full` and the steps are constants. */
static inline __attribute__((always_inline)) void
table_run_dsp(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2, int8_t *output, int32_t count,
              const int32_t *table1, const int32_t *table2, const tc_channel_scale *s, int32_t lo, int32_t hi,
              const int full)
{
    const int32_t multiplier = s->multiplier, round = s->round, right = s->right;
    const int32_t fixed2 = step2 == 0 ? table2[*b] : 0; /* an operand repeated along the run is never the output */
    for (; count > 0; --count, a += step1, b += step2) {
        const int32_t x = tc_smmulr(table1[*a] + (step2 == 0 ? fixed2 : table2[*b]), multiplier);
        *output++ = tc_shift_clamp(x, round, right, lo, hi, full);
    }
}

/* table_run_dsp with its steps as constants where they are 1 and 1, 1 and 0, or 0 and 1. */
static inline __attribute__((always_inline)) void
table_run_steps(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2, int8_t *output, int32_t count,
                const int32_t *table1, const int32_t *table2, const tc_channel_scale *s, int32_t lo, int32_t hi,
                const int full)
{
    if (step1 == 1 && step2 == 1) {
        table_run_dsp(a, 1, b, 1, output, count, table1, table2, s, lo, hi, full);
    } else if (step1 == 1 && step2 == 0) {
        table_run_dsp(a, 1, b, 0, output, count, table1, table2, s, lo, hi, full);
    } else if (step1 == 0 && step2 == 1) {
        table_run_dsp(b, 1, a, 0, output, count, table2, table1, s, lo, hi, full);
    } else {
        table_run_dsp(a, step1, b, step2, output, count, table1, table2, s, lo, hi, full);
    }
}

/* Two elements of table_quads: the input bytes at the addressing tails `second` and `first` of a and b (first
 * last, so that it may post-increment), their outputs in e1 and the register e. The eight loads come back to
 * back, so that all but the first pipeline. */
#define TABLE_PAIR(first, second, e)                                                                                   \
    "ldrsb %[e1], [%[a]" second "\n\t"                                                                                 \
    "ldrsb %[x1], [%[b]" second "\n\t"                                                                                 \
    "ldrsb " e ", [%[a]" first "\n\t"                                                                                  \
    "ldrsb %[x0], [%[b]" first "\n\t"                                                                                  \
    "ldr %[e1], [%[t1], %[e1], lsl #2]\n\t"                                                                            \
    "ldr %[x1], [%[t2], %[x1], lsl #2]\n\t"                                                                            \
    "ldr " e ", [%[t1], " e ", lsl #2]\n\t"                                                                            \
    "ldr %[x0], [%[t2], %[x0], lsl #2]\n\t"                                                                            \
    "add %[x0], " e ", %[x0]\n\t"                                                                                      \
    "add %[x1], %[e1], %[x1]\n\t"                                                                                      \
    "smmlar " e ", %[x0], %[m], %[round]\n\t"                                                                          \
    "smmlar %[e1], %[x1], %[m], %[round]\n\t"                                                                          \
    "add " e ", " e ", %[x0], asr #31\n\t"                                                                             \
    "add %[e1], %[e1], %[x1], asr #31\n\t"                                                                             \
    "asr " e ", " e ", %[right]\n\t"                                                                                   \
    "asr %[e1], %[e1], %[right]\n\t"                                                                                   \
    "ssat " e ", #8, " e "\n\t"                                                                                        \
    "ssat %[e1], #8, %[e1]\n\t"

/* table_run_dsp over the full range with unit steps, four elements a turn until output reaches end (a
 * multiple of 4 bytes on, output word-aligned): the four outputs in one word store, after all eight input
 * bytes are read (so in place on either input is safe). SMMLAR adds the rounding and zero point `round` to
 * the high product; the ties-away correction takes the sum's sign instead of the product's: they differ
 * only where the product is 0 (multiplier >= 0), and there (round - 1) >> right == round >> right. */
static __attribute__((noinline)) void table_quads(const int8_t *input1, const int8_t *input2, int8_t *output,
                                                  const int8_t *end, const int32_t *table1, const int32_t *table2,
                                                  const tc_channel_scale *s)
{
    register const int8_t *a __asm("r0") = input1, *b __asm("r1") = input2;
    register int8_t *out __asm("r2") = output;
    register const int8_t *last __asm("r3") = end;
    register const int32_t *t1 __asm("r4") = table1, *t2 __asm("r5") = table2;
    register int32_t m __asm("r6") = s->multiplier, round __asm("r7") = s->round, right __asm("r8") = s->right;
    register int32_t e0 __asm("r9"), e1 __asm("r10"), x0 __asm("r11"), x1 __asm("r12"), word __asm("lr");
    __asm volatile("1:\n\t" TABLE_PAIR("], #4", ", #1]", "%[word]") "bfi %[word], %[e1], #8, #8\n\t"
                   TABLE_PAIR(", #-2]", ", #-1]", "%[e0]")
                   "bfi %[word], %[e0], #16, #8\n\t"
                   "bfi %[word], %[e1], #24, #8\n\t"
                   "str %[word], [%[out]], #4\n\t"
                   "cmp %[out], %[last]\n\t"
                   "bne 1b"
                   : [a] "+r"(a), [b] "+r"(b), [out] "+r"(out), [e0] "=&r"(e0), [e1] "=&r"(e1), [x0] "=&r"(x0),
                     [x1] "=&r"(x1), [word] "=&r"(word)
                   : [last] "r"(last), [t1] "r"(t1), [t2] "r"(t2), [m] "r"(m), [round] "r"(round), [right] "r"(right)
                   : "cc", "memory");
}
#undef TABLE_PAIR

/* table_quads' call and head cost more than it saves on shorter runs (16 channels a pixel). */
#define QUADS_MIN 64

static __attribute__((noinline)) void table_run_full(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2,
                                                     int8_t *output, int32_t count, const int32_t *table1,
                                                     const int32_t *table2, const tc_channel_scale *s)
{
    if (step1 == 1 && step2 == 1 && count >= QUADS_MIN && s->multiplier >= 0) {
        const int32_t head = (int32_t)(-(uintptr_t)output & 3), quads = (count - head) & ~3;
        if (quads > 0) {
            table_run_dsp(a, 1, b, 1, output, head, table1, table2, s, -128, 127, 1);
            table_quads(a + head, b + head, output + head, output + head + quads, table1, table2, s);
            a += head + quads;
            b += head + quads;
            output += head + quads;
            count -= head + quads;
        }
    }
    table_run_steps(a, step1, b, step2, output, count, table1, table2, s, -128, 127, 1);
}

static __attribute__((noinline)) void table_run_clamped(const int8_t *a, int32_t step1, const int8_t *b,
                                                        int32_t step2, int8_t *output, int32_t count,
                                                        const int32_t *table1, const int32_t *table2,
                                                        const tc_channel_scale *s, int32_t lo, int32_t hi)
{
    table_run_steps(a, step1, b, step2, output, count, table1, table2, s, lo, hi, 0);
}

/* The ops on at least TABLES_IN_RAM_MIN elements read their tables from a copy on the stack: read from
 * flash, the two tables' 64 lines thrash the part's few lines of flash data buffer (an L4's 8), at up to
 * two line fills an element, while the copy costs about 2 k cycles. */
#define TABLES_IN_RAM_MIN 1024
#define TABLE_WORDS 256

/* 8 words, so that gcc copies a table by LDM/STM; the empty asm keeps it from calling newlib-nano's
 * byte-at-a-time memcpy instead. */
typedef struct {
    int32_t words[8];
} table_block;

static void copy_table(int32_t *dst, const int32_t *src)
{
    table_block *to = (table_block *)dst;
    const table_block *from = (const table_block *)src;
    for (int32_t i = 0; i < TABLE_WORDS / 8; ++i) {
        to[i] = from[i];
        __asm volatile("");
    }
}
#endif

void tc_add_table_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
                     int8_t *output, const tc_dims *output_dims, const int32_t *table1, const int32_t *table2,
                     const tc_add_params *params)
{
    const tc_runs r = tc_runs_of(strides1, strides2, output_dims);
    const int32_t step1 = strides1->c, step2 = strides2->c;
#if TC_DSP
    int32_t copies[2][TABLE_WORDS];
    if (r.runs_n * r.runs_h * r.runs_w * r.count >= TABLES_IN_RAM_MIN) {
        copy_table(copies[0], table1);
        copy_table(copies[1], table2);
        table1 = copies[0];
        table2 = copies[1];
    }
#endif
    table1 += 128;
    table2 += 128;
#if TC_DSP
    const int32_t right = -params->output_shift, lo = params->act_min, hi = params->act_max;
    const int fast = right >= 1 && right <= 22, full = lo <= -128 && hi >= 127;
    const uint32_t zero_point = (uint32_t)params->output_zero_point;
    const int32_t round = fast ? (INT32_C(1) << (right - 1)) + (int32_t)(zero_point << right) : 0;
    const tc_channel_scale s = {0, params->output_multiplier, round, right};
#endif
    for (int32_t n = 0; n < r.runs_n; ++n) {
        for (int32_t h = 0; h < r.runs_h; ++h) {
            for (int32_t w = 0; w < r.runs_w; ++w, output += r.count) {
                const int8_t *a = input1 + n * strides1->n + h * strides1->h + w * strides1->w;
                const int8_t *b = input2 + n * strides2->n + h * strides2->h + w * strides2->w;
#if TC_DSP
                if (fast && full) {
                    table_run_full(a, step1, b, step2, output, r.count, table1, table2, &s);
                    continue;
                }
                if (fast) {
                    table_run_clamped(a, step1, b, step2, output, r.count, table1, table2, &s, lo, hi);
                    continue;
                }
#endif
                table_run(a, step1, b, step2, output, r.count, table1, table2, params);
            }
        }
    }
}
