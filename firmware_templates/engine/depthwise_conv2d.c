/* DEPTHWISE_CONV_2D, int8: output channel ic * depth_multiplier + m reads input channel ic.
 * In place (toolchain/engine/window_in_place.py): with multiplier 1 the planner may put the output a
 * whole number of pixels below the input, so every path here and in depthwise_plane.c must read only
 * channel ch of the input for output channel ch, write outputs in raster order (per pixel or per channel
 * plane; depthwise_plane.c's walk by columns only runs out of place) and read an output's window before
 * writing that output. */
#include "tinyctl_dsp.h"

#if TC_DSP
#define DW_MAX_CHUNK 64 /* channels per pass at most: their scales are on the stack (1 KiB) */
#define DW_MAX_TAPS 36  /* filter taps of the DSP path (6x6) */
#define DW_PACKED (4 * DW_MAX_TAPS * 2) /* int32s of a pass's packed weights: 4 groups of 6x6, 8 of 3x3 */

/* The chunk's weights for whole groups of 4 channels as int16 pairs, group by group, tap by tap:
 * the even pair (channels 0 and 2), then the odd pair (1 and 3). */
static void depthwise_pack(const int8_t *weights, int32_t c, int32_t taps, int32_t groups, int32_t *packed)
{
    for (int32_t g = 0; g < groups; ++g) {
        for (int32_t t = 0; t < taps; ++t, packed += 2) {
            const int32_t k = tc_load_s8x4(weights + t * c + 4 * g);
            packed[0] = __sxtb16(k);
            packed[1] = tc_sxtb16_odd(k);
        }
    }
}

/* The accumulators of a group of 4 channels (a struct, so that they stay in registers). */
typedef struct {
    int32_t a0, a1, a2, a3;
} acc4;

/* acc += one tap of each channel of a group of 4: the input word, unpacked with the input offset
 * to int16 lanes, against the tap's packed weights (SMLABB/SMLATT, one MAC each). */
static inline __attribute__((always_inline)) acc4 depthwise_tap(acc4 acc, const int8_t *x, const int32_t *w,
                                                                int32_t offset2)
{
    const int32_t v = tc_load_s8x4(x);
    const int32_t even = __sxtab16(offset2, v), odd = tc_sxtab16_odd(offset2, v);
    acc.a0 = __smlabb(even, w[0], acc.a0);
    acc.a2 = __smlatt(even, w[0], acc.a2);
    acc.a1 = __smlabb(odd, w[1], acc.a1);
    acc.a3 = __smlatt(odd, w[1], acc.a3);
    return acc;
}

/* One tap of the rows' asm: the input word at [x + at], its lanes with the offset, against
 * the next packed weight pair. */
#define DW_TAP_LANES_ASM(at)                            \
    "ldr %[v], [%[x]" at "]\n\t"                       \
    "ldrd %[k0], %[k1], [%[w]], #8\n\t"                \
    "sxtab16 %[e], %[off], %[v]\n\t"                   \
    "sxtab16 %[v], %[off], %[v], ror #8\n\t"
#define DW_TAP_ASM(at)                                  \
    DW_TAP_LANES_ASM(at)                                \
    "smlabb %[a0], %[e], %[k0], %[a0]\n\t"             \
    "smlatt %[a2], %[e], %[k0], %[a2]\n\t"             \
    "smlabb %[a1], %[v], %[k1], %[a1]\n\t"             \
    "smlatt %[a3], %[v], %[k1], %[a3]\n\t"

/* The first tap of depthwise_groups_outputs' windows: the sums start from its products. */
#define DW_FIRST_TAP_ASM                                \
    DW_TAP_LANES_ASM("")                                \
    "smulbb %[a0], %[e], %[k0]\n\t"                    \
    "smultt %[a2], %[e], %[k0]\n\t"                    \
    "smulbb %[a1], %[v], %[k1]\n\t"                    \
    "smultt %[a3], %[v], %[k1]\n\t"

/* One filter row of 3 taps in DW_ROWS_ASM, x at its first tap; then x at its last. The label after
 * the first tap is where depthwise_groups_outputs enters the loop, past DW_FIRST_TAP_ASM. */
#define DW_ROW3_ASM DW_TAP_ASM("") "5:\n\t" DW_TAP_ASM(", %[tap]") "add %[x], %[x], %[tap], lsl #1\n\t" DW_TAP_ASM("")
/* A row of 2 taps of a filter 3 wide (its other column is outside the image), x at its first tap:
 * the third tap's weights are skipped. */
#define DW_ROW2_ASM DW_TAP_ASM("") "5:\n\t" DW_TAP_ASM(", %[tap]") "add %[w], %[w], #8\n\t"

