/* What the app's modes share (app.h): the input and output buffers and one timed inference. */
#include "app.h"
#include "platform.h"
#include "profile.h"

int8_t app_input[MODEL_INPUT_SIZE] MODEL_INPUT_ALIGNED;
int8_t app_output[MODEL_OUTPUT_SIZE];

uint32_t app_timed_invoke(const int8_t *input)
{
    uint32_t start = platform_cycles();
    tc_profile_mark(-1);
    model_invoke(input, app_output);
    return platform_cycles() - start;
}
