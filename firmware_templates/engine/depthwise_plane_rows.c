/* depthwise_plane.c's output rows (the passes in depthwise_plane_passes.h) for any output step: the rows of a ring,
 * one function for each stride and range, and the rows of small planes. */
#include "depthwise_plane_passes.h"

#if TC_DSP
/* plane_output_row for one stride and range (depthwise_plane_shared.h), the output step the channel's. */
#define PLANE_ROW_FN(name, full, stride)                                                                   \
    __attribute__((noinline)) void name(const int16_t *q, plane_rows k, const plane_requant *s, int8_t *o) \
    {                                                                                                      \
        plane_output_row(q, k, s, o, full, stride, 0);                                                     \
    }
PLANE_ROW_FN(tc_plane_row_s1_full, 1, 1)
PLANE_ROW_FN(tc_plane_row_s1, 0, 1)
PLANE_ROW_FN(tc_plane_row_s2_full, 1, 2)
PLANE_ROW_FN(tc_plane_row_s2, 0, 2)

void tc_plane_small_rows(const int16_t *q, const plane_weights *const k[2], const int32_t bias2[2], int8_t *o,
                         int32_t count, const plane_small_shape *shape)
{
    for (int32_t j = 0; j < count; ++j) {
        plane_small_channel_rows(q + j * PLANE_RING_VALUES, k[j]->row, bias2[j], o + j, shape, shape->width,
                                 shape->stride, 0);
    }
}
#endif
