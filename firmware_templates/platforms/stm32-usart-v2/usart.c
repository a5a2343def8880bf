/* The console on an STM32 USART/LPUART of the F7/H7/L4 register layout (CR1 at 0x00, BRR at 0x0C, ISR
 * at 0x1C, ICR at 0x20, RDR at 0x24, TDR at 0x28: RM0385 31.8, RM0433 48.7, RM0432 50.7/51.7), 8N1 at
 * 115200. The family's console_port.h names the peripheral and its interrupt, and its console_port.c
 * turns on its clocks and pins. Reception sleeps in WFI until the RX interrupt is pending (never taken:
 * PRIMASK stays set). */
#include <stdint.h>

#include "console_port.h"
#include "cortex_m.h"
#include "stm32.h"

#define USART_CR1 (*(volatile uint32_t *)(CONSOLE_BASE + 0x00u))
#define USART_BRR (*(volatile uint32_t *)(CONSOLE_BASE + 0x0Cu))
#define USART_ISR (*(volatile uint32_t *)(CONSOLE_BASE + 0x1Cu))
#define USART_ICR (*(volatile uint32_t *)(CONSOLE_BASE + 0x20u))
#define USART_RDR (*(volatile uint32_t *)(CONSOLE_BASE + 0x24u))
#define USART_TDR (*(volatile uint32_t *)(CONSOLE_BASE + 0x28u))

#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)
#define ICR_ORECF (1u << 3)

void uart_init(void)
{
    console_port_init();
    USART_BRR = stm32_console_brr();
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    nvic_enable_wakeup(CONSOLE_IRQ);
}

void uart_putc(char c)
{
    while ((USART_ISR & ISR_TXE) == 0) {
    }
    USART_TDR = (uint8_t)c;
}

int uart_getc(void)
{
    while ((USART_ISR & ISR_RXNE) == 0) {
        __asm volatile("wfi");
    }
    int c = (int)(USART_RDR & 0xFFu);
    USART_ICR = ICR_ORECF;  /* a lost byte shows as a bad frame CRC; the overrun flag must not stick */
    nvic_clear_pending(CONSOLE_IRQ);
    return c;
}
