/* STM32F4 USART1 (QEMU netduinoplus2's serial0), 8N1. Reception sleeps in WFI until the RX
 * interrupt is pending (it is never taken: PRIMASK stays set), so QEMU's I/O thread is not starved
 * by a CPU polling the status register. */
#include <stdint.h>

#include "cortex_m.h"

#define USART1_BASE 0x40011000u
#define USART_SR (*(volatile uint32_t *)(USART1_BASE + 0x00u))
#define USART_DR (*(volatile uint32_t *)(USART1_BASE + 0x04u))
#define USART_BRR (*(volatile uint32_t *)(USART1_BASE + 0x08u))
#define USART_CR1 (*(volatile uint32_t *)(USART1_BASE + 0x0Cu))
#define RCC_APB2ENR (*(volatile uint32_t *)0x40023844u)

#define SR_TXE (1u << 7)
#define SR_RXNE (1u << 5)
#define CR1_RXNEIE (1u << 5)
#define USART1_IRQ 37u
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)

#ifndef TC_UART_CLOCK_HZ
#define TC_UART_CLOCK_HZ 16000000u  /* HSI after reset: the startup code does not touch the clocks */
#endif

void uart_init(void)
{
    RCC_APB2ENR |= 1u << 4;  /* USART1 clock */
    USART_BRR = TC_UART_CLOCK_HZ / 115200u;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    nvic_enable_wakeup(USART1_IRQ);
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
    nvic_clear_pending(USART1_IRQ);
    return c;
}
