/* DEPTHWISE_CONV_2D on cores with the DSP extension, for a 3x3 filter, depth multiplier 1, no
 * dilation and stride 1 or 2 (most depthwise layers): one channel plane at a time, with the channel's
 * 9 weights as doubled int16 pairs, four (or two) output pixels a pass from the aligned input pairs
 * of each row (an SMLAD and a halfword multiply per output and row). The channel's input rows are
 * copied as int16 into a ring of 3 padded rows a fixed PLANE_ROW_BYTES apart (two channels at a time,
 * from one halfword load a pixel, each into a ring of its own), so that a window's rows are at
 * constant offsets (the weights' rows rotated to the ring's phase) and every window lies inside them:
 * the borders need no path of their own. A plane taller than wide is walked by columns
 * (its rows are then longer), unless the op runs in place. The padding holds -offset and the input
 * offset is folded into the bias as offset * (sum of the 9 weights), so a padding tap adds
 * w * (-offset + offset) = 0, as the reference's skipped tap does. The accumulators are twice those
 * of the general path, bit for bit, which is what its requantisation multiplies (into [-128, 127] in
 * the asm of the pass: plane_quad_full). Stride 2 (the same on both axes) takes the ring only for
 * output rows of PLANE_S2_MIN_W or more: it copies two input rows per output row, which on shorter
 * rows costs more than the plane saves; rows of 6 into [-128, 127] take a small plane (below). A plane of fewer
 * than PLANE_MIN_OUTPUTS outputs goes to
 * depthwise_conv2d.c too: the plane's cost per channel and row (the weight pairs, the scale, the
 * ring's upkeep, the calls and spills around each row's passes) is more than the general path's
 * dearer outputs save on small planes (3x3, 8 channels: 7.9 against 5.9 per MAC). Rows of 6 or 12 outputs into
 * [-128, 127] at stride 1, of 6 at stride 2 on a plane no taller than wide, and of 3 from 16 channels at either
 * stride, skip the ring: a channel pair's whole padded plane is copied at once and each channel's rows run in one
 * call (plane_small_channels; MobileNet's 12x12 layer 286 k -> 213 k estimated cycles on the M4, its 12x12 -> 6x6
 * layer, on the general path before, 114 k -> 87 k, its 3x3x256 layer 125 k -> 105 k). The input rows' copies are
 * in depthwise_plane_copy.h, the output rows' passes in depthwise_plane_rows.c. A layer the code generator wrote as
 * its channels' records (plane_channel: tc_depthwise_plane_stream_s8, tinyctl/engine/plane_stream.py) runs on them
 * as they lie in flash, with no per-channel preparation (MobileNet's 6x6 layers: 178 k -> 149 k estimated cycles on
 * the M4), walked by rows. */
#include "depthwise_plane_walks.h"

#if TC_DSP
/* Stride 2 copies 4 values an output: the plane takes rows of 8 outputs on (8 channels into [-128, 127],
 * 16x16 input: 4.4 against 5.3 per MAC); rows of 6 gain less (5.2 against 5.4) and stay general. */
#define PLANE_S2_MIN_W 8
/* A channel's outputs: the plane is the faster from 4x4 on (8 channels: 5.2 against 5.5 per MAC, 6.6 against
 * 7.7 clamped to a narrower range), not on 3x3 (7.9 against 5.9). */
#define PLANE_MIN_OUTPUTS 16
/* From PLANE_WIDE_CHANNELS channels into [-128, 127] (4 or more groups a pixel in the general path's asm,
 * which requantises there too): the plane is the faster from 6x6 outputs on (128 channels: 3.71 against
 * 3.81 per MAC), not on 5x5 (32 channels: 4.29 against 3.87), and with stride 2 on rows of 12 outputs (32
 * channels: 3.5 against 3.9), not of 10 (3.93 against 3.95: about even). */
#define PLANE_WIDE_CHANNELS 16
#define PLANE_MIN_OUTPUTS_WIDE 36
#define PLANE_S2_MIN_W_WIDE 12

/* The padded input row's length: the windows of out_w outputs `stride` values apart, plus the one
 * value past them that the last output's loads read (in a lane they do not use), even. */
