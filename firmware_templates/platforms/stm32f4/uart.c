/* STM32F4 console USART, 8N1 at 115200, chosen by TC_CONSOLE_UART (from the board file's
 * [console] uart): 2 is USART2 on PA2/PA3, the ST-LINK virtual COM port of NUCLEO-64 boards (QEMU
 * netduinoplus2's serial1); 1 is USART1 on PA9/PA10 (serial0). The pins get alternate function 7
 * for silicon; QEMU ignores the GPIO and RCC writes.
 * Reception sleeps in WFI until the RX interrupt is pending (never taken: PRIMASK stays set), so
 * QEMU's I/O thread is not starved by a CPU polling the status register. */
#include <stdint.h>

#include "cortex_m.h"

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
#define GPIOA_MODER (*(volatile uint32_t *)0x40020000u)
#define GPIOA_AFR ((volatile uint32_t *)0x40020020u)  /* AFRL, AFRH */

#define SR_TXE (1u << 7)
#define SR_RXNE (1u << 5)
#define CR1_UE (1u << 13)
#define CR1_RXNEIE (1u << 5)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)
#define GPIO_MODE_ALTERNATE 2u
#define AF7_USART 7u

#ifndef TC_UART_CLOCK_HZ
#define TC_UART_CLOCK_HZ 16000000u  /* HSI after reset (APB1 = APB2 = 16 MHz): the clocks stay as reset left them */
#endif

static void pin_to_usart(uint32_t pin)
{
    GPIOA_MODER = (GPIOA_MODER & ~(3u << (2u * pin))) | (GPIO_MODE_ALTERNATE << (2u * pin));
    volatile uint32_t *afr = &GPIOA_AFR[pin / 8u];
    *afr = (*afr & ~(0xFu << (4u * (pin % 8u)))) | (AF7_USART << (4u * (pin % 8u)));
}

void uart_init(void)
{
    RCC_AHB1ENR |= 1u;  /* GPIOA clock */
    RCC_USART_ENR |= RCC_USART_BIT;
    (void)RCC_USART_ENR;  /* a read back: the clock is running before the peripheral is touched */
    pin_to_usart(TX_PIN);
    pin_to_usart(RX_PIN);
    USART_BRR = (TC_UART_CLOCK_HZ + 57600u) / 115200u;
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
