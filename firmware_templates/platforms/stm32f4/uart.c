/* STM32F4 console USART, 8N1 at 115200, chosen by TC_CONSOLE_UART (from the board file's
 * [console] uart): 2 is USART2 on PA2/PA3, the ST-LINK virtual COM port of NUCLEO-64 boards (QEMU
 * netduinoplus2's serial1); 1 is USART1 on PA9/PA10 (serial0). The pins get alternate function 7
 * for silicon; QEMU ignores the GPIO and RCC writes. The divider is for the clock that runs: the
 * plan's bus clock, or HSI when the clock set-up failed (stm32-common/clock.c).
 * Reception sleeps in WFI until the RX interrupt is pending (never taken: PRIMASK stays set), so
 * QEMU's I/O thread is not starved by a CPU polling the status register. */
#include <stdint.h>

#include "cortex_m.h"
#include "gpio.h"
#include "stm32.h"

#ifndef TC_CONSOLE_UART
#define TC_CONSOLE_UART 2
#endif

#if TC_CONSOLE_UART == 1
#define USART_BASE 0x40011000u
#define USART_IRQ 37u
#define RCC_USART_ENR RCC_APB2ENR
#define RCC_USART_BIT (1u << 4)
#define TX_PIN 9u
#elif TC_CONSOLE_UART == 2
#define USART_BASE 0x40004400u
#define USART_IRQ 38u
#define RCC_USART_ENR RCC_APB1ENR
#define RCC_USART_BIT (1u << 17)
#define TX_PIN 2u
#else
#error "TC_CONSOLE_UART must be 1 (USART1, PA9/PA10) or 2 (USART2, PA2/PA3)"
#endif
#define RX_PIN (TX_PIN + 1u)

#define USART_SR (*(volatile uint32_t *)(USART_BASE + 0x00u))
#define USART_DR (*(volatile uint32_t *)(USART_BASE + 0x04u))
#define USART_BRR (*(volatile uint32_t *)(USART_BASE + 0x08u))
#define USART_CR1 (*(volatile uint32_t *)(USART_BASE + 0x0Cu))
#define RCC_AHB1ENR (*(volatile uint32_t *)0x40023830u)
#define RCC_APB1ENR (*(volatile uint32_t *)0x40023840u)
#define RCC_APB2ENR (*(volatile uint32_t *)0x40023844u)
#define GPIOA_BASE 0x40020000u

#define SR_TXE (1u << 7)
#define SR_RXNE (1u << 5)
#define CR1_UE (1u << 13)
#define CR1_RXNEIE (1u << 5)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)
#define AF7_USART 7u

void uart_init(void)
{
    RCC_AHB1ENR |= 1u;  /* GPIOA clock */
    RCC_USART_ENR |= RCC_USART_BIT;
    (void)RCC_USART_ENR;  /* a read back: the clock is running before the peripheral is touched */
    stm32_pin_alternate(GPIOA_BASE, TX_PIN, AF7_USART);
    stm32_pin_alternate(GPIOA_BASE, RX_PIN, AF7_USART);
    USART_BRR = stm32_console_brr();
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    nvic_enable_wakeup(USART_IRQ);
}

void uart_putc(char c)
{
    while ((USART_SR & SR_TXE) == 0) {
    }
    USART_DR = (uint8_t)c;
}

int uart_getc(void)
{
    while ((USART_SR & SR_RXNE) == 0) {
        __asm volatile("wfi");
    }
    int c = (int)(USART_DR & 0xFFu);  /* reading SR then DR also clears an overrun; the frame CRC sees the loss */
    nvic_clear_pending(USART_IRQ);
    return c;
}