/* The loop over `n` (> 0) filter rows, `rest` bytes from where `row` leaves x to the next
 * row's first tap. */
#define DW_ROWS_ASM(row)                                \
    "1:\n\t"                                            \
    row                                                 \
    "add %[x], %[x], %[rest]\n\t"                      \
    "subs %[n], %[n], #1\n\t"                          \
    "bne 1b\n\t"
#define DW_ROWS_OPERANDS                                                                                          \
    [a0] "+r"(acc.a0), [a1] "+r"(acc.a1), [a2] "+r"(acc.a2), [a3] "+r"(acc.a3), [x] "+r"(x), [w] "+r"(w),         \
        [n] "+r"(rows), [v] "=&r"(v), [e] "=&r"(e), [k0] "=&r"(k0), [k1] "=&r"(k1)

/* One sum of depthwise_groups_outputs requantised in its register: tc_output_scaled for the range
 * [-128, 127] (its five steps and one SSAT), the channel's tc_channel_scale read at [n]. */
#define DW_SCALE_ASM(acc)                               \
    "ldm %[n]!, {%[k0], %[k1], %[e], %[v]}\n\t"        \
    "add " acc ", %[k0], " acc ", lsl #1\n\t"          \
    "smmulr " acc ", " acc ", %[k1]\n\t"               \
    "add " acc ", " acc ", " acc ", asr #31\n\t"       \
    "add " acc ", " acc ", %[e]\n\t"                   \
    "asr " acc ", " acc ", %[v]\n\t"                   \
    "ssat " acc ", #8, " acc "\n\t"

/* depthwise_groups_outputs' loop: for each group, DW_ROWS_ASM from the first tap's products, the 4 sums
 * requantised and stored as int8, then x and w moved from where the rows left them to the next
 * group's first tap (x_back bytes back, w_gap on), until x is at x_stop. */
#define DW_GROUPS_ASM(row)                              \
    "2:\n\t"                                            \
    "ldr %[n], %[rows]\n\t"                            \
    DW_FIRST_TAP_ASM                                    \
    "b 5f\n\t"                                         \
    DW_ROWS_ASM(row)                                    \
    "ldr %[n], %[scales]\n\t"                          \
    DW_SCALE_ASM("%[a0]")                               \
    DW_SCALE_ASM("%[a1]")                               \
    DW_SCALE_ASM("%[a2]")                               \
    DW_SCALE_ASM("%[a3]")                               \
    "str %[n], %[scales]\n\t"                          \
    "ldr %[n], %[output]\n\t"                          \
    "strb %[a1], [%[n], #1]\n\t"                       \
    "strb %[a2], [%[n], #2]\n\t"                       \
    "strb %[a3], [%[n], #3]\n\t"                       \
    "strb %[a0], [%[n]], #4\n\t"                       \
    "str %[n], %[output]\n\t"                          \
    "ldr %[n], %[x_back]\n\t"                          \
    "sub %[x], %[x], %[n]\n\t"                         \
    "ldr %[n], %[w_gap]\n\t"                           \
    "add %[w], %[w], %[n]\n\t"                         \
    "ldr %[n], %[x_stop]\n\t"                          \
    "cmp %[x], %[n]\n\t"                               \
    "bne 2b"
#define DW_GROUPS_OPERANDS                                                                                        \
    [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x] "+r"(x), [w] "+r"(w), [n] "=&r"(n),       \
        [v] "=&r"(v), [e] "=&r"(e), [k0] "=&r"(k0), [k1] "=&r"(k1), [scales] "+m"(scales), [output] "+m"(output)
#define DW_ROWS_INPUTS [tap] "r"(x_tap_step), [rest] "r"(row_rest), [off] "r"(offset2)
#define DW_GROUPS_INPUTS                                                                                          \
    DW_ROWS_INPUTS, [rows] "m"(rows), [x_back] "m"(x_back), [w_gap] "m"(w_gap), [x_stop] "m"(x_stop)

/* `rows` (> 0) filter rows of 3 taps, for a filter 3 taps wide: the loop in asm, because it needs
 * all 14 allocatable registers and gcc spills two of them. */
static inline __attribute__((always_inline)) acc4
depthwise_rows3(const int8_t *x, const int32_t *w, int32_t rows, int32_t x_tap_step, int32_t x_row_step,
                int32_t offset2)
{
    acc4 acc = {0, 0, 0, 0};
    const int32_t row_rest = x_row_step - 2 * x_tap_step;
    int32_t v, e, k0, k1;
    __asm volatile(DW_ROWS_ASM(DW_ROW3_ASM) : DW_ROWS_OPERANDS : DW_ROWS_INPUTS : "cc", "memory");
    return acc;
}

