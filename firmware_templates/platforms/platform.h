/* tinyctl's port surface: what an app needs from a platform. Each family in platforms/ implements
 * it (Cortex-M families share cortex-m/ and add their UART); host/ implements it on stdio. */
#ifndef TINYCTL_PLATFORM_H
#define TINYCTL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Console output (the UART on a board). */
void platform_write(const char *text, size_t length);

/* The serial link of runner mode (the console's UART on a board, stdin/stdout on the host). */
/* Waits for the next byte: 0..255, or -1 when the link has closed (end of stdin on the host). */
int platform_serial_getc(void);
void platform_serial_write(const void *data, size_t length);

/* Cycle counter (DWT CYCCNT on silicon); 0 where there is none (QEMU models no DWT). */
uint32_t platform_cycles(void);
/* 1 when platform_cycles counts (the DWT counter runs), 0 when it always reads 0. */
int platform_has_cycle_counter(void);

/* The most bytes of stack used since reset (a high-water mark); 0 where it is not measured (the host). */
uint32_t platform_stack_peak(void);

/* The core clock the firmware runs at, in Hz: its clock plan's when the set-up succeeded, the part's reset
 * clock when it failed; 0 where the firmware sets no clock (a QEMU stand-in, the host). */
uint32_t platform_clock_hz(void);

/* Host files (semihosting under a debugger or QEMU, stdio on the host): handle >= 0 or -1. */
int platform_file_open(const char *path, int for_writing);
/* Bytes transferred; fewer than asked at end of file or on error. */
size_t platform_file_read(int handle, void *buffer, size_t length);
size_t platform_file_write(int handle, const void *buffer, size_t length);
void platform_file_close(int handle);

/* Ends the program with an exit code the host sees (semihosting exit under QEMU). */
void platform_exit(int code) __attribute__((noreturn));

/* The app's entry point: args is the command line after the program name ("" when none). */
int app_main(const char *args);

#endif /* TINYCTL_PLATFORM_H */
