/* The channel-plane depthwise kernel's walks (depthwise_plane.c): of a ring, a channel pair's input rows copied into
 * their rings one padded row at a time, each output row made once its window's 3 rows are in; of a small plane, a
 * channel pair's whole padded plane copied at once, then all its rows. Private to depthwise_plane.c, which walks any
 * plane with the row functions for any step, and to a generated model.c, which instantiates the walks for a layer's
 * shape (TC_PLANE_RING_AT, TC_PLANE_SMALL_AT): its steps, sizes and padding constants, the rows' passes inline with
 * the output step an immediate, the copies' lengths known (MobileNet's 48x48 and 24x24 depthwise layers on the M4:
 * 1.35 -> 1.29 M estimated cycles; its smaller ones, every channel pair in one call: 1.01 -> 0.94 M). */
#ifndef DEPTHWISE_PLANE_WALKS_H
#define DEPTHWISE_PLANE_WALKS_H

#include "depthwise_plane_copy.h"
#include "depthwise_plane_passes.h"

#if TC_DSP
/* The requantisation every channel's weight rows share, its bias2 (0 here) aside: the range, the row's passes. */
static inline plane_requant plane_requant_of(const plane_geometry *g, int32_t stride, int32_t lo, int32_t hi)
{
    const int32_t out_w = g->out_cols, hex = stride == 1 && lo == -128 && hi == 127 && (out_w & 3) == 2 && out_w >= 6;
    const plane_requant requant = {0, lo, hi, (out_w >> 2) - hex, hex ? PLANE_TAIL_HEX : out_w & 3};
    return requant;
}

/* One output row of a channel of the ring's walk: by `output_row`, or where `out_step` is the layer's (an
 * immediate), by the passes for it inline. */
static inline __attribute__((always_inline)) void plane_ring_row(const int16_t *q, plane_rows k,
                                                                 const plane_requant *s, int8_t *o,
                                                                 plane_row_fn output_row, const int32_t stride,
                                                                 const int out_step)
{
    if (out_step) {
        plane_output_row(q, k, s, o, 1, stride, out_step);
    } else {
        output_row(q, k, s, o);
    }
}

/* Padded row r (input row r - pad_top, padding outside the image) lives in row r % 3 of the ring: the window of
 * output row (r - 2) / stride, made once r - 2 is a multiple of the stride, has its filter row j in ring row
 * (r + 1 + j) % 3, so its weights are the filter rows from (2 - r % 3) on. In place, a channel's outputs overwrite
 * only its own input values, in the order one channel at a time would. */
static inline __attribute__((always_inline)) void plane_ring_walk(const plane_pair_job *job, const plane_geometry *g,
                                                                  const int32_t stride, plane_row_fn output_row,
                                                                  const int out_step)
{
    const int32_t last = stride * (g->out_rows - 1) + 3, count = job->count;
    const int8_t *const plane_in = job->input;
    int16_t *const rows = job->rows;
    int8_t *o = job->output;
    int32_t ring = 0; /* r % 3 */
    for (int32_t r = 0; r < last; ++r) {
        int16_t *row = rows + ring * PLANE_ROW_VALUES + g->pad_left;
        const int32_t y = r - g->pad_top;
        if ((uint32_t)y < (uint32_t)g->in_rows && count == 2) {
            plane_copy_rows2(plane_in + y * g->in_row_step, g->in_step, g->inside, row);
        } else if ((uint32_t)y < (uint32_t)g->in_rows) {
            plane_copy_row(plane_in + y * g->in_row_step, g->in_step, g->inside, row);
        } else {
            plane_fill(row, job->padding, g->inside);
            plane_fill(row + PLANE_RING_VALUES, job->padding, g->inside);
        }
        if (r >= 2 && (stride == 1 || (r & 1) == 0)) {
            plane_ring_row(rows, &job->k[0]->row[2 - ring], &job->requant[0], o, output_row, stride, out_step);
            if (count == 2) {
                plane_ring_row(rows + PLANE_RING_VALUES, &job->k[1]->row[2 - ring], &job->requant[1], o + 1,
                               output_row, stride, out_step);
            }
            o += g->out_row_step;
        }
        ring = ring == 2 ? 0 : ring + 1;
    }
}

/* The row length of a small plane of `width` outputs a row: 3 (6 or 8 values read), or 6 at stride 1; 12 at stride
 * 1, or 6 at stride 2 (14 values read). */
static inline int32_t plane_small_row_bytes(int32_t width, int32_t stride)
{
    return (width == 6 && stride == 1) || width == 3 ? PLANE_SMALL_ROW_BYTES : PLANE_SMALL12_ROW_BYTES;
}

/* The padded rows the windows of out_rows output rows reach. */
static inline int32_t plane_rows_reached(int32_t out_rows, int32_t stride)
{
    return stride * (out_rows - 1) + 3;
}

/* One image of a channel pair on a small plane of rows of 3, 6 or 12 outputs into [-128, 127] (plane_small_channels):
 * its whole padded plane (out_rows + 2 rows of plane_small_row_bytes, at most a ring's bytes) copied at once, then
 * both channels' output rows by tc_plane_small_rows, or where `out_step` is the layer's (an immediate), by the passes
 * for it inline. The padding rows and columns, never copied over, are the layer's to fill; every input value of the
 * pair is read before any of its outputs is written, so the op runs in place. */
