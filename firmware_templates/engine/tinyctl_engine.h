/* tinyctl engine: int8 kernels that match the TFLite-Micro reference kernels bit for bit.
 *
 * Layouts follow TFLite: activations NHWC, conv weights OHWI, depthwise weights 1HW(I*M),
 * fully-connected weights [units][depth]. Every kernel takes constant inputs, writes only its
 * output buffer, allocates nothing and keeps no state, so generated code can call them in any
 * order on a static arena. */
#ifndef TINYCTL_ENGINE_H
#define TINYCTL_ENGINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A 4-D NHWC shape; lower-rank tensors put their extents in the trailing fields. */
typedef struct {
    int32_t n, h, w, c;
} tc_dims;

/* Fixed-point output scale: one (multiplier, shift) pair when count == 1 (per tensor),
 * else one pair per output channel. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t count;
} tc_requant;

/* Zero points and the fused-activation clamp of an int8 op. */
typedef struct {
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t act_min, act_max;
} tc_int8_io;

/* Sliding-window geometry; pad_top/pad_left are the leading implicit zero rows/columns
 * (TFLite puts any odd extra padding at the bottom/right, which needs no parameter). */
typedef struct {
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
} tc_window;

/* Saturating a * b / 2^31, rounded to nearest with ties toward +infinity (the negative nudge
 * is one less than the positive one). The only overflow, INT32_MIN * INT32_MIN, saturates to
 * INT32_MAX. */
inline int32_t tc_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : 1 - (INT64_C(1) << 30);
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    /* Division, not a shift: the reference truncates toward zero here. */
    return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero (0 <= exponent <= 31). */
inline int32_t tc_rounding_divide_by_pot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)((UINT32_C(1) << exponent) - 1u);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* acc * multiplier * 2^(shift - 31): TFLite's default "double rounding" requantisation
 * (MultiplyByQuantizedMultiplier without TFLITE_SINGLE_ROUNDING). A positive shift is applied
 * before the multiply, wrapping like the reference's int32 arithmetic does. */
inline int32_t tc_requantize(int32_t acc, int32_t multiplier, int shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t scaled = (int32_t)((uint32_t)acc << left);
    return tc_rounding_divide_by_pot(tc_doubling_high_mul(scaled, multiplier), right);
}

static inline int8_t tc_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* The in-image taps of the pooling window for output (oy, ox): window rows [fy0, fy1) and columns
 * [fx0, fx1), whose top-left corner sits at input (y0, x0). Padded positions are not taps. */
typedef struct {
    int32_t y0, x0, fy0, fy1, fx0, fx1;
} tc_pool_span;

static inline tc_pool_span tc_pool_span_at(const tc_dims *in, int32_t oy, int32_t ox,
                                           int32_t filter_h, int32_t filter_w, const tc_window *window)
{
    tc_pool_span s;
    s.y0 = oy * window->stride_h - window->pad_top;
    s.x0 = ox * window->stride_w - window->pad_left;
    s.fy0 = s.y0 < 0 ? -s.y0 : 0;
    s.fx0 = s.x0 < 0 ? -s.x0 : 0;
    s.fy1 = in->h - s.y0 < filter_h ? in->h - s.y0 : filter_h;
    s.fx1 = in->w - s.x0 < filter_w ? in->w - s.x0 : filter_w;
    return s;
}

void tc_conv2d_s8(const int8_t *input, const tc_dims *input_dims,
                  const int8_t *weights, const tc_dims *weight_dims, const int32_t *bias,
                  int8_t *output, const tc_dims *output_dims,
                  const tc_window *window, const tc_int8_io *io, const tc_requant *rq);

/* weight_dims.c = input channels * depth_multiplier. */
void tc_depthwise_conv2d_s8(const int8_t *input, const tc_dims *input_dims,
                            const int8_t *weights, const tc_dims *weight_dims, const int32_t *bias,
                            int8_t *output, const tc_dims *output_dims,
                            const tc_window *window, const tc_int8_io *io, const tc_requant *rq);

/* input is [batches][depth], weights [units][depth], output [batches][units]. */
void tc_fully_connected_s8(const int8_t *input, int32_t batches, int32_t depth,
                           const int8_t *weights, int32_t units, const int32_t *bias,
                           int8_t *output, const tc_int8_io *io, const tc_requant *rq);

/* Pooling keeps the input quantization; only io->act_min/act_max are read. */
void tc_max_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                      int8_t *output, const tc_dims *output_dims,
                      int32_t filter_h, int32_t filter_w, const tc_window *window,
                      const tc_int8_io *io);

void tc_average_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                          int8_t *output, const tc_dims *output_dims,
                          int32_t filter_h, int32_t filter_w, const tc_window *window,
                          const tc_int8_io *io);

/* Mean over H and W into [n][c] (the same bytes with or without keepdims). multiplier/shift
 * encode input_scale / output_scale; the 1/(h*w) factor is folded in here. */
void tc_mean_hw_s8(const int8_t *input, const tc_dims *input_dims, int8_t *output,
                   int32_t input_zero_point, int32_t output_zero_point,
                   int32_t multiplier, int shift);

/* Pads each of the 4 dims with before[d] leading values; trailing padding is what is left of
 * output_dims. */
void tc_pad_s8(const int8_t *input, const tc_dims *input_dims,
               int8_t *output, const tc_dims *output_dims,
               const int32_t before[4], int8_t pad_value);

#ifdef __cplusplus
}
#endif

#endif /* TINYCTL_ENGINE_H */