static int32_t plane_row_length(int32_t out_w, int32_t stride)
{
    return (stride * out_w + 3) & ~1;
}

/* Whether no channel's multiplier is negative (TFLite's never are), which plane_quad_full's rounding needs. */
static int plane_multipliers_nonnegative(const tc_output_params *p, int32_t channels)
{
    int32_t negative = 0;
    for (int32_t q = 0; q < (p->per_channel ? channels : 1); ++q) {
        negative |= p->multiplier[q];
    }
    return negative >= 0;
}

int tc_depthwise_plane_fits(const tc_dims *wd, const tc_dims *out, const tc_window *win, const tc_output_params *p)
{
    const int32_t stride = win->stride_w, full = p->min == -128 && p->max == 127;
    const int32_t wide = out->c >= PLANE_WIDE_CHANNELS && full;
    /* rows of 6 at stride 2 into [-128, 127], no taller than wide (never walked by columns): a small plane */
    const int32_t small_s2 = full && out->w == 6 && out->h <= out->w;
    /* rows of 3 from 16 channels into [-128, 127], no taller than wide, at either stride: a small plane */
    const int32_t tri = wide && out->w == 3 && out->h <= out->w;
    return wd->h == 3 && wd->w == 3 && win->dilation_h == 1 && win->dilation_w == 1 && win->stride_h == stride
           && (stride == 1
               || (stride == 2 && (out->w >= (wide ? PLANE_S2_MIN_W_WIDE : PLANE_S2_MIN_W) || small_s2 || tri)))
           && win->pad_top <= 2 && win->pad_left <= 2
           && (out->h * out->w >= (wide ? PLANE_MIN_OUTPUTS_WIDE : PLANE_MIN_OUTPUTS) || tri) && p->fast_scale
           && plane_row_length(out->w, stride) <= PLANE_ROW_VALUES && plane_multipliers_nonnegative(p, out->c);
}

/* Rows 3 and 4 of a plane_weights: its filter rows 0 and 1 again. */
static void plane_weights_wrap(plane_weights *k)
{
    for (int32_t r = 3; r < 5; ++r) {
        k->row[r].w01 = k->row[r - 3].w01;
        k->row[r].w12 = k->row[r - 3].w12;
    }
}

/* The channel's weights, tap i of filter row r at weights[r * row_tap + i * tap] (the rows of the ring's
 * orientation). Returns the sum of the 9 taps. */
static int32_t plane_weights_of(const int8_t *weights, int32_t row_tap, int32_t tap, plane_weights *k)
{
    int32_t sum = 0;
    for (int32_t r = 0; r < 3; ++r, weights += row_tap) {
        const int32_t w0 = 2 * weights[0], w1 = 2 * weights[tap], w2 = 2 * weights[2 * tap];
        sum += w0 + w1 + w2;
        k->row[r].w01 = plane_pair16(w0, w1);
        k->row[r].w12 = plane_pair16(w1, w2);
    }
    plane_weights_wrap(k);
    return sum / 2;
}

/* A tap of two neighbouring channels: their int8 weights as the two bytes of a halfword. */
static inline uint32_t plane_taps2(const int8_t *w)
{
    uint16_t v;
    memcpy(&v, w, sizeof v);
    return v;
}

/* plane_weights_of for two neighbouring channels at once (weights at the first one's), into k[0] and
 * k[1], their sums into sum[0] and sum[1]: one halfword load a tap for both (9 loads, and 9 flash lines
 * opened, against 18), split by SXTB16 into each channel's int16 pairs. */
static void plane_weights_of2(const int8_t *weights, int32_t row_tap, int32_t tap, plane_weights k[2],
                              int32_t sum[2])
{
    const int32_t ones = 0x00010001;
    sum[0] = sum[1] = 0;
    for (int32_t r = 0; r < 3; ++r, weights += row_tap) {
        const uint32_t t1 = plane_taps2(weights + tap);
        const int32_t x = (int32_t)(plane_taps2(weights) | t1 << 16);
        const int32_t y = (int32_t)(t1 | plane_taps2(weights + 2 * tap) << 16);
        const int32_t a01 = __sxtb16(x), a12 = __sxtb16(y), b01 = tc_sxtb16_odd(x), b12 = tc_sxtb16_odd(y);
        sum[0] = __smlad(a01, ones, sum[0]) + (a12 >> 16);
        sum[1] = __smlad(b01, ones, sum[1]) + (b12 >> 16);
        k[0].row[r].w01 = __sadd16(a01, a01), k[0].row[r].w12 = __sadd16(a12, a12);
        k[1].row[r].w01 = __sadd16(b01, b01), k[1].row[r].w12 = __sadd16(b12, b12);
    }
    plane_weights_wrap(&k[0]);
    plane_weights_wrap(&k[1]);
}

