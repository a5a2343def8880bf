/* NUCLEO-L4R5ZI: the ST-LINK virtual COM port is LPUART1, TX on PG7 and RX on PG8 (UM2179), AF8;
 * [console] uart = 0 names LPUART1. */
#ifndef TINYCTL_CONSOLE_PINS_H
#define TINYCTL_CONSOLE_PINS_H

#if TC_CONSOLE_UART != 0
#error "the stm32l4 platform drives LPUART1 (PG7/PG8), the ST-LINK virtual COM port: [console] uart = 0"
#endif
#define CONSOLE_BASE 0x40008000u
#define CONSOLE_IRQ 70u

#endif /* TINYCTL_CONSOLE_PINS_H */
