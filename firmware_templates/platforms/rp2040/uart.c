/* RP2040 UART0 (an Arm PL011, RP2040 datasheet 4.2) on GP0 (TX) and GP1 (RX), 8N1 at 115200: the Pico's
 * console through a debug probe's UART bridge (the Pico has no USB-serial bridge of its own). FIFOs off,
 * so the RX interrupt pends on each byte; reception sleeps in WFI until it does (never taken: PRIMASK
 * stays set). */
#include <stdint.h>

#include "cortex_m.h"
#include "rp2040.h"

#define UART0_BASE 0x40034000u
#define UART_DR (UART0_BASE + 0x00u)
#define UART_FR (UART0_BASE + 0x18u)
#define UART_IBRD (UART0_BASE + 0x24u)
#define UART_FBRD (UART0_BASE + 0x28u)
#define UART_LCR_H (UART0_BASE + 0x2Cu)
#define UART_CR (UART0_BASE + 0x30u)
#define UART_IMSC (UART0_BASE + 0x38u)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define LCR_H_WLEN_8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define IMSC_RXIM (1u << 4)
#define UART0_IRQ 20u

#define IO_BANK0_GPIO_CTRL(pin) (0x40014004u + 8u * (pin))
#define FUNCSEL_UART 2u
#define TX_PIN 0u
#define RX_PIN 1u

void uart_init(void)
{
    if (!rp2040_unreset(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_UART0)) {
        return;   /* no CLK_PERI: nothing can be said on the console */
    }
    RP2040_REG(IO_BANK0_GPIO_CTRL(TX_PIN)) = FUNCSEL_UART;   /* the pads' reset state has the input enabled */
    RP2040_REG(IO_BANK0_GPIO_CTRL(RX_PIN)) = FUNCSEL_UART;
    uint32_t divisor = rp2040_console_divisor();
    RP2040_REG(UART_IBRD) = divisor >> 6;
    RP2040_REG(UART_FBRD) = divisor & 0x3Fu;
    RP2040_REG(UART_LCR_H) = LCR_H_WLEN_8;   /* also latches the divisor (4.2.7.1) */
    RP2040_REG(UART_IMSC) = IMSC_RXIM;
    RP2040_REG(UART_CR) = CR_UARTEN | CR_TXE | CR_RXE;
    nvic_enable_wakeup(UART0_IRQ);
}

void uart_putc(char c)
{
    while (RP2040_REG(UART_FR) & FR_TXFF) {
    }
    RP2040_REG(UART_DR) = (uint8_t)c;
}

int uart_getc(void)
{
    while (RP2040_REG(UART_FR) & FR_RXFE) {
        __asm volatile("wfi");
    }
    int c = (int)(RP2040_REG(UART_DR) & 0xFFu);   /* the read clears the RX interrupt */
    nvic_clear_pending(UART0_IRQ);
    return c;
}
