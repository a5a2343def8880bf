/* NUCLEO-G0B1RE's console pins and clocks (RM0444: RCC_IOPENR, RCC_APBENR1, RCC_CCIPR, GPIO; UM2324).
 * The GPIO ports sit on the IOPORT bus (port A at 0x50000000), clocked by RCC_IOPENR. USART2's kernel clock is PCLK out of reset
 * (RCC_CCIPR.USART2SEL = 0), the clock the plan's BRR divides. */
#include <stdint.h>

#include "console_port.h"
#include "gpio.h"

#define RCC_IOPENR (*(volatile uint32_t *)0x40021034u)
#define RCC_APBENR1 (*(volatile uint32_t *)0x4002103Cu)
#define IOPENR_GPIOA (1u << 0)
#define APBENR1_USART2 (1u << 17)
#define GPIOA_BASE 0x50000000u
#define AF1_USART 1u

void console_port_init(void)
{
    RCC_IOPENR |= IOPENR_GPIOA;
    RCC_APBENR1 |= APBENR1_USART2;
    (void)RCC_APBENR1;  /* a read back: the clocks run before the peripherals are touched */
    stm32_pin_alternate(GPIOA_BASE, 2u, AF1_USART);
    stm32_pin_alternate(GPIOA_BASE, 3u, AF1_USART);
}