/* `groups` (> 0) groups of 4 channels into the activation range [-128, 127]: DW_ROWS_ASM for each,
 * its 4 sums requantised in registers with the group's scales and stored as int8, the loop over the
 * groups in the asm too, with the weights of a group `taps` pairs after the previous one's. A function
 * of its own, so that the asm's memory operands (the loop's constants) are on its stack. */
static __attribute__((noinline)) void
depthwise_groups_outputs(const int8_t *x, const int32_t *w, int32_t groups, int32_t taps, int32_t rows,
                         int32_t cols, int32_t x_tap_step, int32_t x_row_step, int32_t offset2,
                         const tc_channel_scale *scales, int8_t *output)
{
    const int32_t row_rest = x_row_step - (cols == 3 ? 2 * x_tap_step : 0);
    const int32_t x_back = rows * x_row_step - 4, w_gap = (2 * taps - 6 * rows) * (int32_t)sizeof *w;
    const int8_t *x_stop = x + 4 * groups;
    int32_t a0, a1, a2, a3, n;
    /* a scale's 4 fields in one LDM, which takes its registers in ascending order */
    register int32_t k0 __asm("r8"), k1 __asm("r9"), e __asm("r10"), v __asm("r11");
    if (cols == 3) {
        __asm volatile(DW_GROUPS_ASM(DW_ROW3_ASM) : DW_GROUPS_OPERANDS : DW_GROUPS_INPUTS : "cc", "memory");
    } else {
        __asm volatile(DW_GROUPS_ASM(DW_ROW2_ASM) : DW_GROUPS_OPERANDS : DW_GROUPS_INPUTS : "cc", "memory");
    }
}

/* The taps of a group of 4 channels inside the image: `rows` filter rows of `cols` taps; rows of
 * a 3-wide filter with all 3 taps inside go through depthwise_rows3 when `rows3` (off where
 * depthwise_groups_outputs takes them all). */
static inline __attribute__((always_inline)) acc4
depthwise_taps(const int8_t *x, const int32_t *w, int32_t rows, int32_t cols, int32_t filter_w, int32_t x_row_step,
               int32_t x_tap_step, int32_t offset2, const int rows3)
{
    if (rows3 && filter_w == 3 && cols == 3 && rows > 0) {
        return depthwise_rows3(x, w, rows, x_tap_step, x_row_step, offset2);
    }
    acc4 acc = {0, 0, 0, 0};
    for (int32_t r = rows; r > 0; --r, x += x_row_step, w += 2 * filter_w) {
        const int8_t *xp = x;
        const int32_t *wp = w;
        for (int32_t t = cols; t > 0; --t, xp += x_tap_step, wp += 2) {
            acc = depthwise_tap(acc, xp, wp, offset2);
        }
    }
    return acc;
}

/* Depth multiplier 1, a chunk of up to DW_MAX_CHUNK channels at a time (as many whole groups as
 * DW_PACKED holds the weights of: fewer passes, fewer pixel set-ups): for every output pixel, the
 * chunk's groups of 4 channels (one input word per tap) and then its last 1..3 channels one by one. The
 * outputs are requantised with the chunk's tc_channel_scale when `scaled` (params->fast_scale), then
 * clamped by one SSAT when `full` (the activation range is [-128, 127]), else by tc_outputs_dsp;
 * both are constants in each of the three copies the compiler makes. With `full`, the windows of a
 * 3-wide filter with 2 or 3 columns inside the image take depthwise_groups_outputs (all in asm). */
