/* NUCLEO-G0B1RE: the ST-LINK virtual COM port is USART2, TX on PA2 and RX on PA3 (UM2324), AF1. */
#ifndef TINYCTL_CONSOLE_PINS_H
#define TINYCTL_CONSOLE_PINS_H

#if TC_CONSOLE_UART != 2
#error "the stm32g0 platform drives USART2 (PA2/PA3), the ST-LINK virtual COM port: [console] uart = 2"
#endif
#define CONSOLE_BASE 0x40004400u
#define CONSOLE_IRQ 28u   /* USART2 and LPUART2 share line 28 on the G0B1 (RM0444, the vector table) */

#endif /* TINYCTL_CONSOLE_PINS_H */
