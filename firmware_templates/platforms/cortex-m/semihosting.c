/* Arm semihosting: host files, the command line and the exit code, through BKPT 0xAB. QEMU serves
 * it with -semihosting-config enable=on,target=native; on a board it needs a debugger attached,
 * so firmware for a board without one is built with TC_SEMIHOSTING=0. */
#include <stdint.h>
#include <string.h>

#include "platform.h"
#include "cortex_m.h"

#ifndef TC_SEMIHOSTING
#define TC_SEMIHOSTING 1
#endif

enum {
    SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE = 0x05, SYS_READ = 0x06,
    SYS_GET_CMDLINE = 0x15, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20,
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static volatile int no_debugger;

void semihosting_absent(void)
{
    no_debugger = 1;
}

static int32_t semihost(int32_t operation, const void *block)
{
#if TC_SEMIHOSTING
    if (no_debugger) {
        return -1;  /* a BKPT inside the fault handler would lock the core up */
    }
    register int32_t r0 __asm("r0") = operation;
    register const void *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
#else
    (void)operation;
    (void)block;
    return -1;
#endif
}

const char *semihosting_args(char *buffer, size_t size)
{
    int32_t block[2] = {(int32_t)(uintptr_t)buffer, (int32_t)size};
    if (!TC_SEMIHOSTING || semihost(SYS_GET_CMDLINE, block) != 0) {
        return no_debugger || !TC_SEMIHOSTING ? NULL : "";
    }
    const char *space = strchr(buffer, ' ');  /* skip the program name */
    return space ? space + 1 : "";
}

int platform_file_open(const char *path, int for_writing)
{
    int32_t block[3] = {(int32_t)(uintptr_t)path, for_writing ? 5 /* "wb" */ : 1 /* "rb" */,
                        (int32_t)strlen(path)};
    return semihost(SYS_OPEN, block);
}

/* SYS_READ and SYS_WRITE return the number of bytes NOT transferred. */
size_t platform_file_read(int handle, void *buffer, size_t length)
{
    int32_t block[3] = {handle, (int32_t)(uintptr_t)buffer, (int32_t)length};
    int32_t left = semihost(SYS_READ, block);
    return left < 0 || (size_t)left > length ? 0 : length - (size_t)left;
}

size_t platform_file_write(int handle, const void *buffer, size_t length)
{
    int32_t block[3] = {handle, (int32_t)(uintptr_t)buffer, (int32_t)length};
    int32_t left = semihost(SYS_WRITE, block);
    return left < 0 || (size_t)left > length ? 0 : length - (size_t)left;
}

void platform_file_close(int handle)
{
    int32_t block[1] = {handle};
    semihost(SYS_CLOSE, block);
}

void platform_exit(int code)
{
    int32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, code};
    semihost(SYS_EXIT_EXTENDED, block);
    semihost(SYS_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);  /* older hosts: exit 0 */
    for (;;) {
        __asm volatile("wfi");
    }
}

void platform_write(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        uart_putc(text[i]);
    }
}
