/* Interrupts as wake-up events only: PRIMASK masks every configurable interrupt, so none is taken
 * and the vector table needs no device entries, but a pending one still ends a WFI. */
#include <stdint.h>

#include "cortex_m.h"

#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define NVIC_ICPR ((volatile uint32_t *)0xE000E280u)

void nvic_enable_wakeup(unsigned irq)
{
    __asm volatile("cpsid i" ::: "memory");
    NVIC_ISER[irq / 32u] = 1u << (irq % 32u);
}

void nvic_clear_pending(unsigned irq)
{
    NVIC_ICPR[irq / 32u] = 1u << (irq % 32u);
}
