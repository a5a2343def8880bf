/* STM32G0B1 clock set-up (RM0444: PWR voltage ranges, flash read access latency, RCC PLL): range 1
 * (the reset range, set again in case a bootloader lowered it), HSI16 on, the PLL from it, the flash wait states (with prefetch and the
 * instruction cache) before the clock rises, then the switch to PLLRCLK. Every value comes from
 * clock_plan.h; each wait is bounded and a failure leaves the core on HSI16, prescalers /1. The flash
 * register is read-modified: it also holds DBG_SWEN, and clearing that would cut the debugger off. */
#include <stdint.h>

#include "clock_plan.h"
#include "stm32.h"
#include "stm32_wait.h"

#define RCC_CR (*(volatile uint32_t *)0x40021000u)
#define RCC_CFGR (*(volatile uint32_t *)0x40021008u)
#define RCC_PLLCFGR (*(volatile uint32_t *)0x4002100Cu)
#define RCC_APBENR1 (*(volatile uint32_t *)0x4002103Cu)
#define PWR_CR1 (*(volatile uint32_t *)0x40007000u)
#define PWR_SR2 (*(volatile uint32_t *)0x40007014u)
#define FLASH_ACR (*(volatile uint32_t *)0x40022000u)

#define CR_HSION (1u << 8)
#define CR_HSIRDY (1u << 10)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define APBENR1_PWR (1u << 28)
#define CR1_VOS_SHIFT 9u
#define SR2_VOSF (1u << 10)
#define FLASH_ACR_PLAN_BITS (0x7u | 1u << 8 | 1u << 9)   /* LATENCY, PRFTEN, ICEN */
#define FLASH_ACR_LATENCY 0x7u
#define CFGR_SW_PLLR 2u
#define CFGR_SWS (7u << 3)
#define CFGR_SWS_PLLR (2u << 3)
#define CFGR_RESET 0u          /* HSISYS, every prescaler /1 */

static const char *back_to_hsi(const char *failure)
{
    RCC_CFGR = CFGR_RESET;
    return failure;
}

const char *stm32_set_clock(void)
{
    RCC_APBENR1 |= APBENR1_PWR;
    (void)RCC_APBENR1;
    PWR_CR1 = (PWR_CR1 & ~(3u << CR1_VOS_SHIFT)) | (TC_CLOCK_PWR_VOS << CR1_VOS_SHIFT);
    if (!stm32_wait(&PWR_SR2, SR2_VOSF, 0)) {
        return "the voltage range did not settle (PWR_SR2.VOSF)";
    }
    RCC_CR |= CR_HSION;
    if (!stm32_wait(&RCC_CR, CR_HSIRDY, CR_HSIRDY)) {
        return "HSI16 did not start (RCC_CR.HSIRDY)";
    }
    RCC_PLLCFGR = TC_CLOCK_RCC_PLLCFGR;
    RCC_CR |= CR_PLLON;
    if (!stm32_wait(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        return "the PLL did not lock (RCC_CR.PLLRDY)";
    }
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_PLAN_BITS) | TC_CLOCK_FLASH_ACR;
    if (!stm32_wait(&FLASH_ACR, FLASH_ACR_LATENCY, TC_CLOCK_FLASH_ACR & FLASH_ACR_LATENCY)) {
        return "the flash kept its wait states (FLASH_ACR.LATENCY)";
    }
    RCC_CFGR = TC_CLOCK_RCC_CFGR_PRESCALERS | CFGR_SW_PLLR;
    if (!stm32_wait(&RCC_CFGR, CFGR_SWS, CFGR_SWS_PLLR)) {
        return back_to_hsi("the system clock did not switch to the PLL (RCC_CFGR.SWS)");
    }
    return 0;
}
