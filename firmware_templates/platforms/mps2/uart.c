/* Arm MPS2 CMSDK APB UART0 (QEMU mps2-an386 / mps2-an500 serial0; other images define its base and RX
 * interrupt in their platform.toml). Reception sleeps in WFI until the RX interrupt is pending (never
 * taken: PRIMASK stays set). */
#include <stdint.h>

#include "cortex_m.h"

#ifndef TC_CMSDK_UART0_BASE
#define TC_CMSDK_UART0_BASE 0x40004000u
#define TC_CMSDK_UART0_RX_IRQ 0u
#endif
#define UART_DATA (*(volatile uint32_t *)(TC_CMSDK_UART0_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(TC_CMSDK_UART0_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(TC_CMSDK_UART0_BASE + 0x08u))
#define UART_INTCLEAR (*(volatile uint32_t *)(TC_CMSDK_UART0_BASE + 0x0Cu))
#define UART_BAUDDIV (*(volatile uint32_t *)(TC_CMSDK_UART0_BASE + 0x10u))

#define STATE_TX_FULL (1u << 0)
#define STATE_RX_FULL (1u << 1)
#define CTRL_TX_ENABLE (1u << 0)
#define CTRL_RX_ENABLE (1u << 1)
#define CTRL_RX_INTERRUPT (1u << 3)
#define INT_RX (1u << 1)

void uart_init(void)
{
    UART_BAUDDIV = 16;  /* the smallest divider QEMU accepts without a warning */
    UART_CTRL = CTRL_TX_ENABLE | CTRL_RX_ENABLE | CTRL_RX_INTERRUPT;
    nvic_enable_wakeup(TC_CMSDK_UART0_RX_IRQ);
}

void uart_putc(char c)
{
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = (uint8_t)c;
}

int uart_getc(void)
{
    while ((UART_STATE & STATE_RX_FULL) == 0) {
        __asm volatile("wfi");
    }
    UART_INTCLEAR = INT_RX;  /* before DATA is read: the next byte raises it again */
    nvic_clear_pending(TC_CMSDK_UART0_RX_IRQ);
    return (int)(UART_DATA & 0xFFu);
}
