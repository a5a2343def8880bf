/* DEPTHWISE_CONV_2D, int8: output channel ic * depth_multiplier + m reads input channel ic. */
#include "tinyctl_engine.h"

static int32_t depthwise_point(const int8_t *input, const tc_dims *in, int32_t batch,
                               int32_t y0, int32_t x0, int32_t ic, const int8_t *weights,
                               const tc_dims *wd, int32_t oc, const tc_window *win,
                               int32_t input_offset)
{
    int32_t acc = 0;
    for (int32_t fy = 0; fy < wd->h; ++fy) {
        int32_t y = y0 + fy * win->dilation_h;
        if (y < 0 || y >= in->h) {
            continue;
        }
        for (int32_t fx = 0; fx < wd->w; ++fx) {
            int32_t x = x0 + fx * win->dilation_w;
            if (x < 0 || x >= in->w) {
                continue;
            }
            int32_t v = input[((batch * in->h + y) * in->w + x) * in->c + ic];
            acc += (int32_t)weights[(fy * wd->w + fx) * wd->c + oc] * (v + input_offset);
        }
    }
    return acc;
}

#if TC_DSP
/* Depth multiplier 1: output channel c reads input channel c, so four neighbouring channels are one
 * input word and one weight word per tap, unpacked to int16 lanes (bytes 0 and 2, then 1 and 3)
 * and multiplied lane by lane into four accumulators (SMLABB/SMLATT). Along a filter row the taps
 * inside the image are words `c` bytes apart in both the input and the weights, unless the filter
 * is dilated across (`dilated`, a constant in each of the two copies the compiler makes). */
static inline __attribute__((always_inline)) void
depthwise_dsp(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
              const int32_t *bias, int8_t *output, const tc_dims *out,
              const tc_window *win, const tc_int8_io *io, const tc_requant *rq, const int dilated)
{
    const int32_t c = in->c, offset2 = tc_dup16(-io->input_zero_point);
    const int32_t x_row_step = win->dilation_h * in->w * c, w_row_step = wd->w * c;
    const int32_t x_tap_step = dilated ? win->dilation_w * c : c;
    const tc_output_params params = tc_output_params_of(bias, c, wd->h * wd->w, io, rq);
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int32_t y0 = oy * win->stride_h - win->pad_top;
            const tc_tap_span rows = tc_taps_inside(y0, win->dilation_h, wd->h, in->h);
            for (int32_t ox = 0; ox < out->w; ++ox, output += c) {
                const int32_t x0 = ox * win->stride_w - win->pad_left;
                const tc_tap_span cols = tc_taps_inside(x0, dilated ? win->dilation_w : 1, wd->w, in->w);
                const int32_t last = cols.hi - cols.lo - 1; /* a filter row's last tap in the image */
                const int8_t *x_first = input + ((b * in->h + y0 + rows.lo * win->dilation_h) * in->w
                                                 + x0 + cols.lo * (dilated ? win->dilation_w : 1)) * c;
                const int8_t *w_first = weights + (rows.lo * wd->w + cols.lo) * c;
                int32_t ch = 0;
                for (; ch + 4 <= c; ch += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    const int8_t *x = x_first + ch, *w = w_first + ch;
                    for (int32_t fy = rows.hi - rows.lo; fy > 0; --fy, x += x_row_step, w += w_row_step) {
                        for (int32_t i = last * c, j = last * x_tap_step; i >= 0; i -= c, j -= x_tap_step) {
                            int32_t v = tc_load_s8x4(x + j), k = tc_load_s8x4(w + i);
                            int32_t v_even = __sxtab16(offset2, v), k_even = __sxtb16(k);
                            int32_t v_odd = tc_sxtab16_odd(offset2, v), k_odd = tc_sxtb16_odd(k);
                            a0 = __smlabb(v_even, k_even, a0);
                            a2 = __smlatt(v_even, k_even, a2);
                            a1 = __smlabb(v_odd, k_odd, a1);
                            a3 = __smlatt(v_odd, k_odd, a3);
                        }
                    }
                    const int32_t acc[4] = {a0, a1, a2, a3};
                    tc_outputs_dsp(acc, 4, ch, &params, output + ch);
                }
                for (; ch < c; ++ch) { /* the last 1..3 channels */
                    int32_t acc = 0;
                    const int8_t *x = x_first + ch, *w = w_first + ch;
                    for (int32_t fy = rows.hi - rows.lo; fy > 0; --fy, x += x_row_step, w += w_row_step) {
                        for (int32_t i = last * c, j = last * x_tap_step; i >= 0; i -= c, j -= x_tap_step) {
                            acc += w[i] * (x[j] + (int16_t)offset2);
                        }
                    }
                    tc_outputs_dsp(&acc, 1, ch, &params, output + ch);
                }
            }
        }
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
        && tc_dsp_offset_ok(io->input_zero_point)) {
        if (window->dilation_w == 1) {
            depthwise_dsp(input, input_dims, weights, weight_dims, bias, output, output_dims, window, io, rq, 0);
        } else {
            depthwise_dsp(input, input_dims, weights, weight_dims, bias, output, output_dims, window, io, rq, 1);
        }
        return;
    }
#endif
    for (int32_t b = 0; b < output_dims->n; ++b) {
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            int32_t y0 = oy * window->stride_h - window->pad_top;
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                int32_t x0 = ox * window->stride_w - window->pad_left;
                for (int32_t oc = 0; oc < output_dims->c; ++oc) {
                    int32_t q = rq->count == 1 ? 0 : oc;
                    int32_t acc = depthwise_point(input, input_dims, b, y0, x0, oc / multiplier,
                                                  weights, weight_dims, oc, window,
                                                  -io->input_zero_point);
                    if (bias) {
                        acc += bias[oc];
                    }
                    acc = tc_requantize(acc, rq->multiplier[q], rq->shift[q]) + io->output_zero_point;
                    *output++ = tc_clamp_s8(acc, io->act_min, io->act_max);
                }
            }
        }
    }
}
