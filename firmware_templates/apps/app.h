/* What the app's modes share: the input and output buffers and one timed inference. */
#ifndef TINYCTL_APP_H
#define TINYCTL_APP_H

#include <stdint.h>

#include "model.h"

extern int8_t app_input[MODEL_INPUT_SIZE];
extern int8_t app_output[MODEL_OUTPUT_SIZE];

/* Runs the model on input into app_output; returns the cycles it took (0 without a cycle counter). */
uint32_t app_timed_invoke(const int8_t *input);

#endif /* TINYCTL_APP_H */
