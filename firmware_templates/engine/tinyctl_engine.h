/* tinyctl engine: int8 kernels that match the TFLite-Micro reference kernels bit for bit.
 *
 * Layouts follow TFLite: activations NHWC, conv weights OHWI, depthwise weights 1HW(I*M),
 * fully-connected weights [units][depth]. Every kernel takes constant inputs, writes only its
 * output buffer, allocates nothing and keeps no state, so generated code can call them in any
 * order on a static arena. */
#ifndef TINYCTL_ENGINE_H
#define TINYCTL_ENGINE_H

#include <stddef.h>
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

/* The portable kernels' int8 output for output channel oc: + bias, requantise, + zero point, clamp. */
static inline int8_t tc_output_s8(int32_t acc, const int32_t *bias, int32_t oc, const tc_int8_io *io,
                                  const tc_requant *rq)
{
    const int32_t q = rq->count == 1 ? 0 : oc;
    const int32_t v = tc_requantize(acc + (bias ? bias[oc] : 0), rq->multiplier[q], rq->shift[q]);
    return tc_clamp_s8(v + io->output_zero_point, io->act_min, io->act_max);
}


/* The portable CONV_2D and DEPTHWISE_CONV_2D (`depthwise`, a constant where this is inlined), one
 * output at a time: output channel oc sums, over the filter taps inside the image, weight * (input +
 * input offset) over the tap's input channels: all of them for CONV_2D, whose weights are OHWI; input
 * channel oc / multiplier for DEPTHWISE_CONV_2D, whose weights are 1HWO. */
static inline __attribute__((always_inline)) void
tc_window_conv_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd, const int32_t *bias,
                  int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_requant *rq,
                  const int depthwise, int32_t multiplier)
{
    const int32_t depth = depthwise ? 1 : in->c, offset = -io->input_zero_point;
    const int32_t filter_size = depthwise ? 1 : wd->h * wd->w * wd->c;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int32_t y0 = oy * win->stride_h - win->pad_top;
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const int32_t x0 = ox * win->stride_w - win->pad_left;
                for (int32_t oc = 0; oc < out->c; ++oc) {
                    const int8_t *pixels = input + b * in->h * in->w * in->c + (depthwise ? oc / multiplier : 0);
                    const int8_t *filter = weights + oc * filter_size;
                    int32_t acc = 0;
                    for (int32_t fy = 0; fy < wd->h; ++fy) {
                        const int32_t y = y0 + fy * win->dilation_h;
                        for (int32_t fx = 0; fx < wd->w && y >= 0 && y < in->h; ++fx) {
                            const int32_t x = x0 + fx * win->dilation_w;
                            if (x < 0 || x >= in->w) {
                                continue; /* padding contributes zero after the zero-point shift */
                            }
                            const int8_t *px = pixels + (y * in->w + x) * in->c;
                            const int8_t *fw = filter + (fy * wd->w + fx) * wd->c;
                            for (int32_t i = 0; i < depth; ++i) {
                                acc += fw[i] * (px[i] + offset);
                            }
                        }
                    }
                    *output++ = tc_output_s8(acc, bias, oc, io, rq);
                }
            }
        }
    }
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

/* A pooling op's outputs of one pixel at once, all `channels` of its window into out, clamped to [lo, hi] (a
 * DSP path over whole words of channels). */
typedef void (*tc_pool_pixel_fn)(const int8_t *first, int32_t rows, int32_t columns, int32_t row, int32_t column,
                                 int32_t channels, int8_t *out, int32_t lo, int32_t hi);

/* The pooling ops' loop: output (b, oy, ox, c) is `reduce` of its window's in-image taps, clamped to
 * the activation range: `rows` by `columns` taps, tap (y, x) at first[y * row + x * column], where
 * first is channel c of the first tap; or, where `pixel` is not NULL, each output pixel's channels by it. */
static inline void tc_pool_s8(const int8_t *input, const tc_dims *in, int8_t *output, const tc_dims *out,
                              int32_t filter_h, int32_t filter_w, const tc_window *window, const tc_int8_io *io,
                              int32_t (*reduce)(const int8_t *first, int32_t rows, int32_t columns, int32_t row,
                                                int32_t column),
                              tc_pool_pixel_fn pixel)
{
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const tc_pool_span s = tc_pool_span_at(in, oy, ox, filter_h, filter_w, window);
                const int8_t *first = input + ((b * in->h + s.y0 + s.fy0) * in->w + s.x0 + s.fx0) * in->c;
                if (pixel) {
                    pixel(first, s.fy1 - s.fy0, s.fx1 - s.fx0, in->w * in->c, in->c, out->c, output, io->act_min,
                          io->act_max);
                    output += out->c;
                    continue;
                }
                for (int32_t c = 0; c < out->c; ++c) {
                    const int32_t v = reduce(first + c, s.fy1 - s.fy0, s.fx1 - s.fx0, in->w * in->c, in->c);
                    *output++ = tc_clamp_s8(v, io->act_min, io->act_max);
                }
            }
        }
    }
}

