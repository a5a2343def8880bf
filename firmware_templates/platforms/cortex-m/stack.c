/* The stack's high-water mark: the reset handler paints the free RAM below its stack pointer with a pattern,
 * down to twice the stack's reservation under the top of RAM (or the end of bss, if nearer), and
 * platform_stack_peak finds the lowest word since overwritten. The build compares the peak of its self-test
 * with the reservation the memory check counted (linker.ld's stack_bytes), so a kernel whose frames outgrow it
 * fails the build instead of overwriting static data on the board. */
#include <stdint.h>

#include "platform.h"
#include "cortex_m.h"

#define STACK_PAINT 0x5AC3A55Cu

extern uint32_t end, _estack, _stack_bytes;   /* _stack_bytes: an absolute symbol, the reservation's size */

static uint32_t *paint_floor(void)
{
    const uintptr_t top = (uintptr_t)&_estack, reserved = (uintptr_t)&_stack_bytes;
    const uintptr_t floor = top - 2 * reserved, bss_end = (uintptr_t)&end;
    return (uint32_t *)(floor > bss_end ? floor : bss_end);
}

/* Up to 128 bytes under the stack pointer: the compiler may read sp before it pushes this function's own
 * registers (it does for the Cortex-M55), which the paint must not overwrite. */
void stack_paint(void)
{
    uint32_t *word = paint_floor(), *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (const uint32_t *limit = sp - 32; word < limit;) {
        *word++ = STACK_PAINT;
    }
}

uint32_t platform_stack_peak(void)
{
    const uint32_t *word = paint_floor();
    while (word < &_estack && *word == STACK_PAINT) {
        word++;
    }
    return (uint32_t)((uintptr_t)&_estack - (uintptr_t)word);
}
