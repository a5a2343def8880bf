/* DISCO-F746NG: the ST-LINK virtual COM port is USART1, TX on PA9 and RX on PB7 (UM1907), AF7. */
#ifndef TINYCTL_CONSOLE_PINS_H
#define TINYCTL_CONSOLE_PINS_H

#if TC_CONSOLE_UART != 1
#error "the stm32f7 platform drives USART1 (PA9/PB7), the ST-LINK virtual COM port: [console] uart = 1"
#endif
#define CONSOLE_BASE 0x40011000u
#define CONSOLE_IRQ 37u

#endif /* TINYCTL_CONSOLE_PINS_H */
