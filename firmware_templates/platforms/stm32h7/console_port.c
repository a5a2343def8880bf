/* NUCLEO-H743ZI's console pins and clocks (RM0433 8.7.43, 8.7.47; UM2407). USART3's kernel clock is
 * pclk1 out of reset (RCC_D2CCIP2R.USART234578SEL = 0), the clock the plan's BRR divides. */
#include <stdint.h>

#include "console_port.h"
#include "gpio.h"

#define RCC_AHB4ENR (*(volatile uint32_t *)0x580244E0u)
#define RCC_APB1LENR (*(volatile uint32_t *)0x580244E8u)
#define AHB4ENR_GPIOD (1u << 3)
#define APB1LENR_USART3 (1u << 18)
#define GPIOD_BASE 0x58020C00u
#define AF7_USART 7u

void console_port_init(void)
{
    RCC_AHB4ENR |= AHB4ENR_GPIOD;
    RCC_APB1LENR |= APB1LENR_USART3;
    (void)RCC_APB1LENR;  /* a read back: the clocks run before the peripherals are touched */
    stm32_pin_alternate(GPIOD_BASE, 8u, AF7_USART);
    stm32_pin_alternate(GPIOD_BASE, 9u, AF7_USART);
}
