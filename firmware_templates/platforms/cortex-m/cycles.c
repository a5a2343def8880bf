/* Cycle source: the DWT cycle counter. QEMU does not model it (reads 0), where the host counts
 * instructions with its plugin instead. ARMv6-M's DWT has no cycle counter: there is none to start. */
#include <stdint.h>

#include "platform.h"
#include "cortex_m.h"

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

#if TC_ARMV6M
void cycles_init(void)
{
}

int platform_has_cycle_counter(void)
{
    return 0;
}

uint32_t platform_cycles(void)
{
    return 0;
}
#else
void cycles_init(void)
{
    DEMCR |= 1u << 24;  /* TRCENA */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;     /* CYCCNTENA */
}

int platform_has_cycle_counter(void)
{
    return (DWT_CTRL & 1u) != 0;  /* CYCCNTENA stays 0 where there is no counter (QEMU) */
}

uint32_t platform_cycles(void)
{
    return DWT_CYCCNT;
}
#endif