/* bytes from src to dst, both word-aligned: the staged weights' copy (copy_words.c). */
void tc_copy_words(void *dst, const void *src, size_t bytes);

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

/* Pre-widened weights (--optimize speed/balanced on DSP cores): the int8 weight rows (conv output
 * channels OHWI, fully-connected units) as int16, `block` rows interleaved per group of 4 values in
 * the order SMLAD pairs them with an input's even and odd lanes, w0 w2 w1 w3, row after row, then
 * each row's last depth % 4 values; the rows % block last rows alone, each padded to an even count
 * so that every block starts on a word (tinyctl/engine/wide_weights.py writes them). */
static inline int32_t tc_wide_index(int32_t rows, int32_t depth, int32_t block, int32_t row, int32_t i)
{
    const int32_t full = rows - rows % block, body = depth & ~3, rest = depth & 3;
    const int32_t n = row < full ? block : 1, k = row < full ? row % block : 0;
    const int32_t start = row < full ? row / block * block * depth : full * depth + (row - full) * ((depth + 1) & ~1);
    if (i < body) {
        return start + (i >> 2) * 4 * n + k * 4 + (((i & 1) << 1) | ((i & 2) >> 1));
    }
    return start + body * n + k * rest + i - body;
}

/* tc_conv2d_s8 and tc_fully_connected_s8 on pre-widened weights: conv blocks of 2 output channels
 * (conv2d_matmul.c), fully-connected blocks of 4 units (fully_connected.c). */
void tc_conv2d_wide_s8(const int8_t *input, const tc_dims *input_dims,
                       const int16_t *weights, const tc_dims *weight_dims, const int32_t *bias,
                       int8_t *output, const tc_dims *output_dims,
                       const tc_window *window, const tc_int8_io *io, const tc_requant *rq);
void tc_fully_connected_wide_s8(const int8_t *input, int32_t batches, int32_t depth,
                                const int16_t *weights, int32_t units, const int32_t *bias,
                                int8_t *output, const tc_int8_io *io, const tc_requant *rq);
/* tc_fully_connected_s8 on one stream per layer (fully_connected_fused.c): per block of 4 units their biases,
 * their rows pre-widened as above, then each unit's multiplier, 2^(right - 1) + output zero point * 2^right and
 * right shift; for depth and units multiples of 4, the requantisation proved fast (tinyctl/engine/ops/weighted.py
 * fc_fuses). */
void tc_fully_connected_fused_s8(const int8_t *input, int32_t batches, int32_t depth, const int32_t *stream,
                                 int32_t units, int8_t *output, const tc_int8_io *io);
/* CONV_2D's 1x1 layers on one stream per layer (conv2d_pointwise_fused.c): per pair of output channels twice their
 * biases, their weights doubled and pre-widened as above, then each channel's multiplier, round and right shift as
 * above; without padding, for a depth a multiple of 16 up to 288, an even channel count, at least 3 output pixels,
 * the output range [-128, 127] and the requantisation proved fast (tinyctl/engine/ops/weighted.py pointwise_fuses).
 * `passes`: the layer's blocks, instantiated in its model.c for its depth and channels (conv2d_pointwise_fused.h),
 * or NULL. */
struct tc_pointwise_passes;
void tc_pointwise_fused_s8(const int8_t *input, const tc_dims *in, const int32_t *stream, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                           const struct tc_pointwise_passes *passes);
/* DEPTHWISE_CONV_2D on one record per channel (depthwise_plane.c), written by the code generator where the
 * channel-plane kernel takes the layer (3x3, depth multiplier 1, stride 1 or 2, its requantisation fast:
 * tinyctl/engine/plane_stream.py fits): the channel's doubled int16 weight pairs for the filter rows 0, 1, 2, 0, 1,
 * each with its multiplier, rounding term, right shift and output step, then twice its bias with the input offset
 * folded in; what tc_depthwise_plane_s8 otherwise prepares per channel at every inference. `passes`: the layer's
 * own, instantiated in its model.c for its output step (depthwise_plane_passes.h), or NULL. */
