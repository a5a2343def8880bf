/* STM32L4R5 clock set-up (RM0432 5.1.8, 6.2.5, 6.4, 3.3.3): range 1 in boost mode, HSI16 on, the PLL
 * from it, flash wait states (and its prefetch and caches), then the switch to the PLL through an AHB
 * prescaler of /2 for at least 1 us, as the RM asks when the clock rises above 80 MHz. Every value comes
 * from clock_plan.h; each wait is bounded and a failure leaves the core on MSI 4 MHz, prescalers /1. */
#include <stdint.h>

#include "clock_plan.h"
#include "stm32.h"
#include "stm32_wait.h"

#define RCC_CR (*(volatile uint32_t *)0x40021000u)
#define RCC_CFGR (*(volatile uint32_t *)0x40021008u)
#define RCC_PLLCFGR (*(volatile uint32_t *)0x4002100Cu)
#define RCC_APB1ENR1 (*(volatile uint32_t *)0x40021058u)
#define PWR_CR1 (*(volatile uint32_t *)0x40007000u)
#define PWR_SR2 (*(volatile uint32_t *)0x40007014u)
#define PWR_CR5 (*(volatile uint32_t *)0x40007080u)
#define FLASH_ACR (*(volatile uint32_t *)0x40022000u)

#define CR_HSION (1u << 8)
#define CR_HSIRDY (1u << 10)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define APB1ENR1_PWR (1u << 28)
#define CR1_VOS_SHIFT 9u
#define SR2_VOSF (1u << 10)
#define CR5_R1MODE (1u << 8)
#define FLASH_ACR_LATENCY 0xFu
#define CFGR_SW_PLL 3u
#define CFGR_SWS (3u << 2)
#define CFGR_SWS_PLL (3u << 2)
#define CFGR_HPRE_DIV2 (8u << 4)
#define CFGR_RESET 0u          /* MSI, every prescaler /1 */
#define ONE_MICROSECOND_POLLS 200u   /* at most 60 MHz (HCLK = PLL / 2) while it runs: >= 1 us */

static const char *back_to_msi(const char *failure)
{
    RCC_CFGR = CFGR_RESET;
    return failure;
}

const char *stm32_set_clock(void)
{
    RCC_APB1ENR1 |= APB1ENR1_PWR;
    (void)RCC_APB1ENR1;
    PWR_CR1 = (PWR_CR1 & ~(3u << CR1_VOS_SHIFT)) | (TC_CLOCK_PWR_VOS << CR1_VOS_SHIFT);
    if (!stm32_wait(&PWR_SR2, SR2_VOSF, 0)) {
        return "the voltage range did not settle (PWR_SR2.VOSF)";
    }
    RCC_CFGR = CFGR_HPRE_DIV2;   /* before boost mode and a clock above 80 MHz */
    if (TC_CLOCK_BOOST) {
        PWR_CR5 &= ~CR5_R1MODE;
    }
    RCC_CR |= CR_HSION;
    if (!stm32_wait(&RCC_CR, CR_HSIRDY, CR_HSIRDY)) {
        return back_to_msi("HSI16 did not start (RCC_CR.HSIRDY)");
    }
    RCC_PLLCFGR = TC_CLOCK_RCC_PLLCFGR;
    RCC_CR |= CR_PLLON;
    if (!stm32_wait(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        return back_to_msi("the PLL did not lock (RCC_CR.PLLRDY)");
    }
    FLASH_ACR = TC_CLOCK_FLASH_ACR;
    if (!stm32_wait(&FLASH_ACR, FLASH_ACR_LATENCY, TC_CLOCK_FLASH_ACR & FLASH_ACR_LATENCY)) {
        return back_to_msi("the flash kept its wait states (FLASH_ACR.LATENCY)");
    }
    RCC_CFGR = TC_CLOCK_RCC_CFGR_PRESCALERS | CFGR_HPRE_DIV2 | CFGR_SW_PLL;
    if (!stm32_wait(&RCC_CFGR, CFGR_SWS, CFGR_SWS_PLL)) {
        return back_to_msi("the system clock did not switch to the PLL (RCC_CFGR.SWS)");
    }
    for (volatile uint32_t polls = 0; polls < ONE_MICROSECOND_POLLS; polls++) {
    }
    RCC_CFGR = TC_CLOCK_RCC_CFGR_PRESCALERS | CFGR_SW_PLL;   /* HCLK = SYSCLK */
    return 0;
}