/* The layer's plane, walked by rows, or by columns (transposed). */
static plane_geometry plane_geometry_of(const tc_dims *in, const tc_dims *out, const tc_window *win,
                                        int32_t stride, const int transposed)
{
    const int32_t c = in->c, in_line = in->w * c, out_line = out->w * c;
    plane_geometry g = {in->h, in_line, c, out->h, out->w, out_line, c, win->pad_top, win->pad_left, in->w, 3 * c, c};
    if (transposed) {
        const plane_geometry t = {in->w, c, in_line, out->w, out->h, c, out_line, win->pad_left, win->pad_top, in->h,
                                  c, 3 * c};
        g = t;
    }
    const int32_t reach = stride * (g.out_cols - 1) + 3 - g.pad_left; /* input values the windows reach */
    g.inside = reach < g.inside ? reach : g.inside;
    return g;
}

/* What every channel of the layer shares. */
typedef struct {
    const int8_t *input, *weights;
    const plane_channel *channels; /* the code generator's records (tc_depthwise_plane_stream_s8), or NULL */
    int8_t *output;
    const tc_dims *in, *out;
    const plane_geometry *g;
    const tc_output_params *p;     /* without records: the weights' scales and biases */
    int16_t *rows; /* the rings of two channels, PLANE_RING_VALUES apart */
    int32_t offset, stride;
    plane_row_fn output_row;
    plane_ring_fn ring; /* the layer's walk of its ring for its shape, or NULL */
    plane_requant requant; /* every channel's, but for its bias2 */
} plane_layer;

/* Channel ch's scale into k, beside its weights; returns twice its bias with the input offset folded in (sum: of
 * its 9 weights). */
static int32_t plane_scale_of(const plane_layer *l, int32_t ch, int32_t sum, plane_weights *k)
{
    tc_channel_scale s;
    const tc_output_params *p = l->p;
    tc_channel_scales(p, ch, 1, &s);
    for (int32_t j = 0; j < 3; ++j) {
        k->row[j].multiplier = s.multiplier, k->row[j].round = s.round, k->row[j].right = s.right;
        k->row[j].step = l->g->out_step;
    }
    return 2 * ((p->bias ? p->bias[ch] : 0) + l->offset * sum);
}

/* plane_channels_of without records: the weight rows and scales prepared into `local`. */
static __attribute__((noinline)) void plane_channels_prepared(const plane_layer *l, int32_t ch, int32_t count,
                                                              plane_weights local[2], const plane_weights *k[2],
                                                              int32_t bias2[2])
{
    int32_t sum[2];
    if (count == 2) {
        plane_weights_of2(l->weights + ch, l->g->row_tap, l->g->tap, local, sum);
    } else {
        sum[0] = plane_weights_of(l->weights + ch, l->g->row_tap, l->g->tap, local);
    }
    for (int32_t j = 0; j < count; ++j) {
        k[j] = &local[j];
        bias2[j] = plane_scale_of(l, ch + j, sum[j], &local[j]);
    }
}

/* Channels ch to ch + count - 1's (1 or 2) weight rows and scales (k) and twice their biases with the offset folded
 * in (bias2): their records (inline: a call's pushes and pops were most of a record's cost), or prepared into
 * `local`. */
static inline __attribute__((always_inline)) void plane_channels_of(const plane_layer *l, int32_t ch, int32_t count,
                                                                     plane_weights local[2], const plane_weights *k[2],
                                                                     int32_t bias2[2])
{
    if (!l->channels) {
        plane_channels_prepared(l, ch, count, local, k, bias2);
        return;
    }
    for (int32_t j = 0; j < count; ++j) {
        k[j] = &l->channels[ch + j].k;
        bias2[j] = l->channels[ch + j].bias2;
    }
}

