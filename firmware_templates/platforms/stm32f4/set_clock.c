/* STM32F4: the shared F4/F7 RCC sequence; the plan's FLASH_ACR also turns on the ART accelerator
 * (instruction and data caches) and prefetch. */
#include "rcc_f4f7.h"
#include "stm32.h"

const char *stm32_set_clock(void)
{
    return rcc_f4f7_set_clock();
}
