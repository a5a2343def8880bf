/* FULLY_CONNECTED, int8 with symmetric (zero-point 0) weights, per-tensor or per-channel. */
#include "tinyctl_dsp.h"

#if TC_DSP
/* Four units at a time share each input word (tc_dot4_s8), then one at a time. */
static void fully_connected_dsp(const int8_t *input, int32_t batches, int32_t depth,
                                const int8_t *weights, int32_t units, const int32_t *bias,
                                int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
    const int32_t offset2 = tc_dup16(-io->input_zero_point);
    const tc_output_params out = tc_output_params_of(bias, units, depth, io, rq);
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        int32_t u = 0;
        for (; u + 4 <= units; u += 4) {
            int32_t acc[4] = {0, 0, 0, 0};
            tc_dot4_s8(row, weights + u * depth, depth, depth, offset2, acc);
            tc_outputs_dsp(acc, 4, u, &out, output);
            output += 4;
        }
        for (; u < units; ++u) {
            const int32_t acc = tc_dot1_s8(row, weights + u * depth, depth, offset2, 0);
            tc_outputs_dsp(&acc, 1, u, &out, output++);
        }
    }
}
#endif

void tc_fully_connected_s8(const int8_t *input, int32_t batches, int32_t depth,
                           const int8_t *weights, int32_t units, const int32_t *bias,
                           int8_t *output, const tc_int8_io *io, const tc_requant *rq)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point)) {
        fully_connected_dsp(input, batches, depth, weights, units, bias, output, io, rq);
        return;
    }
#endif
    const int32_t input_offset = -io->input_zero_point;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *row = input + b * depth;
        for (int32_t u = 0; u < units; ++u) {
            const int8_t *w = weights + u * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += (int32_t)w[d] * ((int32_t)row[d] + input_offset);
            }
            *output++ = tc_output_s8(acc, bias, u, io, rq);
        }
    }
}
