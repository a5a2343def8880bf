/* DEPTHWISE_CONV_2D on cores with the DSP extension, for a 3x3 filter, depth multiplier 1, no
 * dilation and stride 1 (most depthwise layers): one channel plane at a time, with the channel's
 * 9 weights as int16 pairs in registers and two output pixels a pass (SMLAD on two taps of a row, a
 * halfword multiply on the third). The channel's input rows are copied as int16 into a ring of 3
 * padded rows, so every window lies inside the rows and the borders need no path of their own:
 * the padding holds -offset, so that, with the input offset folded into the bias as
 * offset * (sum of the 9 weights), a padding tap adds w * (-offset + offset) = 0, as the reference's
 * skipped tap does. The accumulators are those of the general path, bit for bit. Stride 2 stays with
 * depthwise_conv2d.c's path: copying two input rows per output row costs more than the plane saves. */
#include "tinyctl_dsp.h"

#if TC_DSP
#define PLANE_MAX_ROW 128 /* int16 values of a padded row: the ring and the padding row are on the stack */

/* The padded input row's length: the windows of out_w outputs, plus the one value past them that
 * an odd last output's loads read (in a lane they do not use), even. */
static int32_t plane_row_length(int32_t out_w)
{
    return (out_w + 3) & ~1;
}

int tc_depthwise_plane_fits(const tc_dims *wd, const tc_dims *out, const tc_window *win, const tc_output_params *p)
{
    return wd->h == 3 && wd->w == 3 && win->dilation_h == 1 && win->dilation_w == 1 && win->stride_h == 1
           && win->stride_w == 1 && win->pad_top <= 2 && win->pad_left <= 2 && p->fast_scale
           && plane_row_length(out->w) <= PLANE_MAX_ROW;
}

/* One channel's weights: row r's first two taps as an int16 pair in k01[r]; the third taps of rows 0
 * and 1 as the bottom and top of k2_01, row 2's in k2_2. */
typedef struct {
    int32_t k01[3], k2_01, k2_2;
} plane_weights;

static inline int32_t plane_pair16(int32_t bottom, int32_t top)
{
    return (int32_t)(((uint32_t)top << 16) | (uint16_t)bottom);
}

/* Two int16 values from any even address (one word load; unaligned ones are fine on these cores). */
static inline int32_t plane_load(const int16_t *q)
{
    int32_t v;
    memcpy(&v, q, sizeof v);
    return v;
}

/* The channel's weights (1HWC: tap t at weights[t * c]); returns the sum of its 9 taps. */
static int32_t plane_weights_of(const int8_t *weights, int32_t c, plane_weights *k)
{
    int32_t w[9], sum = 0;
    for (int32_t t = 0; t < 9; ++t) {
        w[t] = weights[t * c];
        sum += w[t];
    }
    for (int32_t r = 0; r < 3; ++r) {
        k->k01[r] = plane_pair16(w[3 * r], w[3 * r + 1]);
    }
    k->k2_01 = plane_pair16(w[2], w[5]);
    k->k2_2 = w[8];
    return sum;
}

/* One filter row of two neighbouring outputs, q at the first one's window; the row's third weight is
 * the `top` (or bottom) half of k2. The second window's first two taps are the (unaligned) pair at
 * q + 1, its third is the top of the pair at q + 2. */
static inline __attribute__((always_inline)) void plane_row_pair(const int16_t *q, int32_t k01, int32_t k2,
                                                                  const int top, int32_t *a0, int32_t *a1)
{
    const int32_t l0 = plane_load(q), l1 = plane_load(q + 1), l2 = plane_load(q + 2);
    *a0 = __smlad(l0, k01, *a0);
    *a0 = top ? __smlabt(l2, k2, *a0) : __smlabb(l2, k2, *a0);
    *a1 = __smlad(l1, k01, *a1);
    *a1 = top ? __smlatt(l2, k2, *a1) : __smlatb(l2, k2, *a1);
}

/* One filter row of one output. */
static inline __attribute__((always_inline)) int32_t plane_row_one(const int16_t *q, int32_t k01, int32_t k2,
                                                                    const int top, int32_t acc)
{
    const int32_t l2 = plane_load(q + 2);
    acc = __smlad(plane_load(q), k01, acc);
    return top ? __smlabt(l2, k2, acc) : __smlabb(l2, k2, acc);
}