struct tc_plane_passes;
void tc_depthwise_plane_stream_s8(const int8_t *input, const tc_dims *in, const int32_t *stream, int8_t *output,
                                  const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                                  const struct tc_plane_passes *passes);
#define TC_CONV_WIDE_BLOCK 2
#define TC_FC_WIDE_BLOCK 4

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

/* Element-wise binary ops broadcast each operand to the output with element strides in the
 * output's NHWC index space (a tc_dims of strides): 0 along a dim the operand repeats. */
typedef int8_t (*tc_binary_s8_fn)(int32_t a, int32_t b, const void *params);

/* output[i] = fn(a, b) in output order. An operand with the output's shape is read at element i
 * just before output element i is written, so the output may take that operand's bytes. */
static inline void tc_broadcast_s8(const int8_t *input1, const tc_dims *strides1,
                                   const int8_t *input2, const tc_dims *strides2,
                                   int8_t *output, const tc_dims *output_dims,
                                   tc_binary_s8_fn fn, const void *params)
{
    for (int32_t n = 0; n < output_dims->n; ++n) {
        for (int32_t h = 0; h < output_dims->h; ++h) {
            for (int32_t w = 0; w < output_dims->w; ++w) {
                const int8_t *a = input1 + n * strides1->n + h * strides1->h + w * strides1->w;
                const int8_t *b = input2 + n * strides2->n + h * strides2->h + w * strides2->w;
                for (int32_t c = 0; c < output_dims->c; ++c) {
                    *output++ = fn(a[c * strides1->c], b[c * strides2->c], params);
                }
            }
        }
    }
}

/* The element runs of a broadcast in output order: one run of every element when both operands
 * are read densely in output order, else one run of output_dims->c elements per (n, h, w). */
typedef struct {
    int32_t runs_n, runs_h, runs_w, count;
} tc_runs;

static inline int tc_dense(const tc_dims *strides, const tc_dims *d)
{
    return strides->c == 1 && strides->w == d->c && strides->h == d->w * d->c && strides->n == d->h * d->w * d->c;
}

static inline tc_runs tc_runs_of(const tc_dims *strides1, const tc_dims *strides2, const tc_dims *d)
{
    tc_runs r = {d->n, d->h, d->w, d->c};
    if (tc_dense(strides1, d) && tc_dense(strides2, d)) {
        r.runs_n = r.runs_h = r.runs_w = 1;
        r.count = d->n * d->h * d->w * d->c;
    }
    return r;
}

/* ADD and SUB (TFLite's scheme): each input, less its zero point and shifted left by left_shift,
 * is scaled by its own (multiplier, shift); the sum or difference by the output's. Shifts <= 0. */
typedef struct {
    int32_t input1_zero_point, input2_zero_point, output_zero_point;
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} tc_add_params;

/* MUL: the product of the inputs less their zero points, scaled by (multiplier, shift). */
typedef struct {
    int32_t input1_zero_point, input2_zero_point, output_zero_point;
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} tc_mul_params;

void tc_add_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_add_params *params);
void tc_sub_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_add_params *params);
/* ADD or SUB by tables: table1[a + 128] is twice input 1's scaled value (a less its zero point,
 * shifted left and scaled as above), table2[b + 128] twice input 2's (negated for SUB), so each output is
 * the output rescaling of table1 + table2 (ops/binary.py writes the tables only when |table1[i] +
 * table2[j]| < 2^31 for every i, j). Reads only params' output fields. In place safe. */
void tc_add_table_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
                     int8_t *output, const tc_dims *output_dims, const int32_t *table1, const int32_t *table2,
                     const tc_add_params *params);
void tc_mul_s8(const int8_t *input1, const tc_dims *strides1, const int8_t *input2, const tc_dims *strides2,
               int8_t *output, const tc_dims *output_dims, const tc_mul_params *params);

/* output[i] = clamp(output_zero_point + (input[i] - input_zero_point) * multiplier * 2^(shift - 31)):
 * QUANTIZE int8 -> int8 and RELU; RELU6 is the identity (2^30, 1) with its clamp. In place safe. */
void tc_rescale_s8(const int8_t *input, int8_t *output, int32_t size, const tc_int8_io *io,
                   int32_t multiplier, int shift);

/* LEAKY_RELU: inputs at or above the zero point scale by the identity pair, those below by the
 * alpha pair (a negative alpha multiplier negates the scaled value). In place safe. */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} tc_leaky_relu_params;

