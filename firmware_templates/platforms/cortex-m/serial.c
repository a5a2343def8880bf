/* Runner mode's serial link on a board: the console UART, polled. */
#include "platform.h"
#include "cortex_m.h"

int platform_serial_getc(void)
{
    return uart_getc();
}

void platform_serial_write(const void *data, size_t length)
{
    const char *bytes = data;
    for (size_t i = 0; i < length; i++) {
        uart_putc(bytes[i]);
    }
}