static inline __attribute__((always_inline)) void plane_small_pair(const plane_pair_job *job, const plane_geometry *g,
                                                                   const int32_t stride, const int out_step)
{
    const int32_t width = g->out_cols, row_bytes = plane_small_row_bytes(width, stride), count = job->count;
    const int32_t row_values = row_bytes / 2, reached = plane_rows_reached(g->out_rows, stride) - g->pad_top;
    const int32_t in_rows = g->in_rows < reached ? g->in_rows : reached; /* a VALID plane's last row may be past */
    const int32_t in_row_step = g->in_row_step, in_step = g->in_step, inside = g->inside;
    const plane_small_shape shape = {g->out_rows, g->out_row_step, width, stride};
    /* the pair's whole plane copied by one asm loop: rows of 6 into rows of PLANE_SMALL_ROW_BYTES, of 12 into
     * PLANE_SMALL12_ROW_BYTES, of 3 after a padding column of 1 into PLANE_SMALL_ROW_BYTES at stride 1 */
    const int32_t whole = inside == 6 && row_bytes == PLANE_SMALL_ROW_BYTES         ? 6
                          : inside == 12 && row_bytes == PLANE_SMALL12_ROW_BYTES     ? 12
                          : inside == 3 && stride == 1 && g->pad_left == 1          ? 3
                                                                                     : 0;
    const int8_t *plane_in = job->input;
    int16_t *row = job->rows + g->pad_top * row_values + g->pad_left;
    if (count == 2 && whole == 3) {
        plane_copy_small3_rows2(plane_in, in_step, in_row_step, in_rows, row - 1, job->padding);
    } else if (count == 2 && whole) {
        plane_copy_small_rows2(plane_in, in_step, in_row_step, in_rows, row, whole);
    }
    for (int32_t y = count == 2 && whole ? 0 : in_rows; y > 0; --y, row += row_values, plane_in += in_row_step) {
        if (count == 2) { /* copied one row at a time */
            plane_copy_rows2(plane_in, in_step, inside, row);
        } else {
            plane_copy_row(plane_in, in_step, inside, row);
        }
    }
    if (!out_step) {
        const int32_t bias2[2] = {job->requant[0].bias2, job->requant[1].bias2};
        tc_plane_small_rows(job->rows, job->k, bias2, job->output, count, &shape);
        return;
    }
    for (int32_t j = 0; j < count; ++j) {
        plane_small_channel_rows(job->rows + j * PLANE_RING_VALUES, job->k[j]->row, job->requant[j].bias2,
                                 job->output + j, &shape, width, stride, out_step);
    }
}

/* Every channel pair of a layer on its channels' records through its small plane (TC_PLANE_SMALL_AT), the plane's
 * geometry g with `step` channels. */
static inline __attribute__((always_inline)) void plane_small_walk(const plane_walk_job *job, const plane_geometry *g,
                                                                   const int32_t stride, const int32_t step)
{
    plane_pair_job pair = {.rows = job->rows, .padding = job->padding};
    const int32_t in_image = g->in_rows * g->in_row_step, out_image = g->out_rows * g->out_row_step;
    for (int32_t ch = 0; ch < step; ch += 2) {
        pair.count = step - ch >= 2 ? 2 : 1;
        for (int32_t j = 0; j < pair.count; ++j) {
            pair.k[j] = &job->channels[ch + j].k;
            pair.requant[j].bias2 = job->channels[ch + j].bias2;
        }
        for (int32_t b = 0; b < job->batches; ++b) {
            pair.input = job->input + b * in_image + ch;
            pair.output = job->output + b * out_image + ch;
            plane_small_pair(&pair, g, stride, step);
        }
    }
}

/* The input values of a row that the windows of out_w outputs reach, at most the row's in_w. */
#define PLANE_INSIDE(in_w, out_w, stride, pad_left)                                                                  \
    ((stride) * ((out_w) - 1) + 3 - (pad_left) < (in_w) ? (stride) * ((out_w) - 1) + 3 - (pad_left) : (in_w))
/* The geometry of a plane walked by rows from in_h x in_w to out_h x out_w outputs at `stride` after pad_top rows
 * and pad_left columns of padding, over `step` channels. */
#define PLANE_GEOMETRY_AT(stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)                                 \
    {in_h,     (in_w) * (step), step, out_h,                                                                       \
     out_w,    (out_w) * (step), step, pad_top,                                                                    \
     pad_left, PLANE_INSIDE(in_w, out_w, stride, pad_left), 3 * (step), step}
/* A ring's walk (plane_ring_fn) for that shape, full range, `step` at most 255 (the post-indexed STRB's immediate). */
#define TC_PLANE_RING_AT(name, stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)                            \
    static void name(const plane_pair_job *job)                                                                    \
    {                                                                                                              \
        const plane_geometry g = PLANE_GEOMETRY_AT(stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left);     \
        plane_ring_walk(job, &g, stride, NULL, step);                                                              \
    }
/* A small plane's walk (plane_walk_fn) for that shape, `step` at most 819 (five steps within an STRB's immediate
 * offset). */
#define TC_PLANE_SMALL_AT(name, stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)                           \
    static void name(const plane_walk_job *job)                                                                    \
    {                                                                                                              \
        const plane_geometry g = PLANE_GEOMETRY_AT(stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left);     \
        plane_small_walk(job, &g, stride, step);                                                                   \
    }
/* A layer's walks (struct tc_plane_passes) as a constant `var`, and a pointer to them for
 * tc_depthwise_plane_stream_s8. */
#define TC_PLANE_PASSES(var, ring, small) static const struct tc_plane_passes var = {ring, small};
#define TC_PLANE_PASSES_OF(var) (&var)
#else
/* The portable C takes no walks. */
#define TC_PLANE_RING_AT(name, stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)
#define TC_PLANE_SMALL_AT(name, stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)
#define TC_PLANE_PASSES(var, ring, small)
#define TC_PLANE_PASSES_OF(var) NULL
#endif

#endif
