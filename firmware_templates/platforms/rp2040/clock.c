/* RP2040 clocks (RP2040 datasheet 2.15 CLOCKS, 2.16 XOSC, 2.18 PLL): the 12 MHz crystal starts, clk_ref
 * moves to it, PLL_SYS locks at the plan's VCO and dividers, clk_sys moves to the PLL through its aux
 * mux, and CLK_PERI (UART0's clock) follows clk_sys. Out of the boot ROM both run on the ring oscillator
 * (about 6.5 MHz, unspecified to within a factor of two): when the crystal does not start, they stay on
 * it; when the PLL does not lock, clk_sys stays on clk_ref, the crystal's 12 MHz. */
#include <stdint.h>

#include "clock_plan.h"
#include "cortex_m.h"
#include "platform.h"
#include "rp2040.h"

#define XOSC_CTRL 0x40024000u
#define XOSC_STATUS 0x40024004u
#define XOSC_STARTUP 0x4002400Cu
#define XOSC_FREQ_1_15MHZ 0xAA0u
#define XOSC_ENABLE (0xFABu << 12)
#define XOSC_STABLE (1u << 31)

#define PLL_SYS_CS 0x40028000u
#define PLL_SYS_PWR 0x40028004u
#define PLL_SYS_FBDIV_INT 0x40028008u
#define PLL_SYS_PRIM 0x4002800Cu
#define PLL_LOCK (1u << 31)
#define PLL_PD (1u << 0)
#define PLL_POSTDIVPD (1u << 3)
#define PLL_VCOPD (1u << 5)

#define CLK_REF_CTRL 0x40008030u
#define CLK_REF_SELECTED 0x40008038u
#define CLK_SYS_CTRL 0x4000803Cu
#define CLK_SYS_SELECTED 0x40008044u
#define CLK_PERI_CTRL 0x40008048u
#define CLK_REF_SRC_MASK 0x3u
#define CLK_REF_SRC_XOSC 0x2u     /* SELECTED is one-hot: bit 2 */
#define CLK_SYS_SRC_AUX 0x1u      /* 0: clk_ref, 1: the aux mux (SELECTED bit 0 or 1) */
#define CLK_AUXSRC_MASK (0x7u << 5)   /* clk_sys aux 0: PLL_SYS; clk_peri aux 0: clk_sys */
#define CLK_PERI_ENABLE (1u << 11)

static const char *failure;

static const char *start_crystal(void)
{
    RP2040_REG(XOSC_STARTUP) = TC_CLOCK_XOSC_STARTUP;
    RP2040_REG(XOSC_CTRL) = XOSC_FREQ_1_15MHZ | XOSC_ENABLE;
    if (!rp2040_wait(XOSC_STATUS, XOSC_STABLE, XOSC_STABLE)) {
        return "the crystal oscillator did not start (XOSC_STATUS.STABLE)";
    }
    RP2040_REG(CLK_REF_CTRL) = (RP2040_REG(CLK_REF_CTRL) & ~CLK_REF_SRC_MASK) | CLK_REF_SRC_XOSC;
    if (!rp2040_wait(CLK_REF_SELECTED, ~0u, 1u << CLK_REF_SRC_XOSC)) {
        return "clk_ref did not move to the crystal (CLK_REF_SELECTED)";
    }
    return 0;
}

/* clk_sys leaves the aux mux before the PLL under it is reset: the glitchless mux switches only between
 * running clocks. */
static const char *lock_pll(void)
{
    RP2040_CLEAR(CLK_SYS_CTRL) = CLK_SYS_SRC_AUX;
    if (!rp2040_wait(CLK_SYS_SELECTED, ~0u, 1u)) {
        return "clk_sys did not move to clk_ref (CLK_SYS_SELECTED)";
    }
    RP2040_SET(RESETS_RESET) = RESET_PLL_SYS;
    if (!rp2040_unreset(RESET_PLL_SYS)) {
        return "PLL_SYS did not leave reset (RESETS_RESET_DONE)";
    }
    RP2040_REG(PLL_SYS_CS) = TC_CLOCK_PLL_SYS_CS;
    RP2040_REG(PLL_SYS_FBDIV_INT) = TC_CLOCK_PLL_SYS_FBDIV_INT;
    RP2040_CLEAR(PLL_SYS_PWR) = PLL_PD | PLL_VCOPD;
    if (!rp2040_wait(PLL_SYS_CS, PLL_LOCK, PLL_LOCK)) {
        return "PLL_SYS did not lock (PLL_SYS_CS.LOCK)";
    }
    RP2040_REG(PLL_SYS_PRIM) = TC_CLOCK_PLL_SYS_PRIM;
    RP2040_CLEAR(PLL_SYS_PWR) = PLL_POSTDIVPD;
    RP2040_CLEAR(CLK_SYS_CTRL) = CLK_AUXSRC_MASK;   /* aux: PLL_SYS, changed while not selected */
    RP2040_SET(CLK_SYS_CTRL) = CLK_SYS_SRC_AUX;
    if (!rp2040_wait(CLK_SYS_SELECTED, ~0u, 1u << CLK_SYS_SRC_AUX)) {
        return "clk_sys did not move to PLL_SYS (CLK_SYS_SELECTED)";
    }
    return 0;
}

/* CLK_PERI has no glitchless mux: it is stopped while its source changes (2.15.3.2). */
static void peri_from_sys(void)
{
    RP2040_CLEAR(CLK_PERI_CTRL) = CLK_PERI_ENABLE;
    RP2040_CLEAR(CLK_PERI_CTRL) = CLK_AUXSRC_MASK;
    RP2040_SET(CLK_PERI_CTRL) = CLK_PERI_ENABLE;
}

const char *clock_init(void)
{
    failure = start_crystal();
    if (!failure) {
        failure = lock_pll();
    }
    peri_from_sys();   /* in every case: UART0 needs CLK_PERI even to leave reset */
    return failure;
}

int rp2040_unreset(uint32_t peripherals)
{
    RP2040_CLEAR(RESETS_RESET) = peripherals;
    return rp2040_wait(RESETS_RESET_DONE, peripherals, peripherals);
}

uint32_t rp2040_console_divisor(void)
{
    return failure ? TC_CLOCK_RESET_UART_IBRD << 6 | TC_CLOCK_RESET_UART_FBRD
                   : TC_CLOCK_UART_IBRD << 6 | TC_CLOCK_UART_FBRD;
}

/* The clock the runner's handshake reports: the console divisor's assumption too (a failed PLL leaves
 * clk_sys on the crystal). */
uint32_t platform_clock_hz(void)
{
    return failure ? TC_CLOCK_RESET_HZ : TC_CLOCK_SYSCLK_HZ;
}
