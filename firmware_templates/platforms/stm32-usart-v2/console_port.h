/* What a family using stm32-usart-v2 provides: CONSOLE_BASE and CONSOLE_IRQ (in its console_pins.h),
 * and console_port_init(), which clocks the peripheral and its GPIO port and muxes its pins. */
#ifndef TINYCTL_CONSOLE_PORT_H
#define TINYCTL_CONSOLE_PORT_H

#include "console_pins.h"

void console_port_init(void);

#endif /* TINYCTL_CONSOLE_PORT_H */