static inline __attribute__((always_inline)) void
depthwise_dsp(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
              int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
              const tc_output_params *p, const int scaled, const int full)
{
    const int32_t c = in->c, taps = wd->h * wd->w, offset2 = tc_dup16(-io->input_zero_point);
    const int32_t x_row_step = win->dilation_h * in->w * c, x_tap_step = win->dilation_w * c;
    const int32_t lo = p->min, hi = p->max;
    const int32_t fit = DW_PACKED / (2 * taps) * 4, most = fit < DW_MAX_CHUNK ? fit : DW_MAX_CHUNK; /* channels */
    int32_t packed[DW_PACKED];
    tc_channel_scale scales[DW_MAX_CHUNK];
    for (int32_t first = 0; first < c; first += most) {
        const int32_t chunk = c - first < most ? c - first : most, groups = chunk >> 2;
        depthwise_pack(weights + first, c, taps, groups, packed);
        if (scaled) {
            tc_channel_scales(p, first, chunk, scales);
        }
        int8_t *o = output + first;
        for (int32_t b = 0; b < out->n; ++b) {
            for (int32_t oy = 0; oy < out->h; ++oy) {
                const int32_t y0 = oy * win->stride_h - win->pad_top;
                const tc_tap_span rows = tc_taps_inside(y0, win->dilation_h, wd->h, in->h);
                for (int32_t ox = 0; ox < out->w; ++ox, o += c) {
                    const int32_t x0 = ox * win->stride_w - win->pad_left;
                    const tc_tap_span cols = tc_taps_inside(x0, win->dilation_w, wd->w, in->w);
                    const int32_t n_cols = cols.hi - cols.lo, n_rows = n_cols > 0 ? rows.hi - rows.lo : 0;
                    const int32_t first_tap = rows.lo * wd->w + cols.lo;
                    const int8_t *x = input + ((b * in->h + y0 + rows.lo * win->dilation_h) * in->w
                                               + x0 + cols.lo * win->dilation_w) * c + first;
                    const int fused = full && wd->w == 3 && groups > 0 && n_rows > 0 && (n_cols == 3 || n_cols == 2);
                    if (fused) {
                        depthwise_groups_outputs(x, packed + first_tap * 2, groups, taps, n_rows, n_cols,
                                                 x_tap_step, x_row_step, offset2, scales, o);
                    }
                    for (int32_t g = fused ? groups : 0; g < groups; ++g) {
                        const acc4 sums = depthwise_taps(x + 4 * g, packed + (g * taps + first_tap) * 2, n_rows,
                                                         n_cols, wd->w, x_row_step, x_tap_step, offset2, !full);
                        const int32_t acc[4] = {sums.a0, sums.a1, sums.a2, sums.a3};
                        if (scaled) {
                            const tc_channel_scale *s = scales + 4 * g;
                            o[4 * g] = tc_output_scaled(sums.a0, s, lo, hi, full);
                            o[4 * g + 1] = tc_output_scaled(sums.a1, s + 1, lo, hi, full);
                            o[4 * g + 2] = tc_output_scaled(sums.a2, s + 2, lo, hi, full);
                            o[4 * g + 3] = tc_output_scaled(sums.a3, s + 3, lo, hi, full);
                        } else {
                            tc_outputs_dsp(acc, 4, first + 4 * g, p, o + 4 * g);
                        }
                    }
                    for (int32_t ch = 4 * groups; ch < chunk; ++ch) { /* the last 1..3 channels */
                        const int8_t *xr = x + ch, *w = weights + first_tap * c + first + ch;
                        int32_t acc = 0;
                        for (int32_t r = n_rows; r > 0; --r, xr += x_row_step, w += wd->w * c) {
                            for (int32_t t = 0; t < n_cols; ++t) {
                                acc += w[t * c] * (xr[t * x_tap_step] + (int16_t)offset2);
                            }
                        }
                        tc_outputs_dsp(&acc, 1, first + ch, p, o + ch);
                    }
                }
            }
        }
    }
}

static __attribute__((noinline)) void
depthwise(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd, int8_t *output,
          const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p)
{
    if (!p->fast_scale) {
        depthwise_dsp(input, in, weights, wd, output, out, win, io, p, 0, 0);
    } else if (p->min == -128 && p->max == 127) {
        depthwise_dsp(input, in, weights, wd, output, out, win, io, p, 1, 1);
    } else {
        depthwise_dsp(input, in, weights, wd, output, out, win, io, p, 1, 0);
    }
}
#endif

void tc_depthwise_conv2d_s8(const int8_t *input, const tc_dims *input_dims,
                            const int8_t *weights, const tc_dims *weight_dims, const int32_t *bias,
                            int8_t *output, const tc_dims *output_dims,
                            const tc_window *window, const tc_int8_io *io, const tc_requant *rq)
{
    const int32_t multiplier = output_dims->c / input_dims->c;
#if TC_DSP
    if (multiplier == 1 && weight_dims->c == input_dims->c && output_dims->c == input_dims->c
        && weight_dims->h * weight_dims->w <= DW_MAX_TAPS && tc_dsp_offset_ok(io->input_zero_point)) {
        const tc_output_params params = tc_output_params_of(bias, input_dims->c, weight_dims->h * weight_dims->w,
                                                            io, rq);
        if (tc_depthwise_plane_fits(weight_dims, output_dims, window, &params)) {
            tc_depthwise_plane_s8(input, input_dims, weights, output, output_dims, window, io, &params);
        } else {
            depthwise(input, input_dims, weights, weight_dims, output, output_dims, window, io, &params);
        }
        return;
    }
#endif
    tc_window_conv_s8(input, input_dims, weights, weight_dims, bias, output, output_dims, window, io, rq, 1,
                      multiplier);
}
