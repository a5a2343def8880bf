/* MUL, int8, broadcasting up to 4-D, with a fused activation: run by run (tc_runs_of) with the
 * parameters read once per call. */
#include "tinyctl_dsp.h"

/* One run with tc_requantize (any shift). */
static void mul_run(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2, int8_t *output, int32_t count,
                    const tc_mul_params *p)
{
    const int32_t zero_point1 = p->input1_zero_point, zero_point2 = p->input2_zero_point;
    const int32_t multiplier = p->multiplier, shift = p->shift, zero_point = p->output_zero_point;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (; count > 0; --count, a += step1, b += step2) {
        const int32_t product = (*a - zero_point1) * (*b - zero_point2);
        *output++ = tc_clamp_s8(tc_requantize(product, multiplier, shift) + zero_point, lo, hi);
    }
}

#if TC_DSP
/* One run with tc_scale_fast's arithmetic, for shifts in [-22, -1]: the product of two int8 values
 * less int8 zero points is below 2^16 in magnitude, so SMMULR of twice it is the reference's high
 * multiply and the rounding term with the output zero point folded in stays inside int32. One SSAT
 * when the clamp is the int8 range (`full`). Inlined where `full` and the steps are constants; an
 * operand repeated along the run (step 0, never the output's bytes) is read once. */
static inline __attribute__((always_inline)) void
mul_run_dsp(const int8_t *a, int32_t zero_point1, int32_t step1, const int8_t *b, int32_t zero_point2, int32_t step2,
            int8_t *output, int32_t count, const tc_mul_params *p, const int full)
{
    const int32_t multiplier = p->multiplier, right = -p->shift, lo = p->act_min, hi = p->act_max;
    const int32_t round = (INT32_C(1) << (right - 1)) + (int32_t)((uint32_t)p->output_zero_point << right);
    const int32_t fixed2 = step2 == 0 ? 2 * (*b - zero_point2) : 0;
    for (; count > 0; --count, a += step1, b += step2) {
        const int32_t twice2 = step2 == 0 ? fixed2 : 2 * (*b - zero_point2);
        const int32_t x = tc_smmulr((*a - zero_point1) * twice2, multiplier);
        *output++ = tc_shift_clamp(x, round, right, lo, hi, full);
    }
}

/* mul_run_dsp with its steps as constants where they are 1 and 1, 1 and 0, or 0 and 1. */
static inline __attribute__((always_inline)) void
mul_run_steps(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2, int8_t *output, int32_t count,
              const tc_mul_params *p, const int full)
{
    const int32_t zero_point1 = p->input1_zero_point, zero_point2 = p->input2_zero_point;
    if (step1 == 1 && step2 == 1) {
        mul_run_dsp(a, zero_point1, 1, b, zero_point2, 1, output, count, p, full);
    } else if (step1 == 1 && step2 == 0) {
        mul_run_dsp(a, zero_point1, 1, b, zero_point2, 0, output, count, p, full);
    } else if (step1 == 0 && step2 == 1) {
        mul_run_dsp(b, zero_point2, 1, a, zero_point1, 0, output, count, p, full);
    } else {
        mul_run_dsp(a, zero_point1, step1, b, zero_point2, step2, output, count, p, full);
    }
}

static __attribute__((noinline)) void mul_run_full(const int8_t *a, int32_t step1, const int8_t *b, int32_t step2,
                                                   int8_t *output, int32_t count, const tc_mul_params *p)
{
    mul_run_steps(a, step1, b, step2, output, count, p, 1);
}

static __attribute__((noinline)) void mul_run_clamped(const int8_t *a, int32_t step1, const int8_t *b,
                                                      int32_t step2, int8_t *output, int32_t count,
                                                      const tc_mul_params *p)
{
    mul_run_steps(a, step1, b, step2, output, count, p, 0);
}

static int mul_dsp_fits(const tc_mul_params *p)
{
    return p->shift >= -22 && p->shift <= -1 && p->input1_zero_point >= -128 && p->input1_zero_point <= 127
        && p->input2_zero_point >= -128 && p->input2_zero_point <= 127
        && p->output_zero_point >= -128 && p->output_zero_point <= 127;
}
#endif

void tc_mul_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_mul_params *params)
{
    const tc_runs r = tc_runs_of(strides1, strides2, output_dims);
    const int32_t step1 = strides1->c, step2 = strides2->c;
#if TC_DSP
    const int fast = mul_dsp_fits(params), full = params->act_min <= -128 && params->act_max >= 127;
#endif
    for (int32_t n = 0; n < r.runs_n; ++n) {
        for (int32_t h = 0; h < r.runs_h; ++h) {
            for (int32_t w = 0; w < r.runs_w; ++w, output += r.count) {
                const int8_t *a = input1 + n * strides1->n + h * strides1->h + w * strides1->w;
                const int8_t *b = input2 + n * strides2->n + h * strides2->h + w * strides2->w;
#if TC_DSP
                if (fast && full) {
                    mul_run_full(a, step1, b, step2, output, r.count, params);
                    continue;
                }
                if (fast) {
                    mul_run_clamped(a, step1, b, step2, output, r.count, params);
                    continue;
                }
#endif
                mul_run(a, step1, b, step2, output, r.count, params);
            }
        }
    }
}
