/* What depthwise_plane.c and depthwise_plane_rows.c share (private to them): the ring of padded rows,
 * a channel's weight rows and requantisation, and the output-row functions. */
#ifndef DEPTHWISE_PLANE_SHARED_H
#define DEPTHWISE_PLANE_SHARED_H

#include "tinyctl_dsp.h"

#if TC_DSP
#define PLANE_ROW_BYTES 256 /* a padded row: int16 values for output rows of up to 126 pixels */
#define PLANE_ROW_VALUES (PLANE_ROW_BYTES / 2)
#define PLANE_RING_BYTES (3 * PLANE_ROW_BYTES) /* a channel's ring of 3 rows */
#define PLANE_RING_VALUES (PLANE_RING_BYTES / 2)
#define PLANE_SMALL_ROW_BYTES 16 /* a padded row of a small plane: 8 int16 values, for 6 outputs */
#define PLANE_SMALL12_ROW_BYTES 32 /* and 16 values, for 12 outputs */
#define PLANE_STR(x) #x
#define PLANE_AT(x) PLANE_STR(x) /* an asm immediate from a macro */
#endif

/* One row of a channel's weights in the order the asm reads it, doubled (so that the accumulator is
 * the 2 * acc that tc_smmulr takes): (w0, w1) and (w1, w2), int16 pairs, bottom half first (one LDRD).
 * An aligned input pair A = (x0, x1) and the next one B = (x2, x3) give both outputs of a pass:
 * A.(w0, w1) + x2 w2 and x1 w0 + B.(w1, w2), the single products by halfword multiplies (SMLABT,
 * SMLATB) that pick w2 and w0 out of the pairs. The first 3 rows of a plane_weights also carry the
 * channel's tc_channel_scale and output step in bytes, so that plane_quad_full's asm finds them at a
 * fixed offset from whichever row the ring's phase starts at. */
typedef struct {
    int32_t w01, w12, multiplier, round, right, step;
} plane_weight_row;
#define PLANE_WEIGHT_ROW 24 /* sizeof (plane_weight_row), for the asm */

/* One channel's weight rows for the filter rows 0, 1, 2, 0, 1, so that any 3 consecutive rows are the
 * filter rotated to a phase of the ring. */
typedef struct {
    plane_weight_row row[5];
} plane_weights;

/* A channel's record in tc_depthwise_plane_stream_s8's stream (tinyctl/engine/plane_stream.py writes it): its
 * plane_weights, its scale in every row, then twice its bias with the input offset folded in. */
typedef struct {
    plane_weights k;
    int32_t bias2;
} plane_channel;

#if TC_DSP
typedef const plane_weight_row *plane_rows; /* 3 consecutive rows of a plane_weights */

/* What a channel's output rows need besides its weight rows: twice the bias with the offset folded
 * in, the activation range, and a row's passes of four outputs and its last outputs (tail: 0 to 3, or
 * PLANE_TAIL_HEX where the last 6 of a stride-1 row into [-128, 127] take one pass). */
typedef struct {
    int32_t bias2, lo, hi, quads, tail;
} plane_requant;
#define PLANE_TAIL_HEX 6

/* One output row of a channel (plane_output_row), a function for each stride and range, so that its
 * loop has the registers to itself. */
typedef void (*plane_row_fn)(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o);
void tc_plane_row_s1_full(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o);
void tc_plane_row_s1(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o);
void tc_plane_row_s2_full(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o);
void tc_plane_row_s2(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o);

/* What a small plane's output rows share across a layer: how many, the output bytes from one to the next, their
 * width and the stride. */
typedef struct {
    int32_t rows, row_step, width, stride;
} plane_small_shape;

/* The output rows into [-128, 127] of `count` (1 or 2) neighbouring channels, channel j's from its whole padded plane
 * at q + j * PLANE_RING_VALUES (plane_small_row_bytes apart: PLANE_SMALL_ROW_BYTES for rows of 3 and 6 at stride 1,
 * PLANE_SMALL12_ROW_BYTES for 12 at stride 1 and 6 at stride 2), its weight rows in filter order at k[j] and twice its
 * bias (with the offset folded in) in bias2[j], its outputs from o + j on. One call for a channel pair: a call's
 * arguments and its pushes and pops were a third of a 6x6 pair's cost outside its passes. */
void tc_plane_small_rows(const int16_t *q, const plane_weights *const k[2], const int32_t bias2[2], int8_t *o,
                         int32_t count, const plane_small_shape *shape);

/* The plane as the ring walks it: by image rows, or by image columns (transposed) for a plane taller
 * than it is wide, so that the rows are longer. Byte steps between the rows and between the values of
 * a row, of the input and the output, the padding before the first row and column, the input values
 * of a row that the windows reach, and the weights' steps between filter rows and between taps. */
typedef struct {
    int32_t in_rows, in_row_step, in_step, out_rows, out_cols, out_row_step, out_step;
    int32_t pad_top, pad_left, inside, row_tap, tap;
} plane_geometry;

/* One image of `count` (1 or 2) neighbouring channels for a walk (depthwise_plane_walks.h): the first channel's first
 * input value and first output, each channel's weight rows and requantisation (a small plane's: its bias2 alone),
 * their rings PLANE_RING_VALUES apart, the padding value. */
typedef struct {
    const int8_t *input;
    int8_t *output;
    const plane_weights *k[2];
    plane_requant requant[2];
    int16_t *rows;
    int32_t count, padding;
} plane_pair_job;
typedef void (*plane_ring_fn)(const plane_pair_job *job);

/* A layer on its channels' records for its own small plane's walk (TC_PLANE_SMALL_AT): its input and output, the
 * records, the two channels' rings, the images, the padding value. */
typedef struct {
    const int8_t *input;
    int8_t *output;
    const plane_channel *channels;
    int16_t *rows;
    int32_t batches, padding;
} plane_walk_job;
typedef void (*plane_walk_fn)(const plane_walk_job *job);

/* A layer's walks for its shape (depthwise_plane_walks.h TC_PLANE_RING_AT and TC_PLANE_SMALL_AT, in its model.c): a
 * channel pair's through its ring of full-range rows, or every channel's through its small plane, each NULL for the
 * kernel's own for any shape. */
struct tc_plane_passes {
    plane_ring_fn ring;
    plane_walk_fn small;
};
#endif
#endif
