/* DISCO-F746NG's console pins and clocks (RM0385 5.3.10, 5.3.14; UM1907). */
#include <stdint.h>

#include "console_port.h"
#include "gpio.h"

#define RCC_AHB1ENR (*(volatile uint32_t *)0x40023830u)
#define RCC_APB2ENR (*(volatile uint32_t *)0x40023844u)
#define AHB1ENR_GPIOA (1u << 0)
#define AHB1ENR_GPIOB (1u << 1)
#define APB2ENR_USART1 (1u << 4)
#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u
#define AF7_USART 7u

void console_port_init(void)
{
    RCC_AHB1ENR |= AHB1ENR_GPIOA | AHB1ENR_GPIOB;
    RCC_APB2ENR |= APB2ENR_USART1;
    (void)RCC_APB2ENR;  /* a read back: the clocks run before the peripherals are touched */
    stm32_pin_alternate(GPIOA_BASE, 9u, AF7_USART);
    stm32_pin_alternate(GPIOB_BASE, 7u, AF7_USART);
}
