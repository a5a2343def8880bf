/* What the Cortex-M families share inside platforms/: each family provides the uart_* functions. */
#ifndef TINYCTL_CORTEX_M_H
#define TINYCTL_CORTEX_M_H

#include <stddef.h>

void uart_init(void);
void uart_putc(char c);

void cycles_init(void);

/* The semihosting command line after the program name, or "" (no debugger: no semihosting call). */
const char *semihosting_args(char *buffer, size_t size);

#endif /* TINYCTL_CORTEX_M_H */
