/* STM32H743 clock set-up (RM0433 6.8, 8.5.6, 8.7, 4.3.8): the LDO supply, VOS1, PLL1 from HSI 64 MHz,
 * flash latency and programming delay at the AXI clock, the domain prescalers, then the switch to PLL1;
 * the Cortex-M7 L1 caches first. Every value comes from clock_plan.h; each wait on a ready bit is
 * bounded and a failure leaves the core on HSI with every prescaler at /1. */
#include <stdint.h>

#include "clock_plan.h"
#include "stm32.h"
#include "stm32_wait.h"

#define PWR_CSR1 (*(volatile uint32_t *)0x58024804u)
#define PWR_CR3 (*(volatile uint32_t *)0x5802480Cu)
#define PWR_D3CR (*(volatile uint32_t *)0x58024818u)
#define RCC_CR (*(volatile uint32_t *)0x58024400u)
#define RCC_CFGR (*(volatile uint32_t *)0x58024410u)
#define RCC_D1CFGR (*(volatile uint32_t *)0x58024418u)
#define RCC_D2CFGR (*(volatile uint32_t *)0x5802441Cu)
#define RCC_D3CFGR (*(volatile uint32_t *)0x58024420u)
#define RCC_PLLCKSELR (*(volatile uint32_t *)0x58024428u)
#define RCC_PLLCFGR (*(volatile uint32_t *)0x5802442Cu)
#define RCC_PLL1DIVR (*(volatile uint32_t *)0x58024430u)
#define FLASH_ACR (*(volatile uint32_t *)0x52002000u)

#define CR3_BYPASS (1u << 0)
#define CR3_LDOEN (1u << 1)
#define CSR1_ACTVOSRDY (1u << 13)
#define D3CR_VOS_SHIFT 14u
#define D3CR_VOSRDY (1u << 13)
#define CR_PLL1ON (1u << 24)
#define CR_PLL1RDY (1u << 25)
#define PLLCKSELR_PLL1 (0x3Fu << 4 | 3u)     /* DIVM1, PLLSRC */
#define PLLCFGR_PLL1 (0xFu | 7u << 16)      /* PLL1FRACEN, PLL1VCOSEL, PLL1RGE; DIVP1EN..DIVR1EN */
#define CFGR_SW 7u
#define CFGR_SWS (7u << 3)
#define CFGR_SW_PLL1 3u
#define CFGR_SWS_PLL1 (3u << 3)

static const char *back_to_hsi(const char *failure)
{
    RCC_CFGR &= ~CFGR_SW;
    RCC_D1CFGR = 0;
    RCC_D2CFGR = 0;
    RCC_D3CFGR = 0;
    return failure;
}

const char *stm32_set_clock(void)
{
    stm32_caches_enable();
    PWR_CR3 = (PWR_CR3 & ~CR3_BYPASS) | CR3_LDOEN;   /* the NUCLEO's supply: LDO; written once per reset */
    if (!stm32_wait(&PWR_CSR1, CSR1_ACTVOSRDY, CSR1_ACTVOSRDY)) {
        return "the supply did not become ready (PWR_CSR1.ACTVOSRDY)";
    }
    PWR_D3CR = (PWR_D3CR & ~(3u << D3CR_VOS_SHIFT)) | (TC_CLOCK_PWR_D3CR_VOS << D3CR_VOS_SHIFT);
    if (!stm32_wait(&PWR_D3CR, D3CR_VOSRDY, D3CR_VOSRDY)) {
        return "the voltage scale did not settle (PWR_D3CR.VOSRDY)";
    }
    RCC_PLLCKSELR = (RCC_PLLCKSELR & ~PLLCKSELR_PLL1) | TC_CLOCK_RCC_PLLCKSELR;
    RCC_PLLCFGR = (RCC_PLLCFGR & ~PLLCFGR_PLL1) | TC_CLOCK_RCC_PLLCFGR;
    RCC_PLL1DIVR = TC_CLOCK_RCC_PLL1DIVR;
    RCC_CR |= CR_PLL1ON;
    if (!stm32_wait(&RCC_CR, CR_PLL1RDY, CR_PLL1RDY)) {
        return "PLL1 did not lock (RCC_CR.PLL1RDY)";
    }
    FLASH_ACR = TC_CLOCK_FLASH_ACR;   /* before the clock rises */
    if (!stm32_wait(&FLASH_ACR, 0x3Fu, TC_CLOCK_FLASH_ACR)) {
        return "the flash kept its wait states (FLASH_ACR)";
    }
    RCC_D1CFGR = TC_CLOCK_RCC_D1CFGR;
    RCC_D2CFGR = TC_CLOCK_RCC_D2CFGR;
    RCC_D3CFGR = TC_CLOCK_RCC_D3CFGR;
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW) | CFGR_SW_PLL1;
    if (!stm32_wait(&RCC_CFGR, CFGR_SWS, CFGR_SWS_PLL1)) {
        return back_to_hsi("the system clock did not switch to PLL1 (RCC_CFGR.SWS)");
    }
    return 0;
}