void tc_leaky_relu_s8(const int8_t *input, int8_t *output, int32_t size, const tc_leaky_relu_params *params);

/* CONCATENATION (same quantization in and out, so bytes are copied): for each of `outer` slices,
 * chunks[k] bytes from each input k in turn. */
void tc_concatenation_s8(const int8_t *const *inputs, const int32_t *chunks, int32_t count, int32_t outer,
                         int8_t *output);

/* RESIZE_NEAREST_NEIGHBOR: output row y copies input row source_y[y], column x input column
 * source_x[x] (tables computed at build time the way TFLite rounds). */
void tc_resize_nearest_neighbor_s8(const int8_t *input, const tc_dims *input_dims,
                                   int8_t *output, const tc_dims *output_dims,
                                   const int32_t *source_y, const int32_t *source_x);

/* RESIZE_BILINEAR (input and output quantized alike): rows[3y], rows[3y+1] are the element offsets in
 * the image of output row y's upper and lower input rows, rows[3y+2] its fraction between them in
 * 1/1024ths (negative left of the first pixel with half-pixel centres); cols the same per column
 * (offsets of pixels within a row). Tables computed at build time the way TFLite-Micro does. */
void tc_resize_bilinear_s8(const int8_t *input, const tc_dims *input_dims,
                           int8_t *output, const tc_dims *output_dims,
                           const int32_t *rows, const int32_t *cols);

/* STRIDED_SLICE of a tensor seen as 4-D (leading extents 1): output element (n, h, w, c) is input
 * element start[k] + i_k * step[k] on each axis k; steps positive, input and output quantized alike. */
void tc_strided_slice_s8(const int8_t *input, const tc_dims *input_dims,
                         int8_t *output, const tc_dims *output_dims,
                         const int32_t *start, const int32_t *step);

/* REDUCE_MAX over H and W (input and output quantized alike): n * c outputs. */
void tc_reduce_max_hw_s8(const int8_t *input, const tc_dims *input_dims, int8_t *output);

/* gemmlowp's fixed-point exp and divisions (fixedpoint.c), Q0 results: exp(a) for a <= 0 with
 * integer_bits (1..5) integer bits, 1 / (1 + a) and (1 - a) / (1 + a) for a in [0, 1) in Q0. */
int32_t tc_exp_on_negative_values(int32_t a, int integer_bits);
int32_t tc_one_over_one_plus_x(int32_t a);
int32_t tc_one_minus_x_over_one_plus_x(int32_t a);

/* Softmax of each of `outer` rows of `depth` values; the output has scale 1/256, zero point -128.
 * Input differences to the row maximum below diff_min give the minimum. */
void tc_softmax_s8(const int8_t *input, int8_t *output, int32_t outer, int32_t depth,
                   int32_t input_multiplier, int input_left_shift, int32_t diff_min);

/* LOGISTIC (output scale 1/256, zero point -128) and TANH (1/128, 0): inputs within
 * input_range_radius of the zero point go to Q4 with input_multiplier/input_left_shift. */
/* The input side LOGISTIC and TANH share: an input at least input_range_radius from the zero point
 * saturates to the int8 extreme on its side, any other goes to Q4 (input_multiplier,
 * input_left_shift) and through `of_q4`. */
static inline void tc_q4_map_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zero_point,
                                int32_t input_range_radius, int32_t input_multiplier, int input_left_shift,
                                int8_t (*of_q4)(int32_t q4))
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = input[i] - input_zero_point;
        output[i] = x <= -input_range_radius ? INT8_MIN
                  : x >= input_range_radius  ? INT8_MAX
                                             : of_q4(tc_requantize(x, input_multiplier, input_left_shift));
    }
}

void tc_logistic_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zero_point,
                    int32_t input_range_radius, int32_t input_multiplier, int input_left_shift);
void tc_tanh_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zero_point,
                int32_t input_range_radius, int32_t input_multiplier, int input_left_shift);

/* HARD_SWISH; the int16 multipliers map the input scale / 128 to the output scale and to 3/32768. */
void tc_hard_swish_s8(const int8_t *input, int8_t *output, int32_t size,
                      int32_t input_zero_point, int32_t output_zero_point,
                      int16_t reluish_multiplier, int reluish_exponent,
                      int16_t output_multiplier, int output_exponent);

#ifdef __cplusplus
}
#endif

#endif /* TINYCTL_ENGINE_H */
