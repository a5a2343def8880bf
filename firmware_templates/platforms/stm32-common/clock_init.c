/* clock_init for every STM32 family: the family's set-up, remembered so that the console UART divides
 * the clock that actually runs, and the runner's handshake reports it. */
#include <stdint.h>

#include "clock_plan.h"
#include "cortex_m.h"
#include "platform.h"
#include "stm32.h"

static const char *failure;

const char *clock_init(void)
{
    failure = stm32_set_clock();
    return failure;
}

uint32_t stm32_console_brr(void)
{
    return failure ? TC_CLOCK_RESET_UART_BRR : TC_CLOCK_UART_BRR;
}

uint32_t platform_clock_hz(void)
{
    return failure ? TC_CLOCK_RESET_HZ : TC_CLOCK_SYSCLK_HZ;
}
