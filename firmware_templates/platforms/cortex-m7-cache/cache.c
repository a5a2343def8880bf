/* Cortex-M7 L1 caches on (ARMv7-M ARM B2.2.7 and B3.2.3, Cortex-M7 TRM 4.1): invalidate, then enable.
 * The data cache is invalidated line by line through set/way (DCISW), its geometry read from CCSIDR. */
#include <stdint.h>

#include "stm32.h"

#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CCSIDR (*(volatile uint32_t *)0xE000ED80u)
#define SCB_CSSELR (*(volatile uint32_t *)0xE000ED84u)
#define SCB_ICIALLU (*(volatile uint32_t *)0xE000EF50u)
#define SCB_DCISW (*(volatile uint32_t *)0xE000EF60u)
#define CCR_DC (1u << 16)
#define CCR_IC (1u << 17)

static inline void barriers(void)
{
    __asm volatile("dsb\n\tisb" ::: "memory");
}

void stm32_caches_enable(void)
{
    barriers();
    SCB_ICIALLU = 0;
    barriers();
    SCB_CCR |= CCR_IC;
    barriers();

    SCB_CSSELR = 0;  /* level 1 data cache */
    barriers();
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    uint32_t line_shift = (ccsidr & 7u) + 4u;   /* LineSize = log2(words per line) - 2 */
    uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0; set < sets; set++) {
        for (uint32_t way = 0; way < ways; way++) {
            SCB_DCISW = (way << way_shift) | (set << line_shift);
        }
    }
    barriers();
    SCB_CCR |= CCR_DC;
    barriers();
}
