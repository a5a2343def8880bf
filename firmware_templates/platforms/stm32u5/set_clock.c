/* STM32U575 clock set-up (RM0456: ICACHE, PWR voltage scaling and EPOD booster, FLASH read latency, RCC
 * PLL1): the instruction cache on, HSI16 on, PLL1's source and the booster's divider, range 1 and the
 * booster, flash wait states, the bus prescalers, PLL1, then the switch to it. Every value comes from
 * clock_plan.h; each wait is bounded and a failure leaves the core on MSIS 4 MHz, prescalers /1.
 * Registers at their non-secure aliases: the part ships with TrustZone off (TZEN = 0). */
#include <stdint.h>

#include "clock_plan.h"
#include "stm32.h"
#include "stm32_wait.h"

#define RCC_CR (*(volatile uint32_t *)0x46020C00u)
#define RCC_CFGR1 (*(volatile uint32_t *)0x46020C1Cu)
#define RCC_CFGR2 (*(volatile uint32_t *)0x46020C20u)
#define RCC_CFGR3 (*(volatile uint32_t *)0x46020C24u)
#define RCC_PLL1CFGR (*(volatile uint32_t *)0x46020C28u)
#define RCC_PLL1DIVR (*(volatile uint32_t *)0x46020C34u)
#define RCC_AHB3ENR (*(volatile uint32_t *)0x46020C94u)
#define PWR_VOSR (*(volatile uint32_t *)0x4602080Cu)
#define FLASH_ACR (*(volatile uint32_t *)0x40022000u)
#define ICACHE_CR (*(volatile uint32_t *)0x40030400u)
#define ICACHE_SR (*(volatile uint32_t *)0x40030404u)

#define CR_HSION (1u << 8)
#define CR_HSIRDY (1u << 10)
#define CR_PLL1ON (1u << 24)
#define CR_PLL1RDY (1u << 25)
#define AHB3ENR_PWR (1u << 2)
#define VOSR_BOOSTRDY (1u << 14)
#define VOSR_VOSRDY (1u << 15)
#define VOSR_VOS_SHIFT 16u
#define VOSR_BOOSTEN (1u << 18)
#define FLASH_ACR_LATENCY 0xFu
#define CFGR1_SW 3u
#define CFGR1_SW_PLL1 3u
#define CFGR1_SWS (3u << 2)
#define CFGR1_SWS_PLL1 (3u << 2)
#define ICACHE_CR_EN (1u << 0)
#define ICACHE_SR_BUSYF (1u << 0)

static const char *back_to_msis(const char *failure)
{
    RCC_CFGR1 &= ~CFGR1_SW;
    RCC_CFGR2 = 0;
    RCC_CFGR3 = 0;
    return failure;
}

/* Range 1, then the booster: it takes its clock from PLL1's source through PLL1MBOOST (programmed
 * before, while BOOSTEN is 0, as the RM asks) and never reports ready without one. */
static const char *raise_voltage(void)
{
    RCC_AHB3ENR |= AHB3ENR_PWR;
    (void)RCC_AHB3ENR;
    PWR_VOSR = (PWR_VOSR & ~(3u << VOSR_VOS_SHIFT)) | (TC_CLOCK_PWR_VOS << VOSR_VOS_SHIFT);
    if (!stm32_wait(&PWR_VOSR, VOSR_VOSRDY, VOSR_VOSRDY)) {
        return "the voltage range did not settle (PWR_VOSR.VOSRDY)";
    }
    if (TC_CLOCK_BOOST) {
        PWR_VOSR |= VOSR_BOOSTEN;
        if (!stm32_wait(&PWR_VOSR, VOSR_BOOSTRDY, VOSR_BOOSTRDY)) {
            return "the EPOD booster did not start (PWR_VOSR.BOOSTRDY)";
        }
    }
    return 0;
}

const char *stm32_set_clock(void)
{
    /* Whatever clock runs: 2-way (WAYSEL's reset value), enabled once the invalidation that follows a
     * reset has ended; a cache that never ends it stays off (slower, never wrong). */
    if (stm32_wait(&ICACHE_SR, ICACHE_SR_BUSYF, 0)) {
        ICACHE_CR |= ICACHE_CR_EN;
    }
    RCC_CR |= CR_HSION;
    if (!stm32_wait(&RCC_CR, CR_HSIRDY, CR_HSIRDY)) {
        return "HSI16 did not start (RCC_CR.HSIRDY)";
    }
    RCC_PLL1CFGR = TC_CLOCK_RCC_PLL1CFGR;
    RCC_PLL1DIVR = TC_CLOCK_RCC_PLL1DIVR;
    const char *failure = raise_voltage();
    if (failure) {
        return failure;
    }
    FLASH_ACR = TC_CLOCK_FLASH_ACR;   /* before the clock rises */
    if (!stm32_wait(&FLASH_ACR, FLASH_ACR_LATENCY, TC_CLOCK_FLASH_ACR & FLASH_ACR_LATENCY)) {
        return "the flash kept its wait states (FLASH_ACR.LATENCY)";
    }
    RCC_CFGR2 = TC_CLOCK_RCC_CFGR2_PRESCALERS;
    RCC_CFGR3 = TC_CLOCK_RCC_CFGR3_PRESCALERS;
    RCC_CR |= CR_PLL1ON;
    if (!stm32_wait(&RCC_CR, CR_PLL1RDY, CR_PLL1RDY)) {
        return back_to_msis("PLL1 did not lock (RCC_CR.PLL1RDY)");
    }
    RCC_CFGR1 = (RCC_CFGR1 & ~CFGR1_SW) | CFGR1_SW_PLL1;
    if (!stm32_wait(&RCC_CFGR1, CFGR1_SWS, CFGR1_SWS_PLL1)) {
        return back_to_msis("the system clock did not switch to PLL1 (RCC_CFGR1.SWS)");
    }
    return 0;
}
