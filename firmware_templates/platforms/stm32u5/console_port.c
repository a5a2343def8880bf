/* NUCLEO-U575ZI-Q's console pins and clocks (RM0456 RCC_AHB2ENR1, RCC_APB2ENR, RCC_CCIPR1; UM2861), at the
 * non-secure aliases. USART1's kernel clock is PCLK2 out of reset (RCC_CCIPR1.USART1SEL = 0), the clock
 * the plan's BRR divides. */
#include <stdint.h>

#include "console_port.h"
#include "gpio.h"

#define RCC_AHB2ENR1 (*(volatile uint32_t *)0x46020C8Cu)
#define RCC_APB2ENR (*(volatile uint32_t *)0x46020CA4u)
#define AHB2ENR1_GPIOA (1u << 0)
#define APB2ENR_USART1 (1u << 14)
#define GPIOA_BASE 0x42020000u
#define AF7_USART 7u

void console_port_init(void)
{
    RCC_AHB2ENR1 |= AHB2ENR1_GPIOA;
    RCC_APB2ENR |= APB2ENR_USART1;
    (void)RCC_APB2ENR;  /* a read back: the clocks run before the peripherals are touched */
    stm32_pin_alternate(GPIOA_BASE, 9u, AF7_USART);
    stm32_pin_alternate(GPIOA_BASE, 10u, AF7_USART);
}