/* Channels ch to ch + count - 1 (1 or 2) of the whole output, batch by batch, channel j in the ring at
 * rows + j * PLANE_RING_VALUES: two channels' rows are copied in one walk of the image (plane_ring_walk, or the
 * layer's own walk for its shape). */
static __attribute__((noinline)) void plane_channels_at(const plane_layer *l, int32_t ch, int32_t count)
{
    plane_weights local[2];
    int32_t bias2[2];
    plane_pair_job job = {.rows = l->rows, .count = count, .padding = -l->offset};
    plane_channels_of(l, ch, count, local, job.k, bias2);
    job.requant[0] = job.requant[1] = l->requant;
    job.requant[0].bias2 = bias2[0], job.requant[1].bias2 = bias2[1];
    for (int32_t b = 0; b < l->out->n; ++b) {
        job.input = l->input + b * l->in->h * l->in->w * l->in->c + ch;
        job.output = l->output + b * l->out->h * l->out->w * l->out->c + ch;
        if (l->ring) {
            l->ring(&job);
        } else {
            plane_ring_walk(&job, l->g, l->stride, l->output_row, 0);
        }
    }
}

/* plane_channels_at's work for every channel of a plane of rows of 3, 6 or 12 outputs into [-128, 127] (MobileNet's
 * 12x12, 6x6 and 3x3 layers): each channel pair's whole padded plane copied at once, then both channels' output rows
 * in one call (plane_small_pair), against a copy, a ring turn and a call for each row; what every pair shares worked
 * out once for the layer (per pair it cost about 200 cycles, a fifth of a 6x6 pair's). */
static __attribute__((noinline)) void plane_small_channels(const plane_layer *l)
{
    const int32_t channels = l->in->c;
    const int32_t in_image = l->in->h * l->in->w * channels, out_image = l->out->h * l->out->w * channels;
    plane_pair_job pair = {.rows = l->rows, .padding = -l->offset};
    for (int32_t ch = 0; ch < channels; ch += 2) {
        plane_weights local[2];
        int32_t bias2[2];
        pair.count = channels - ch >= 2 ? 2 : 1;
        plane_channels_of(l, ch, pair.count, local, pair.k, bias2);
        pair.requant[0].bias2 = bias2[0], pair.requant[1].bias2 = bias2[1];
        for (int32_t b = 0; b < l->out->n; ++b) {
            pair.input = l->input + b * in_image + ch;
            pair.output = l->output + b * out_image + ch;
            plane_small_pair(&pair, l->g, l->stride, 0);
        }
    }
}

/* Whether the plane runs as a small plane (plane_small_channels): rows of 3, 6 or 12 outputs at stride 1 or of 3 or 6
 * at stride 2, into [-128, 127], the whole padded plane within a channel's ring. */
static int plane_is_small(const plane_geometry *g, int32_t stride, int full)
{
    const int32_t w = g->out_cols;
    return full && ((stride == 1 && (w == 3 || w == 6 || w == 12)) || (stride == 2 && (w == 3 || w == 6)))
           && plane_rows_reached(g->out_rows, stride) * plane_small_row_bytes(w, stride) <= PLANE_RING_BYTES;
}

/* Whether the output bytes overlap the input's (the planner put the op in place). */
static int plane_in_place(const int8_t *input, const tc_dims *in, const int8_t *output, const tc_dims *out)
{
    const uintptr_t i = (uintptr_t)input, o = (uintptr_t)output;
    return o < i + (uintptr_t)(in->n * in->h * in->w * in->c) && i < o + (uintptr_t)(out->n * out->h * out->w * out->c);
}

/* The plane path over the channels' records (channels) or their int8 weights with p's scales; the plane walked by
 * columns (transposed) only without records, whose steps are the rows'; with the layer's passes for its output step
 * where it has them (else NULL). */
