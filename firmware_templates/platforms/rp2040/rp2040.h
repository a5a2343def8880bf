/* RP2040 registers the platform writes (RP2040 datasheet: 2.14 RESETS, 2.15 CLOCKS, 2.16 XOSC, 2.18 PLL,
 * 2.19 IO_BANK0, 4.2 UART). Each peripheral has atomic aliases (2.1.2): +0x2000 sets the bits written,
 * +0x3000 clears them. */
#ifndef TINYCTL_RP2040_H
#define TINYCTL_RP2040_H

#include <stdint.h>

#define RP2040_REG(address) (*(volatile uint32_t *)(address))
#define RP2040_SET(address) RP2040_REG((address) + 0x2000u)
#define RP2040_CLEAR(address) RP2040_REG((address) + 0x3000u)

#define RESETS_RESET 0x4000C000u
#define RESETS_RESET_DONE 0x4000C008u
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PLL_SYS (1u << 12)
#define RESET_UART0 (1u << 22)

/* About 20 ms at the ring oscillator's 6.5 MHz: the crystal starts and the PLL locks in about 1 ms. */
#define RP2040_WAIT_POLLS 40000u

/* 1 once (reg & mask) == value, 0 when it never does within RP2040_WAIT_POLLS reads. */
static inline int rp2040_wait(uint32_t address, uint32_t mask, uint32_t value)
{
    for (uint32_t polls = 0; polls < RP2040_WAIT_POLLS; polls++) {
        if ((RP2040_REG(address) & mask) == value) {
            return 1;
        }
    }
    return 0;
}

/* Takes peripherals out of reset: 1 once RESET_DONE says so, 0 when it does not (a clock is missing). */
int rp2040_unreset(uint32_t peripherals);

/* UART0's divider (IBRD << 6 | FBRD) for the clock that runs: the plan's, or the crystal's 12 MHz when the
 * PLL did not lock. */
uint32_t rp2040_console_divisor(void);

#endif /* TINYCTL_RP2040_H */
