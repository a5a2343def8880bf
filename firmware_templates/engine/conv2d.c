/* CONV_2D, int8 activations and weights, int32 bias, per-channel requantisation. */
#include "tinyctl_dsp.h"

#if TC_DSP
#define POINTWISE_MAX_DEPTH 256  /* input channels of the 1x1 path: its int16 copy of two pixels is on the stack */
#define POINTWISE_CHUNK 32       /* output channels whose tc_channel_scale sits on the stack at once */

/* The input pixel under output pixel p (0 .. n * h * w - 1) of a 1x1 convolution. */
static inline const int8_t *pointwise_pixel(const int8_t *input, const tc_dims *in, const tc_dims *out,
                                            const tc_window *win, int32_t p)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    return input + ((b * in->h + oy * win->stride_h) * in->w + ox * win->stride_w) * in->c;
}

/* A pixel's channels plus the input offset as int16 pairs: per group of 4 channels the even pair and
 * the odd pair at lanes[0], lanes[1] (lanes advance 4 words a group: two pixels interleave); the
 * last depth % 4 channels as int32 in tail. */
static inline void pointwise_expand(const int8_t *x, int32_t groups, int32_t rest, int32_t offset2,
                                    int32_t *lanes, int32_t *tail)
{
    for (int32_t g = groups; g > 0; --g, x += 4, lanes += 4) {
        const int32_t v = tc_load_s8x4(x);
        lanes[0] = __sxtab16(offset2, v);
        lanes[1] = tc_sxtab16_odd(offset2, v);
    }
    for (int32_t i = 0; i < rest; ++i) {
        tail[i] = x[i] + (int16_t)offset2;
    }
}

/* acc = {pixel 0 channel 0, pixel 1 channel 0, pixel 0 channel 1, pixel 1 channel 1}: two weight
 * rows against two expanded pixels, each weight word unpacked once for both pixels. The loop is
 * written out in asm because it needs all 14 allocatable registers, and gcc spills two of them. */
