/* CONCATENATION, int8, any axis: inputs and output share one quantization, so it copies bytes. */
#include <string.h>

#include "tinyctl_engine.h"

void tc_concatenation_s8(const int8_t *const *inputs, const int32_t *chunks, int32_t count, int32_t outer,
                         int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t k = 0; k < count; ++k) {
            memcpy(output, inputs[k] + o * chunks[k], (size_t)chunks[k]);
            output += chunks[k];
        }
    }
}
