/* The channel-plane depthwise kernel's walk of a ring (depthwise_plane.c): a channel pair's input rows copied into
 * their rings one padded row at a time, each output row made once its window's 3 rows are in. Private to
 * depthwise_plane.c, which walks any plane with the output-row function for any step, and to a generated model.c,
 * which instantiates the walk for a layer's shape (TC_PLANE_RING_AT): its steps, sizes and padding constants, the
 * rows' passes inline with the output step an immediate, the copies' lengths known (MobileNet's 48x48 and 24x24
 * depthwise layers on the M4: 1.35 -> 1.29 M estimated cycles). */
#ifndef DEPTHWISE_PLANE_RING_H
#define DEPTHWISE_PLANE_RING_H

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
static inline __attribute__((always_inline)) void plane_ring_walk(const plane_ring_job *job, const plane_geometry *g,
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

/* The input values of a row that the windows of out_w outputs reach, at most the row's in_w. */
#define PLANE_INSIDE(in_w, out_w, stride, pad_left)                                                                  \
    ((stride) * ((out_w) - 1) + 3 - (pad_left) < (in_w) ? (stride) * ((out_w) - 1) + 3 - (pad_left) : (in_w))
/* The ring's walk (plane_ring_fn) of a plane walked by rows, full range, from in_h x in_w to out_h x out_w outputs
 * at `stride` after pad_top rows and pad_left columns of padding, over `step` channels (at most 255: the
 * post-indexed STRB's immediate). */
#define TC_PLANE_RING_AT(name, stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)                            \
    static void name(const plane_ring_job *job)                                                                    \
    {                                                                                                              \
        const plane_geometry g = {in_h,     (in_w) * (step), step, out_h,                                          \
                                  out_w,    (out_w) * (step), step, pad_top,                                       \
                                  pad_left, PLANE_INSIDE(in_w, out_w, stride, pad_left), 3 * (step), step};        \
        plane_ring_walk(job, &g, stride, NULL, step);                                                              \
    }
#else
/* The portable C takes no walks. */
#define TC_PLANE_RING_AT(name, stride, step, in_h, in_w, out_h, out_w, pad_top, pad_left)
#endif

#endif
