#include <string.h>

#include "console.h"
#include "platform.h"

void console_puts(const char *text)
{
    platform_write(text, strlen(text));
}

void console_put_uint(uint32_t value)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0);
    platform_write(digits + sizeof digits - n, n);
}

void console_put_int(int32_t value)
{
    if (value < 0) {
        console_puts("-");
        console_put_uint(0u - (uint32_t)value);
    } else {
        console_put_uint((uint32_t)value);
    }
}
