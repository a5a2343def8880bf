/* The STM32F4/F7 clock set-up (RM0390 5.1.4 and 6.3, RM0368/RM0383 5.1 and 6.3, RM0385 4.1.4 and 5.3:
 * the same RCC, PWR and FLASH registers): voltage scale, PLL from HSI, over-drive where the plan asks,
 * flash wait states, bus prescalers, then the switch to the PLL. Every value comes from clock_plan.h.
 * Each wait on a ready bit is bounded: a part whose PLL never locks (or QEMU, which models none of
 * these registers) keeps running on HSI and the caller reports what failed over the UART. */
#include <stdint.h>

#include "clock_plan.h"
#include "rcc_f4f7.h"
#include "stm32.h"
#include "stm32_wait.h"

#define RCC_CR (*(volatile uint32_t *)0x40023800u)
#define RCC_PLLCFGR (*(volatile uint32_t *)0x40023804u)
#define RCC_CFGR (*(volatile uint32_t *)0x40023808u)
#define RCC_APB1ENR (*(volatile uint32_t *)0x40023840u)
#define PWR_CR (*(volatile uint32_t *)0x40007000u)
#define PWR_CSR (*(volatile uint32_t *)0x40007004u)
#define FLASH_ACR (*(volatile uint32_t *)0x40023C00u)

#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define APB1ENR_PWREN (1u << 28)
#define PWR_CR_VOS_SHIFT 14u
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)
#define FLASH_ACR_LATENCY 0xFu
#define CFGR_SW_PLL 2u
#define CFGR_SWS (3u << 2)
#define CFGR_SWS_PLL (2u << 2)
#define CFGR_RESET 0u   /* HSI, every prescaler /1 */

static const char *back_to_hsi(const char *failure)
{
    RCC_CFGR = CFGR_RESET;
    return failure;
}

const char *rcc_f4f7_set_clock(void)
{
    RCC_APB1ENR |= APB1ENR_PWREN;
    (void)RCC_APB1ENR;  /* a read back: the PWR clock runs before PWR is written */
    PWR_CR = (PWR_CR & ~(3u << PWR_CR_VOS_SHIFT)) | (TC_CLOCK_PWR_VOS << PWR_CR_VOS_SHIFT);  /* only while the PLL is off */
    RCC_PLLCFGR = TC_CLOCK_RCC_PLLCFGR;
    RCC_CR |= CR_PLLON;
    if (!stm32_wait(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        return "the PLL did not lock (RCC_CR.PLLRDY)";
    }
    if (TC_CLOCK_OVERDRIVE) {
        PWR_CR |= PWR_CR_ODEN;
        if (!stm32_wait(&PWR_CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY)) {
            return "over-drive did not become ready (PWR_CSR.ODRDY)";
        }
        PWR_CR |= PWR_CR_ODSWEN;
        if (!stm32_wait(&PWR_CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY)) {
            return "the over-drive switch did not complete (PWR_CSR.ODSWRDY)";
        }
    }
    FLASH_ACR = TC_CLOCK_FLASH_ACR;
    if (!stm32_wait(&FLASH_ACR, FLASH_ACR_LATENCY, TC_CLOCK_FLASH_ACR & FLASH_ACR_LATENCY)) {
        return "the flash kept its wait states (FLASH_ACR.LATENCY)";
    }
    RCC_CFGR = TC_CLOCK_RCC_CFGR_PRESCALERS;   /* the buses' dividers first: no bus ever runs above its limit */
    RCC_CFGR = TC_CLOCK_RCC_CFGR_PRESCALERS | CFGR_SW_PLL;
    if (!stm32_wait(&RCC_CFGR, CFGR_SWS, CFGR_SWS_PLL)) {
        return back_to_hsi("the system clock did not switch to the PLL (RCC_CFGR.SWS)");
    }
    return 0;
}
