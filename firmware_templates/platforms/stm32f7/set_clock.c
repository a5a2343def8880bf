/* STM32F7: the Cortex-M7 L1 caches, then the shared F4/F7 RCC sequence (over-drive above 180 MHz; the
 * plan's FLASH_ACR turns on the ART accelerator and prefetch). */
#include "rcc_f4f7.h"
#include "stm32.h"

const char *stm32_set_clock(void)
{
    stm32_caches_enable();
    return rcc_f4f7_set_clock();
}
