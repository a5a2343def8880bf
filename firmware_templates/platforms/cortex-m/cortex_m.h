/* What the Cortex-M families share inside platforms/: each family provides the uart_* functions. */
#ifndef TINYCTL_CORTEX_M_H
#define TINYCTL_CORTEX_M_H

#include <stddef.h>

/* ARMv6-M (Cortex-M0/M0+): Thumb-1 plus a few 32-bit instructions, no IT blocks, no fault status
 * registers, no cycle counter in its DWT. */
#if defined(__ARM_ARCH_6M__)
#define TC_ARMV6M 1
#else
#define TC_ARMV6M 0
#endif

void uart_init(void);
void uart_putc(char c);
/* Waits for one received byte (0..255). */
int uart_getc(void);

void cycles_init(void);
/* Fills the free RAM below the stack pointer with stack.c's pattern, for platform_stack_peak. */
void stack_paint(void);

/* Sets the core clock of the build's clock plan (each family; a no-op on a QEMU stand-in): NULL when it
 * runs, else what failed, and the core stays on its reset clock (uart_init divides that one). */
const char *clock_init(void);

/* Lets interrupt irq wake the CPU from WFI without ever being taken (PRIMASK is set). */
void nvic_enable_wakeup(unsigned irq);
void nvic_clear_pending(unsigned irq);

/* The semihosting command line after the program name ("" when there is none), or NULL when no
 * debugger answers semihosting calls. */
const char *semihosting_args(char *buffer, size_t size);
/* Called by the fault handler when a semihosting call found no debugger: later calls fail at once. */
void semihosting_absent(void);

#endif /* TINYCTL_CORTEX_M_H */
