/* A bounded wait on a status register, for the STM32 clock set-ups. */
#ifndef TINYCTL_STM32_WAIT_H
#define TINYCTL_STM32_WAIT_H

#include <stdint.h>

/* About 10 ms at a 16 MHz reset clock: a PLL locks, and a regulator settles, in well under 1 ms. */
#define STM32_WAIT_POLLS 40000u

/* 1 once (*reg & mask) == value, 0 when it never does within STM32_WAIT_POLLS reads. */
static inline int stm32_wait(volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    for (uint32_t polls = 0; polls < STM32_WAIT_POLLS; polls++) {
        if ((*reg & mask) == value) {
            return 1;
        }
    }
    return 0;
}

#endif /* TINYCTL_STM32_WAIT_H */
