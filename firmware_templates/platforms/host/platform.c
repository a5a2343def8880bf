/* The host platform: the same apps as on a board, on stdio, for bit-exact checks with the host gcc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

#define MAX_FILES 8
static FILE *files[MAX_FILES];

void platform_write(const char *text, size_t length)
{
    fwrite(text, 1, length, stdout);
}

int platform_serial_getc(void)
{
    return getchar();  /* EOF (-1) when the host closes the pipe */
}

void platform_serial_write(const void *data, size_t length)
{
    fwrite(data, 1, length, stdout);
    fflush(stdout);
}

uint32_t platform_cycles(void)
{
    return 0;
}

int platform_has_cycle_counter(void)
{
    return 0;
}

uint32_t platform_stack_peak(void)
{
    return 0;   /* the host's stack is the operating system's */
}

uint32_t platform_clock_hz(void)
{
    return 0;   /* the host's latency is measured, not derived from a clock */
}

int platform_file_open(const char *path, int for_writing)
{
    for (int i = 0; i < MAX_FILES; i++) {
        if (files[i] == NULL) {
            files[i] = fopen(path, for_writing ? "wb" : "rb");
            return files[i] ? i : -1;
        }
    }
    return -1;
}

size_t platform_file_read(int handle, void *buffer, size_t length)
{
    return fread(buffer, 1, length, files[handle]);
}

size_t platform_file_write(int handle, const void *buffer, size_t length)
{
    return fwrite(buffer, 1, length, files[handle]);
}

void platform_file_close(int handle)
{
    fclose(files[handle]);
    files[handle] = NULL;
}

void platform_exit(int code)
{
    fflush(stdout);
    exit(code);
}

int main(int argc, char **argv)
{
    static char args[512];
    for (int i = 1; i < argc; i++) {
        if (strlen(args) + strlen(argv[i]) + 2 > sizeof args) {
            fputs("arguments too long\n", stderr);
            return 2;
        }
        strcat(args, argv[i]);
        if (i + 1 < argc) {
            strcat(args, " ");
        }
    }
    platform_exit(app_main(args));
}
