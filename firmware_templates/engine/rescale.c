/* Rescaling element by element: QUANTIZE int8 -> int8, RELU and RELU6 (TFLite's int8 kernels). */
#include "tinyctl_engine.h"

void tc_rescale_s8(const int8_t *input, int8_t *output, int32_t size, const tc_int8_io *io,
                   int32_t multiplier, int shift)
{
    for (int32_t i = 0; i < size; ++i) {
        int32_t v = tc_requantize(input[i] - io->input_zero_point, multiplier, shift) + io->output_zero_point;
        output[i] = tc_clamp_s8(v, io->act_min, io->act_max);
    }
}
