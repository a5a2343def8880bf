/* CONV_2D, int8 activations and weights, int32 bias, per-channel requantisation. */
#include "tinyctl_dsp.h"

#if TC_DSP
/* Four output channels at a time share each input word (tc_dot4_s8), then one at a time. For an
 * output pixel, each filter row's taps inside the image are one run of contiguous input bytes and
 * weight bytes (taps x channels), or one run per tap when the filter is dilated across (`dilated`,
 * a constant in each of the two copies the compiler makes). */
static inline __attribute__((always_inline)) void
conv2d_dsp(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd, int8_t *output,
           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *params,
           const int dilated)
{
    const int32_t c = in->c, filter_size = wd->h * wd->w * c;
    const int32_t offset2 = tc_dup16(-io->input_zero_point);
    const int32_t dilation_w = dilated ? win->dilation_w : 1;
    const int32_t x_row_step = win->dilation_h * in->w * c, w_row_step = wd->w * c;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int32_t y0 = oy * win->stride_h - win->pad_top;
            const tc_tap_span rows = tc_taps_inside(y0, win->dilation_h, wd->h, in->h);
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const int32_t x0 = ox * win->stride_w - win->pad_left;
                const tc_tap_span cols = tc_taps_inside(x0, dilation_w, wd->w, in->w);
                const int32_t taps = cols.hi - cols.lo;
                const int32_t runs = dilated ? taps : 1, run = dilated ? c : taps * c;
                const int32_t n_rows = taps > 0 ? rows.hi - rows.lo : 0;
                const int8_t *x_first = input + ((b * in->h + y0 + rows.lo * win->dilation_h) * in->w
                                                 + x0 + cols.lo * dilation_w) * c;
                const int8_t *w_first = weights + (rows.lo * wd->w + cols.lo) * c;
                int32_t oc = 0;
                for (; oc + 4 <= out->c; oc += 4, output += 4) {
                    int32_t acc[4] = {0, 0, 0, 0};
                    const int8_t *x = x_first, *w = w_first + oc * filter_size;
                    for (int32_t r = n_rows; r > 0; --r, x += x_row_step, w += w_row_step) {
                        for (int32_t t = 0; t < runs; ++t) {
                            tc_dot4_s8(x + t * dilation_w * c, w + t * c, filter_size, run, offset2, acc);
                        }
                    }
                    tc_outputs_dsp(acc, 4, oc, params, output);
                }
                for (; oc < out->c; ++oc) {
                    int32_t acc = 0;
                    const int8_t *x = x_first, *w = w_first + oc * filter_size;
                    for (int32_t r = n_rows; r > 0; --r, x += x_row_step, w += w_row_step) {
                        for (int32_t t = 0; t < runs; ++t) {
                            acc = tc_dot1_s8(x + t * dilation_w * c, w + t * c, run, offset2, acc);
                        }
                    }
                    tc_outputs_dsp(&acc, 1, oc, params, output++);
                }
            }
        }
    }
}

/* conv2d_dsp's two copies in a function of their own, so that their loops have the registers to
 * themselves (inlined beside tc_conv2d_s8's other paths, gcc spills in tc_dot4_s8's loop). */
static __attribute__((noinline)) void conv2d_general(const int8_t *input, const tc_dims *in, const int8_t *weights,
                                                     const tc_dims *wd, int8_t *output, const tc_dims *out,
                                                     const tc_window *win, const tc_int8_io *io,
                                                     const tc_output_params *params)
{
    if (win->dilation_w == 1) {
        conv2d_dsp(input, in, weights, wd, output, out, win, io, params, 0);
    } else {
        conv2d_dsp(input, in, weights, wd, output, out, win, io, params, 1);
    }
}
#endif

void tc_conv2d_s8(const int8_t *input, const tc_dims *input_dims,
                  const int8_t *weights, const tc_dims *weight_dims, const int32_t *bias,
                  int8_t *output, const tc_dims *output_dims,
                  const tc_window *window, const tc_int8_io *io, const tc_requant *rq)
{
#if TC_DSP
    if (input_dims->c == weight_dims->c && tc_dsp_offset_ok(io->input_zero_point)) {
        const int32_t terms = weight_dims->h * weight_dims->w * weight_dims->c;
        const tc_output_params params = tc_output_params_of(bias, output_dims->c, terms, io, rq);
        if (tc_conv2d_window_fits(input_dims, weight_dims, &params)) {
            tc_conv2d_window_s8(input, input_dims, weights, weight_dims, output, output_dims, window, io, &params);
        } else if (tc_conv2d_matmul_fits(input_dims, weight_dims, output_dims, &params)) {
            tc_conv2d_matmul_s8(input, input_dims, weights, weight_dims, output, output_dims, window, io, &params);
        } else {
            conv2d_general(input, input_dims, weights, weight_dims, output, output_dims, window, io, &params);
        }
        return;
    }
#endif
    tc_window_conv_s8(input, input_dims, weights, weight_dims, bias, output, output_dims, window, io, rq, 0, 1);
}
