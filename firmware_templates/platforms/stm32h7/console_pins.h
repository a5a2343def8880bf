/* NUCLEO-H743ZI: the ST-LINK virtual COM port is USART3, TX on PD8 and RX on PD9 (UM2407), AF7. */
#ifndef TINYCTL_CONSOLE_PINS_H
#define TINYCTL_CONSOLE_PINS_H

#if TC_CONSOLE_UART != 3
#error "the stm32h7 platform drives USART3 (PD8/PD9), the ST-LINK virtual COM port: [console] uart = 3"
#endif
#define CONSOLE_BASE 0x40004800u
#define CONSOLE_IRQ 39u

#endif /* TINYCTL_CONSOLE_PINS_H */