static void plane_run(const int8_t *input, const tc_dims *in, const int8_t *weights, const plane_channel *channels,
                      int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                      const tc_output_params *p, const struct tc_plane_passes *passes)
{
    int16_t rows[2 * PLANE_RING_VALUES] __attribute__((aligned(4))); /* two channels' rings */
    const int32_t offset = -io->input_zero_point, stride = win->stride_w;
    /* transposed writes whole columns first: never in place, whose safety needs raster order */
    const int transposed = !channels && out->h > out->w && plane_row_length(out->h, stride) <= PLANE_ROW_VALUES
                           && !plane_in_place(input, in, output, out);
    const plane_geometry g = plane_geometry_of(in, out, win, stride, transposed);
    const int full = io->act_min == -128 && io->act_max == 127;
    const plane_row_fn any_step = stride == 1 ? (full ? tc_plane_row_s1_full : tc_plane_row_s1)
                                              : (full ? tc_plane_row_s2_full : tc_plane_row_s2);
    const plane_ring_fn ring = passes ? passes->ring : NULL;
    const plane_layer layer = {input,  weights,  channels, output, in,   out, &g, p, rows, offset,
                               stride, any_step, ring,     plane_requant_of(&g, stride, io->act_min, io->act_max)};
    const int small = plane_is_small(&g, stride, full);
    for (int32_t j = 0; j < 2 && small; ++j) { /* the padding the copies leave: both channels' planes */
        plane_fill(rows + j * PLANE_RING_VALUES, -offset,
                   plane_rows_reached(g.out_rows, stride) * (plane_small_row_bytes(g.out_cols, stride) / 2));
    }
    for (int32_t r = 0; r < 6 && !small; ++r) { /* the padding the copies leave: as far as the windows reach */
        plane_fill(rows + r * PLANE_ROW_VALUES, -offset, plane_row_length(g.out_cols, stride));
    }
    if (small && passes && passes->small) {
        const plane_walk_job walk = {input, output, channels, rows, out->n, -offset};
        passes->small(&walk);
        return;
    }
    if (small) {
        plane_small_channels(&layer);
        return;
    }
    for (int32_t ch = 0; ch < in->c; ch += 2) {
        plane_channels_at(&layer, ch, in->c - ch >= 2 ? 2 : 1);
    }
}

void tc_depthwise_plane_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p)
{
    plane_run(input, in, weights, NULL, output, out, win, io, p, NULL);
}

void tc_depthwise_plane_stream_s8(const int8_t *input, const tc_dims *in, const int32_t *stream, int8_t *output,
                                  const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                                  const struct tc_plane_passes *passes)
{
    plane_run(input, in, NULL, (const plane_channel *)stream, output, out, win, io, NULL, passes);
}
#else
/* Portable (the host engine builds the firmware's model.c): each output from its record's weights and bias over
 * the 3x3 window, the taps outside the image at the input zero point (which the folded offset cancels), half the
 * doubled sum requantised as the reference does. */
void tc_depthwise_plane_stream_s8(const int8_t *input, const tc_dims *in, const int32_t *stream, int8_t *output,
                                  const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                                  const struct tc_plane_passes *passes)
{
    (void)passes; /* the DSP path's */
    const plane_channel *channels = (const plane_channel *)stream;
    const int32_t c = in->c;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                for (int32_t ch = 0; ch < c; ++ch, ++output) {
                    const plane_channel *r = channels + ch;
                    int32_t acc2 = r->bias2;
                    for (int32_t fy = 0; fy < 3; ++fy) {
                        const plane_weight_row *k = &r->k.row[fy];
                        const int32_t w[3] = {(int16_t)k->w01, k->w01 >> 16, k->w12 >> 16};
                        const int32_t y = oy * win->stride_h - win->pad_top + fy;
                        for (int32_t fx = 0; fx < 3; ++fx) {
                            const int32_t x = ox * win->stride_w - win->pad_left + fx;
                            const int inside = y >= 0 && y < in->h && x >= 0 && x < in->w;
                            acc2 += w[fx] * (inside ? input[((b * in->h + y) * in->w + x) * c + ch]
                                                    : io->input_zero_point);
                        }
                    }
                    const int32_t v = tc_requantize(acc2 / 2, r->k.row[0].multiplier, -r->k.row[0].right);
                    *output = tc_clamp_s8(v + io->output_zero_point, io->act_min, io->act_max);
                }
            }
        }
    }
}
#endif