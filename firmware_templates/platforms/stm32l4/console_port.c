/* NUCLEO-L4R5ZI's console pins and clocks (RM0432 6.4.17, 6.4.21, 5.4.2; UM2179). Port G is powered
 * from VDDIO2, which the PWR must declare valid (PWR_CR2.IOSV) before the pins work. LPUART1's kernel
 * clock is PCLK1 out of reset (RCC_CCIPR.LPUART1SEL = 0), the clock the plan's BRR divides. */
#include <stdint.h>

#include "console_port.h"
#include "gpio.h"

#define RCC_AHB2ENR (*(volatile uint32_t *)0x4002104Cu)
#define RCC_APB1ENR1 (*(volatile uint32_t *)0x40021058u)
#define RCC_APB1ENR2 (*(volatile uint32_t *)0x4002105Cu)
#define PWR_CR2 (*(volatile uint32_t *)0x40007004u)
#define AHB2ENR_GPIOG (1u << 6)
#define APB1ENR1_PWR (1u << 28)
#define APB1ENR2_LPUART1 (1u << 0)
#define PWR_CR2_IOSV (1u << 9)
#define GPIOG_BASE 0x48001800u
#define AF8_LPUART 8u

void console_port_init(void)
{
    RCC_APB1ENR1 |= APB1ENR1_PWR;
    (void)RCC_APB1ENR1;
    PWR_CR2 |= PWR_CR2_IOSV;
    RCC_AHB2ENR |= AHB2ENR_GPIOG;
    RCC_APB1ENR2 |= APB1ENR2_LPUART1;
    (void)RCC_APB1ENR2;  /* a read back: the clocks run before the peripherals are touched */
    stm32_pin_alternate(GPIOG_BASE, 7u, AF8_LPUART);
    stm32_pin_alternate(GPIOG_BASE, 8u, AF8_LPUART);
}
