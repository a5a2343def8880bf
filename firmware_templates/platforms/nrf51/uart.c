/* nRF51 UART0 (nRF51 Series Reference Manual, UART chapter), as QEMU's microbit models it: start the
 * transmitter and receiver tasks once, then each byte is a TXD write and a wait for the TXDRDY event,
 * or a wait for RXDRDY and an RXD read. Reception sleeps in WFI until the RXDRDY interrupt is pending
 * (never taken: PRIMASK stays set). */
#include <stdint.h>

#include "cortex_m.h"

#define UART0_BASE 0x40002000u
#define UART_REG(offset) (*(volatile uint32_t *)(UART0_BASE + (offset)))
#define TASKS_STARTRX UART_REG(0x000u)
#define TASKS_STARTTX UART_REG(0x008u)
#define EVENTS_RXDRDY UART_REG(0x108u)
#define EVENTS_TXDRDY UART_REG(0x11Cu)
#define INTENSET UART_REG(0x304u)
#define ENABLE UART_REG(0x500u)
#define PSELTXD UART_REG(0x50Cu)
#define PSELRXD UART_REG(0x514u)
#define RXD UART_REG(0x518u)
#define TXD UART_REG(0x51Cu)
#define BAUDRATE UART_REG(0x524u)

#define ENABLE_UART 4u
#define BAUD_115200 0x01D7E000u
#define INT_RXDRDY (1u << 2)
#define MICROBIT_TX_PIN 24u  /* P0.24 and P0.25: the micro:bit's USB serial bridge */
#define MICROBIT_RX_PIN 25u
#define UART0_IRQ 2u         /* peripheral ID 2: bits 12-16 of the base address */

void uart_init(void)
{
    PSELTXD = MICROBIT_TX_PIN;
    PSELRXD = MICROBIT_RX_PIN;
    BAUDRATE = BAUD_115200;
    ENABLE = ENABLE_UART;
    INTENSET = INT_RXDRDY;
    TASKS_STARTTX = 1;
    TASKS_STARTRX = 1;
    nvic_enable_wakeup(UART0_IRQ);
}

void uart_putc(char c)
{
    EVENTS_TXDRDY = 0;
    TXD = (uint8_t)c;
    while (EVENTS_TXDRDY == 0) {
    }
}

int uart_getc(void)
{
    while (EVENTS_RXDRDY == 0) {
        __asm volatile("wfi");
    }
    EVENTS_RXDRDY = 0;  /* before RXD is read: the next byte raises it again */
    nvic_clear_pending(UART0_IRQ);
    return (int)(RXD & 0xFFu);
}
