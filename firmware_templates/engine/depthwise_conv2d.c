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

void tc_depthwise_conv2d_s8(const int8_t *input, const tc_dims *input_dims,
                            const int8_t *weights, const tc_dims *weight_dims, const int32_t *bias,
                            int8_t *output, const tc_dims *output_dims,
                            const tc_window *window, const tc_int8_io *io, const tc_requant *rq)
{
    const int32_t multiplier = output_dims->c / input_dims->c;
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