static inline __attribute__((always_inline)) void
pointwise_block(const int32_t *lanes, const int32_t tails[2][4], const int8_t *w0, const int8_t *w1,
                int32_t groups, int32_t rest, int32_t acc[4])
{
    int32_t a00 = 0, a10 = 0, a01 = 0, a11 = 0, x0e, x0o, x1e, x1o, k, ke;
    if (groups > 0) {
        __asm volatile(
            "1:\n\t"
            "ldrd %[x1e], %[x1o], [%[lanes], #8]\n\t"
            "ldrd %[x0e], %[x0o], [%[lanes]], #16\n\t"
            "ldr %[k], [%[w0]], #4\n\t"
            "sxtb16 %[ke], %[k]\n\t"
            "sxtb16 %[k], %[k], ror #8\n\t"
            "smlad %[a00], %[ke], %[x0e], %[a00]\n\t"
            "smlad %[a00], %[k], %[x0o], %[a00]\n\t"
            "smlad %[a10], %[ke], %[x1e], %[a10]\n\t"
            "smlad %[a10], %[k], %[x1o], %[a10]\n\t"
            "ldr %[k], [%[w1]], #4\n\t"
            "sxtb16 %[ke], %[k]\n\t"
            "sxtb16 %[k], %[k], ror #8\n\t"
            "smlad %[a01], %[ke], %[x0e], %[a01]\n\t"
            "smlad %[a01], %[k], %[x0o], %[a01]\n\t"
            "smlad %[a11], %[ke], %[x1e], %[a11]\n\t"
            "smlad %[a11], %[k], %[x1o], %[a11]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11), [lanes] "+r"(lanes),
              [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(groups), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o),
              [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [k] "=&r"(k), [ke] "=&r"(ke)
            :
            : "cc", "memory");
    }
    for (int32_t i = 0; i < rest; ++i) {
        a00 += w0[i] * tails[0][i], a10 += w0[i] * tails[1][i];
        a01 += w1[i] * tails[0][i], a11 += w1[i] * tails[1][i];
    }
    acc[0] = a00, acc[1] = a10, acc[2] = a01, acc[3] = a11;
}

/* A 1x1 convolution is a matrix product: two output pixels by two output channels per step, the
 * pixels' inputs expanded once to int16 pairs (with the input offset) for a chunk of output channels,
 * whose outputs are then requantised in one pass per pixel. */
static inline __attribute__((always_inline)) void
pointwise_dsp(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output, const tc_dims *out,
              const tc_window *win, const tc_int8_io *io, const tc_output_params *p, const int full)
{
    const int32_t depth = in->c, groups = depth >> 2, rest = depth & 3, channels = out->c;
    const int32_t pixels = out->n * out->h * out->w, offset2 = tc_dup16(-io->input_zero_point);
    const int32_t lo = p->min, hi = p->max;
    int32_t lanes[POINTWISE_MAX_DEPTH], tails[2][4], sums[POINTWISE_CHUNK][2];
    tc_channel_scale scales[POINTWISE_CHUNK];
    for (int32_t first = 0; first < channels; first += POINTWISE_CHUNK) {
        const int32_t chunk = channels - first < POINTWISE_CHUNK ? channels - first : POINTWISE_CHUNK;
        tc_channel_scales(p, first, chunk, scales);
        for (int32_t px = 0; px < pixels; px += 2) {
            const int32_t second = px + 1 < pixels ? px + 1 : px; /* an odd last pixel twice */
            pointwise_expand(pointwise_pixel(input, in, out, win, px), groups, rest, offset2, lanes, tails[0]);
            pointwise_expand(pointwise_pixel(input, in, out, win, second), groups, rest, offset2, lanes + 2,
                             tails[1]);
            const int8_t *w = weights + first * depth;
            for (int32_t k = 0; k < chunk; k += 2, w += 2 * depth) {
                const int32_t next = k + 1 < chunk ? depth : 0; /* an odd last channel twice */
                int32_t acc[4];
                pointwise_block(lanes, (const int32_t(*)[4])tails, w, w + next, groups, rest, acc);
                sums[k][0] = acc[0], sums[k][1] = acc[1], sums[k + 1][0] = acc[2], sums[k + 1][1] = acc[3];
            }
            int8_t *o0 = output + px * channels + first;
            const int32_t to_second = (second - px) * channels;
            for (int32_t k = 0; k < chunk; ++k) {
                const tc_channel_scale scale = scales[k];
                o0[k] = tc_output_scaled(sums[k][0], &scale, lo, hi, full);
                o0[k + to_second] = tc_output_scaled(sums[k][1], &scale, lo, hi, full);
            }
        }
    }
}

static __attribute__((noinline)) void
pointwise(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output, const tc_dims *out,
          const tc_window *win, const tc_int8_io *io, const tc_output_params *p)
{
    if (p->min == -128 && p->max == 127) {
        pointwise_dsp(input, in, weights, output, out, win, io, p, 1);
    } else {
        pointwise_dsp(input, in, weights, output, out, win, io, p, 0);
    }
}

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
        if (weight_dims->h == 1 && weight_dims->w == 1 && window->pad_top == 0 && window->pad_left == 0
            && input_dims->c <= POINTWISE_MAX_DEPTH && params.fast_scale
            && output_dims->n * output_dims->h * output_dims->w > 1) {
            pointwise(input, input_dims, weights, output, output_dims, window, io, &params);
        } else if (window->dilation_w == 1) {
            conv2d_dsp(input, input_dims, weights, weight_dims, output, output_dims, window, io, &params, 0);
        } else {
            conv2d_dsp(input, input_dims, weights, weight_dims, output, output_dims, window, io, &params, 1);
        }
        return;
    }
#endif
    tc_window_conv_s8(input, input_dims, weights, weight_dims, bias, output, output_dims, window, io, rq, 0);
}
