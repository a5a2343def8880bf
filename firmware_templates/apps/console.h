/* Small console output without printf (newlib-nano's costs ~6 kB of flash). */
#ifndef TINYCTL_CONSOLE_H
#define TINYCTL_CONSOLE_H

#include <stdint.h>

void console_puts(const char *text);
void console_put_uint(uint32_t value);
void console_put_int(int32_t value);

#endif /* TINYCTL_CONSOLE_H */
