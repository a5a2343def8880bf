/* NUCLEO-U575ZI-Q: the ST-LINK virtual COM port is USART1, TX on PA9 and RX on PA10 (UM2861), AF7. The
 * U5 USART has the stm32-usart-v2 layout (RM0456 USART registers), plus a kernel-clock prescaler
 * (USART_PRESC at 0x2C) whose reset value divides by 1: the plan's BRR divides PCLK2 itself. */
#ifndef TINYCTL_CONSOLE_PINS_H
#define TINYCTL_CONSOLE_PINS_H

#if TC_CONSOLE_UART != 1
#error "the stm32u5 platform drives USART1 (PA9/PA10), the ST-LINK virtual COM port: [console] uart = 1"
#endif
#define CONSOLE_BASE 0x40013800u   /* non-secure alias */
#define CONSOLE_IRQ 61u

#endif /* TINYCTL_CONSOLE_PINS_H */
