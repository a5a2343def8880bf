/* FULLY_CONNECTED, int8 with symmetric (zero-point 0) weights, per-tensor or per-channel. */
#include "tinyctl_engine.h"

void tc_fully_connected_s8(const int8_t *input, int32_t batches, int32_t depth,
                           const int8_t *weights, int32_t units, const int32_t *bias,
                           int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
    const int32_t input_offset = -io->input_zero_point;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        for (int32_t u = 0; u < units; ++u) {
            const int8_t *w = weights + u * depth;
            int32_t q = rq->count == 1 ? 0 : u;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += (int32_t)w[d] * ((int32_t)row[d] + input_offset);
            }
            if (bias) {
                acc += bias[u];
            }
            acc = tc_requantize(acc, rq->multiplier[q], rq->shift[q]) + io->output_zero_point;
            *output++ = tc_clamp_s8(acc, io->act_min, io->act_max);
        }
    }
}
