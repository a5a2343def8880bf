/* What the STM32 families share: the clock set-up each family writes, and the console's divider. */
#ifndef TINYCTL_STM32_H
#define TINYCTL_STM32_H

#include <stdint.h>

/* The family's clock set-up to clock_plan.h's plan: NULL when the planned clock runs, else what failed
 * (the core then runs on its reset clock with every prescaler at /1). */
const char *stm32_set_clock(void);

/* The console UART's BRR for 115200 at the clock that actually runs (planned or reset). */
uint32_t stm32_console_brr(void);

/* Cortex-M7 L1 instruction and data caches on (cortex-m7-cache/). */
void stm32_caches_enable(void);

#endif /* TINYCTL_STM32_H */