/* One output row of the channel from its 3 padded input rows; o steps c bytes an output. */
static inline __attribute__((always_inline)) void
plane_output_row(const int16_t *r0, const int16_t *r1, const int16_t *r2, const plane_weights *k,
                 const tc_channel_scale *s, int8_t *o, int32_t c, int32_t out_w, int32_t lo, int32_t hi,
                 const int full)
{
    for (int32_t pairs = out_w >> 1; pairs > 0; --pairs, r0 += 2, r1 += 2, r2 += 2) {
        int32_t a0 = 0, a1 = 0;
        plane_row_pair(r0, k->k01[0], k->k2_01, 0, &a0, &a1);
        plane_row_pair(r1, k->k01[1], k->k2_01, 1, &a0, &a1);
        plane_row_pair(r2, k->k01[2], k->k2_2, 0, &a0, &a1);
        o[0] = tc_output_scaled(a0, s, lo, hi, full);
        o[c] = tc_output_scaled(a1, s, lo, hi, full);
        o += 2 * c;
    }
    if (out_w & 1) {
        int32_t acc = plane_row_one(r0, k->k01[0], k->k2_01, 0, 0);
        acc = plane_row_one(r1, k->k01[1], k->k2_01, 1, acc);
        acc = plane_row_one(r2, k->k01[2], k->k2_2, 0, acc);
        *o = tc_output_scaled(acc, s, lo, hi, full);
    }
}

/* n values of one channel (c bytes apart) to int16. The empty asm keeps gcc from unrolling the short
 * loop into more code than it saves. */
static void plane_copy_row(const int8_t *src, int32_t c, int32_t n, int16_t *dst)
{
    for (int32_t x = 0; x < n; ++x, src += c) {
        dst[x] = *src;
        __asm volatile("");
    }
}

/* The ring of 3 padded rows and the padding row after them, for one call. */
typedef struct {
    int16_t *ring, *padding;
    int32_t row_length, inside; /* values copied a row, from column pad_left */
} plane_rows;

/* Channel ch of the whole output, batch by batch. */
static inline __attribute__((always_inline)) void
plane_channel(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output, const tc_dims *out,
              const tc_window *win, const tc_output_params *p, const plane_rows *rows, int32_t offset, int32_t ch,
              const int full)
{
    const int32_t c = in->c;
    plane_weights k;
    tc_channel_scale s;
    const int32_t weight_sum = plane_weights_of(weights + ch, c, &k);
    tc_channel_scales(p, ch, 1, &s);
    s.bias2 += 2 * offset * weight_sum;
    for (int32_t b = 0; b < out->n; ++b) {
        int32_t next = 0; /* the next input row to copy into the ring */
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int16_t *r[3];
            for (int32_t t = 0; t < 3; ++t) {
                const int32_t y = oy - win->pad_top + t;
                if (y < 0 || y >= in->h) {
                    r[t] = rows->padding;
                    continue;
                }
                for (; next <= y; ++next) {
                    plane_copy_row(input + ((b * in->h + next) * in->w) * c + ch, c, rows->inside,
                                   rows->ring + (next % 3) * rows->row_length + win->pad_left);
                }
                r[t] = rows->ring + (y % 3) * rows->row_length;
            }
            plane_output_row(r[0], r[1], r[2], &k, &s, output + ((b * out->h + oy) * out->w) * c + ch, c, out->w,
                             p->min, p->max, full);
        }
    }
}

static inline __attribute__((always_inline)) void
plane_channels(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output, const tc_dims *out,
               const tc_window *win, const tc_output_params *p, const plane_rows *rows, int32_t offset,
               const int full)
{
    for (int32_t ch = 0; ch < in->c; ++ch) {
        plane_channel(input, in, weights, output, out, win, p, rows, offset, ch, full);
    }
}

void tc_depthwise_plane_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p)
{
    int16_t storage[4 * PLANE_MAX_ROW] __attribute__((aligned(4)));
    const int32_t offset = -io->input_zero_point, row_length = plane_row_length(out->w);
    const int32_t reach = out->w + 2 - win->pad_left; /* input columns the windows reach */
    const plane_rows rows = {storage, storage + 3 * row_length, row_length, reach < in->w ? reach : in->w};
    for (int32_t i = 0; i < 4 * row_length; ++i) {
        storage[i] = (int16_t)-offset;
        __asm volatile("");
    }
    if (p->min == -128 && p->max == 127) {
        plane_channels(input, in, weights, output, out, win, p, &rows, offset, 1);
    } else {
        plane_channels(input, in, weights, output, out, win, p, &rows, offset, 0);
    }
}
#endif
