"""Clock plans: pure functions from a board (its part, its clock_hz, its console UART) to the register
values that set that clock on the part, worked out from the ST reference manuals: PLL dividers, bus
prescalers, flash wait states for the voltage range, voltage scaling (F4/F7 over-drive, H7 VOS, L4+
boost, U5 range 1 with the EPOD booster) and the console UART's BRR at 115200 from its bus clock. `clock_header` writes the plan as
clock_plan.h, so the platform C (firmware_templates/platforms/stm32*) has no second copy of a number.

Every plan runs the PLL from the internal HSI oscillator: it is there on every board revision with no
solder bridge (the ST-LINK's 8 MHz MCO reaches OSC_IN only on some NUCLEO revisions), and its 1 %
accuracy is well inside a UART's tolerance.

The board is a targets.Board, read by attribute: this module imports none, so the board schema can check
a board's plan when its file loads."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .platform_files import read_platform

BAUD = 115_200
MHZ = 1_000_000


@dataclass(frozen=True)
class Part:
    """What a clock plan needs to know about one part, from its reference manual."""
    family: str                     # the platform folder: stm32f4, stm32f7, stm32h7, stm32l4
    manual: str
    hsi_hz: int                     # the internal oscillator the PLL runs from
    reset_hz: int                   # the core clock out of reset (F4/F7: HSI; H7: HSI 64; L4: MSI 4 MHz)
    max_hz: int
    wait_state_limits_mhz: tuple    # the highest HCLK (H7: AXI clock) for 0, 1, 2... wait states
    bus_max_hz: dict                # "apb1", "apb2" (H7: every APB) -> its maximum
    voltage: str                    # the voltage range the plan sets, as the RM names it
    vco_mhz: tuple                  # the PLL VCO output's range


PARTS = {
    # RM0390 5.1.4, 3.4.1 Table 5 (2.7-3.6 V); 180 MHz needs scale 1 and over-drive.
    "STM32F446": Part("stm32f4", "RM0390", 16 * MHZ, 16 * MHZ, 180 * MHZ, (30, 60, 90, 120, 150, 180),
                      {"apb1": 45 * MHZ, "apb2": 90 * MHZ}, "scale 1 + over-drive", (100, 432)),
    # RM0368 3.4 Table 6 (2.7-3.6 V); 84 MHz is the limit of scale 2.
    "STM32F401": Part("stm32f4", "RM0368", 16 * MHZ, 16 * MHZ, 84 * MHZ, (30, 60, 84),
                      {"apb1": 42 * MHZ, "apb2": 84 * MHZ}, "scale 2", (192, 432)),
    # RM0383 3.4 Table 5 (2.7-3.6 V); 100 MHz needs scale 1.
    "STM32F411": Part("stm32f4", "RM0383", 16 * MHZ, 16 * MHZ, 100 * MHZ, (30, 64, 90, 100),
                      {"apb1": 50 * MHZ, "apb2": 100 * MHZ}, "scale 1", (100, 432)),
    # RM0385 3.3.2 Table 5 (2.7-3.6 V); above 180 MHz needs scale 1 and over-drive.
    "STM32F746": Part("stm32f7", "RM0385", 16 * MHZ, 16 * MHZ, 216 * MHZ, (30, 60, 90, 120, 150, 180, 210, 216),
                      {"apb1": 54 * MHZ, "apb2": 108 * MHZ}, "scale 1 + over-drive", (100, 432)),
    # RM0433 4.3.8 Table 17, VOS1: 400 MHz CPU, AXI/AHB 200 MHz, APBs 100 MHz. 400 MHz is the most
    # that revision Y silicon runs; 480 MHz needs VOS0, only on revision V: 400 runs on both.
    "STM32H743": Part("stm32h7", "RM0433", 64 * MHZ, 64 * MHZ, 400 * MHZ, (70, 140, 210, 225),
                      {"apb": 100 * MHZ}, "VOS1", (192, 836)),   # the wide VCO
    # RM0432 3.3.3 Table 12, range 1 boost mode (above 80 MHz); the core leaves reset on MSI 4 MHz.
    "STM32L4R5": Part("stm32l4", "RM0432", 16 * MHZ, 4 * MHZ, 120 * MHZ, (20, 40, 60, 80, 100, 120),
                      {"apb1": 120 * MHZ, "apb2": 120 * MHZ}, "range 1 boost", (64, 344)),
    # RM0456 (FLASH: wait states at range 1, LATENCY 4 up to 160 MHz; PWR: range 1 with the EPOD booster
    # above 55 MHz); DS13737 PLL characteristics: VCO 128-544 MHz. The core leaves reset on MSIS 4 MHz.
    "STM32U575": Part("stm32u5", "RM0456", 16 * MHZ, 4 * MHZ, 160 * MHZ, (32, 64, 96, 128, 160),
                      {"apb1": 160 * MHZ, "apb2": 160 * MHZ, "apb3": 160 * MHZ}, "range 1 + EPOD booster", (128, 544)),
    # RM0444 3.3.4, read access latency table (range 1: 0 WS to 24 MHz, 1 to 48, 2 to 64); 5.2.4 (PLL:
    # VCO 64-344 MHz, PLLRCLK at most 64 MHz); one APB, at most 64 MHz.
    "STM32G0B1": Part("stm32g0", "RM0444", 16 * MHZ, 16 * MHZ, 64 * MHZ, (24, 48, 64),
                      {"apb": 64 * MHZ}, "range 1", (64, 344)),
    # RP2040 datasheet 2.15-2.18: the PLL runs from the Pico's 12 MHz crystal (XOSC), VCO 750-1600 MHz; 133 MHz
    # is the most at the regulator's default 1.10 V; XIP flash has no wait states to set (the SSI divides).
    "RP2040": Part("rp2040", "RP2040 datasheet", 12 * MHZ, 12 * MHZ, 133 * MHZ, (133,), {"peri": 133 * MHZ},
                   "1.10 V (VREG default)", (750, 1600)),
}
FAMILIES = sorted({part.family for part in PARTS.values()})

# F4/F7 RCC_CFGR prescaler codes (RM0390 6.3.3): APB /1 /2 /4 /8 /16, AHB /1 /2 ... /512.
APB_CODES = {1: 0b000, 2: 0b100, 4: 0b101, 8: 0b110, 16: 0b111}
AHB_CODES = {1: 0b0000, 2: 0b1000, 4: 0b1001, 8: 0b1010, 16: 0b1011}
F4_PLLP_CODES = {2: 0b00, 4: 0b01, 6: 0b10, 8: 0b11}
F4_VOS = {"scale 1": 0b11, "scale 2": 0b10, "scale 1 + over-drive": 0b11}
# The bus that clocks each console UART a family's driver takes (the board's [console] uart number).
UART_BUS = {"stm32f4": {1: "apb2", 2: "apb1"}, "stm32f7": {1: "apb2"},
            "stm32h7": {3: "apb"}, "stm32l4": {0: "apb1"},   # L4: uart 0 is LPUART1, on PCLK1
            "stm32u5": {1: "apb2"}, "stm32g0": {2: "apb"},
            "rp2040": {0: "peri"}}                          # UART0 on CLK_PERI


# The families whose SYSCLK is the PLL's R output (the others': P).
SYSCLK_FROM_PLL_R = {"stm32l4", "stm32u5", "stm32g0"}


class ClockPlanError(ValueError):
    """The board asks for what its part cannot give (a board-file error in `field`)."""

    def __init__(self, message: str, field: str = "clock_hz"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClockPlan:
    part: str
    family: str
    source: str                     # what drives the PLL, in words
    sysclk_hz: int                  # the core clock the firmware sets: every millisecond figure uses it
    hclk_hz: int
    bus_hz: dict                    # bus -> Hz
    pll: dict                       # "m", "n", "p", "q", "r": the dividers as numbers
    flash_wait_states: int
    voltage: str
    uart_clock_hz: int
    uart_brr: int                   # BRR for 115200 at uart_clock_hz
    reset_hz: int
    reset_uart_brr: int             # BRR for 115200 at the reset clock: what a failed set-up falls back to
    registers: dict                 # C define name -> register value the platform writes


def _wait_states(part: Part, hz: int) -> int:
    for states, limit in enumerate(part.wait_state_limits_mhz):
        if hz <= limit * MHZ:
            return states
    raise ClockPlanError(f"{hz / MHZ:g} MHz is above the flash's fastest setting ({part.manual})")


def _brr(family: str, uart_hz: int) -> int:
    """USARTDIV rounded to the nearest (oversampling by 16); LPUART1 (L4) counts in 1/256."""
    scale = 256 if family == "stm32l4" else 1
    return (scale * uart_hz + BAUD // 2) // BAUD


def _divider(limit_hz: int, clock_hz: int, allowed) -> int:
    """The smallest allowed divider that keeps clock_hz / divider within limit_hz."""
    return next(d for d in sorted(allowed) if clock_hz // d <= limit_hz)


def _buses(hclk: int, part: Part) -> dict:
    """Each APB at the fastest clock its maximum allows."""
    return {bus: hclk // _divider(limit, hclk, APB_CODES) for bus, limit in part.bus_max_hz.items()}


def _pll(clock_hz: int, vco_in_hz: int, part: Part, p_values, n_range: tuple) -> tuple[int, int]:
    """(N, P): the smallest P that puts the VCO in the part's range with an integer N."""
    low, high = (mhz * MHZ for mhz in part.vco_mhz)
    for p in p_values:
        vco = clock_hz * p
        if vco % vco_in_hz == 0 and low <= vco <= high and n_range[0] <= vco // vco_in_hz <= n_range[1]:
            return vco // vco_in_hz, p
    raise ClockPlanError(f"no PLL setting gives {clock_hz / MHZ:g} MHz")


def part_of(board) -> Part | None:
    """The board's part in PARTS (by its first nine characters, e.g. STM32F446), None for parts without a plan."""
    return PARTS.get(board.part[:9])


def check_request(board) -> int | None:
    """The console UART of a board whose platform sets the clock (None for one that sets none), after
    checking what a board file can get wrong: a clock above the part's or a UART the driver lacks. A clock
    no PLL setting gives is found by clock_plan, when a build needs the plan."""
    part = part_of(board)
    if part is None or part.family != board.platform:
        return None
    if not 0 < board.clock_hz <= part.max_hz:
        raise ClockPlanError(f"{board.part} runs at most {part.max_hz / MHZ:g} MHz ({part.manual}), "
                             f"not {board.clock_hz / MHZ:g}")
    uart = board.console_uart if board.console_uart is not None else read_platform(part.family)["console_uart"]
    if uart not in UART_BUS[part.family]:
        raise ClockPlanError(f"the {part.family} platform drives UART {', '.join(map(str, UART_BUS[part.family]))}",
                             "console.uart")
    return uart


def clock_plan(board) -> ClockPlan | None:
    """The plan that sets board.clock_hz on its part; None for a platform that sets no clock (a QEMU-only
    stand-in or the host). ClockPlanError when the part cannot run at clock_hz."""
    uart = check_request(board)
    if uart is None:
        return None
    part = part_of(board)
    plan = {"stm32f4": _plan_f4_f7, "stm32f7": _plan_f4_f7, "stm32h7": _plan_h7, "stm32l4": _plan_l4,
            "stm32u5": _plan_u5, "stm32g0": _plan_g0, "rp2040": _plan_rp2040}[part.family]
    return plan(board, part, UART_BUS[part.family][uart])


def _plan_f4_f7(board, part: Part, uart_bus: str) -> ClockPlan:
    """RM0390 6.3.2/6.3.3 (F4), RM0385 5.3.2/5.3.3 (F7): VCO input 2 MHz (HSI / 8), VCO in the part's range,
    SYSCLK = VCO / P, Q keeps the 48 MHz domain at or below 48 MHz."""
    m = part.hsi_hz // (2 * MHZ)
    n, p = _pll(board.clock_hz, 2 * MHZ, part, F4_PLLP_CODES, (50, 432))
    vco = 2 * MHZ * n
    q = next(q for q in range(2, 16) if vco // q <= 48 * MHZ)
    r = 2   # PLLR (F446 only; a reserved field at its reset value 2 on the others)
    buses = _buses(board.clock_hz, part)
    waits = _wait_states(part, board.clock_hz)
    overdrive = part.voltage.endswith("over-drive")
    pllcfgr = m | n << 6 | F4_PLLP_CODES[p] << 16 | q << 24 | r << 28   # PLLSRC (bit 22) = 0: HSI
    cfgr = (APB_CODES[board.clock_hz // buses["apb1"]] << 10 | APB_CODES[board.clock_hz // buses["apb2"]] << 13
            | AHB_CODES[1] << 4)
    art = (1 << 8 | 1 << 9) if part.family == "stm32f7" else (1 << 8 | 1 << 9 | 1 << 10)   # F7 PRFTEN+ARTEN; F4 +DCEN
    registers = {"RCC_PLLCFGR": pllcfgr, "RCC_CFGR_PRESCALERS": cfgr, "FLASH_ACR": waits | art,
                 "PWR_VOS": F4_VOS[part.voltage], "OVERDRIVE": int(overdrive)}
    return _finish(board, part, "PLL from HSI 16 MHz", buses, board.clock_hz, {"m": m, "n": n, "p": p, "q": q, "r": r},
                   waits, uart_bus, registers)


def _plan_h7(board, part: Part, uart_bus: str) -> ClockPlan:
    """RM0433 8.7: PLL1 from HSI 64 MHz / 4 = 16 MHz (input range 8-16 MHz), wide VCO,
    pll1_p = CPU clock; AXI/AHB at half (HPRE /2), each APB at a quarter; flash latency at the AXI clock."""
    m, vco_in = 4, part.hsi_hz // 4
    n, p = _pll(board.clock_hz, vco_in, part, range(2, 129, 2), (4, 512))
    q, r = 4, 2   # unused outputs, left disabled (DIVQ1EN = DIVR1EN = 0)
    hclk = board.clock_hz // _divider(200 * MHZ, board.clock_hz, AHB_CODES)
    apb = hclk // _divider(part.bus_max_hz["apb"], hclk, APB_CODES)
    waits = _wait_states(part, hclk)
    write_delay = waits   # RM0433 Table 17, VOS1: WRHIGHFREQ rises with LATENCY (0..2), 3 at 210-225 MHz
    ppre = APB_CODES[hclk // apb]
    registers = {
        "RCC_PLLCKSELR": m << 4,                             # PLLSRC = 0: HSI; DIVM1
        "RCC_PLLCFGR": 0b11 << 2 | 1 << 16,                  # PLL1RGE = 8-16 MHz, wide VCO, DIVP1EN
        "RCC_PLL1DIVR": (n - 1) | (p - 1) << 9 | (q - 1) << 16 | (r - 1) << 24,
        "RCC_D1CFGR": AHB_CODES[board.clock_hz // hclk] | ppre << 4,   # HPRE, D1PPRE (APB3), D1CPRE = /1
        "RCC_D2CFGR": ppre << 4 | ppre << 8,                 # D2PPRE1 (APB1), D2PPRE2 (APB2)
        "RCC_D3CFGR": ppre << 4,                             # D3PPRE (APB4)
        "FLASH_ACR": waits | min(write_delay, 3) << 4,
        "PWR_D3CR_VOS": 0b11,                                # VOS1
    }
    return _finish(board, part, "PLL1 from HSI 64 MHz", {"apb": apb}, hclk, {"m": m, "n": n, "p": p, "q": q, "r": r},
                   waits, uart_bus, registers)


def _plan_l4(board, part: Part, uart_bus: str) -> ClockPlan:
    """RM0432 6.4.4: PLL from HSI16 / 2 = 8 MHz (input 2.66-16 MHz), PLLCLK = VCO / R
    with R in 2, 4, 6, 8; range 1 boost mode above 80 MHz."""
    m, vco_in = 2, part.hsi_hz // 2
    n, r = _pll(board.clock_hz, vco_in, part, (2, 4, 6, 8), (8, 127))
    p, q = 7, 2   # unused outputs, left disabled
    buses = _buses(board.clock_hz, part)
    waits = _wait_states(part, board.clock_hz)
    boost = board.clock_hz > 80 * MHZ
    pllcfgr = 0b10 | (m - 1) << 4 | n << 8 | 1 << 24 | (r // 2 - 1) << 25   # PLLSRC = HSI16, PLLREN
    cfgr = APB_CODES[board.clock_hz // buses["apb1"]] << 8 | APB_CODES[board.clock_hz // buses["apb2"]] << 11
    registers = {"RCC_PLLCFGR": pllcfgr, "RCC_CFGR_PRESCALERS": cfgr,
                 "FLASH_ACR": waits | 1 << 8 | 1 << 9 | 1 << 10,   # PRFTEN, ICEN, DCEN
                 "PWR_VOS": 0b01, "BOOST": int(boost)}
    return _finish(board, part, "PLL from HSI 16 MHz", buses, board.clock_hz, {"m": m, "n": n, "p": p, "q": q, "r": r},
                   waits, uart_bus, registers)


# U5 RCC_PLL1CFGR.PLL1MBOOST: the EPOD booster's input divider, /1, /2, /4, /6 ... /16, as its code.
U5_MBOOST_CODES = {1: 0, 2: 1, **{divider: divider // 2 for divider in range(4, 17, 2)}}
U5_BOOST_ABOVE_HZ = 55 * MHZ     # RM0456 PWR: the EPOD booster on for a clock above 55 MHz (range 1 or 2)


def _plan_u5(board, part: Part, uart_bus: str) -> ClockPlan:
    """RM0456 RCC: PLL1 from HSI16 / M1 = 16 MHz (input range 8-16 MHz), SYSCLK = pll1_r = VCO / R with an
    even R (PLL1R divides by 1 or an even number; /2 is ST's own 160 MHz set-up, VCO 320 MHz); range 1,
    and the EPOD booster above 55 MHz, clocked by HSI16 / PLL1MBOOST (its input at most 16 MHz); AHB and
    every APB at /1. HSI16 rather than MSIS 4 MHz (the reset clock): the source of every other plan here
    (see above), and its 16 MHz feeds PLL1 and the booster undivided."""
    m, vco_in = 1, part.hsi_hz
    n, r = _pll(board.clock_hz, vco_in, part, range(2, 129, 2), (4, 512))
    p, q = 2, 2   # unused outputs at their reset dividers, left disabled (PLL1PEN = PLL1QEN = 0)
    boost_divider = _divider(16 * MHZ, part.hsi_hz, U5_MBOOST_CODES)
    boost = board.clock_hz > U5_BOOST_ABOVE_HZ
    buses = _buses(board.clock_hz, part)
    waits = _wait_states(part, board.clock_hz)
    input_range = 0b11 if vco_in >= 8 * MHZ else 0b00   # PLL1RGE: 8-16 MHz, else 4-8 MHz
    pll1cfgr = (0b10 | input_range << 2 | (m - 1) << 8 | U5_MBOOST_CODES[boost_divider] << 12
                | 1 << 18)   # PLL1SRC = HSI16, PLL1REN
    registers = {
        "RCC_PLL1CFGR": pll1cfgr,
        "RCC_PLL1DIVR": (n - 1) | (p - 1) << 9 | (q - 1) << 16 | (r - 1) << 24,
        "RCC_CFGR2_PRESCALERS": AHB_CODES[1] | APB_CODES[board.clock_hz // buses["apb1"]] << 4
                                | APB_CODES[board.clock_hz // buses["apb2"]] << 8,   # HPRE, PPRE1, PPRE2
        "RCC_CFGR3_PRESCALERS": APB_CODES[board.clock_hz // buses["apb3"]] << 4,     # PPRE3
        "FLASH_ACR": waits | 1 << 8,   # LATENCY, PRFTEN
        "PWR_VOS": 0b11,               # PWR_VOSR.VOS: range 1
        "BOOST": int(boost),
    }
    part = part if boost else replace(part, voltage="range 1")
    return _finish(board, part, "PLL1 from HSI16", buses, board.clock_hz, {"m": m, "n": n, "p": p, "q": q, "r": r},
                   waits, uart_bus, registers)


def _plan_g0(board, part: Part, uart_bus: str) -> ClockPlan:
    """RM0444 5.2.4, 5.4.4: the PLL straight from HSI16 (M = 1: input 16 MHz, in 2.66-16 MHz), VCO = 16 MHz x N
    in 64-344 MHz, PLLRCLK = VCO / R (R 2-8) at most 64 MHz is SYSCLK; AHB and APB /1; range 1 (the reset
    range) and the flash latency for HCLK in range 1."""
    m, vco_in = 1, part.hsi_hz
    n, r = _pll(board.clock_hz, vco_in, part, range(2, 9), (8, 86))
    p, q = 2, 2   # unused outputs, left disabled (PLLPEN = PLLQEN = 0) at a legal divider
    buses = _buses(board.clock_hz, part)
    waits = _wait_states(part, board.clock_hz)
    # PLLSRC = HSI16 (10), PLLM = M - 1 (6:4), PLLN (14:8), PLLP = P - 1 (21:17), PLLQ = Q - 1 (27:25),
    # PLLREN (28), PLLR = R - 1 (31:29): RM0444 5.4.4.
    pllcfgr = 0b10 | (m - 1) << 4 | n << 8 | (p - 1) << 17 | (q - 1) << 25 | 1 << 28 | (r - 1) << 29
    registers = {"RCC_PLLCFGR": pllcfgr, "RCC_CFGR_PRESCALERS": APB_CODES[board.clock_hz // buses["apb"]] << 12,
                 "FLASH_ACR": waits | 1 << 8 | 1 << 9,   # PRFTEN, ICEN (RM0444 3.7.1)
                 "PWR_VOS": 0b01}                         # range 1 (PWR_CR1.VOS, RM0444 4.4.1)
    return _finish(board, part, "PLL from HSI16", buses, board.clock_hz, {"m": m, "n": n, "p": p, "q": q, "r": r},
                   waits, uart_bus, registers)


def _finish(board, part: Part, source: str, buses: dict, hclk: int, pll: dict, waits: int, uart_bus: str,
            registers: dict) -> ClockPlan:
    uart_hz = buses[uart_bus]
    brr, reset_brr = _brr(part.family, uart_hz), _brr(part.family, part.reset_hz)
    return ClockPlan(board.part, part.family, source, board.clock_hz, hclk, buses, pll, waits, part.voltage,
                     uart_hz, brr, part.reset_hz, reset_brr,
                     {**registers, "UART_BRR": brr, "RESET_UART_BRR": reset_brr, "SYSCLK_HZ": board.clock_hz,
                      "RESET_HZ": part.reset_hz})


def clock_source(board) -> str:
    """Where board.clock_hz comes from, for the manifest and report (`board.clock_source`)."""
    plan = clock_plan(board)
    if plan is not None and plan.family == "rp2040":
        return _rp2040_source(plan)
    if plan is not None:
        output = "r" if plan.family in SYSCLK_FROM_PLL_R else "p"
        return (f"set by the firmware: {plan.source}, M={plan.pll['m']} N={plan.pll['n']} "
                f"{output.upper()}={plan.pll[output]}, "
                f"{plan.flash_wait_states} flash wait states, {plan.voltage} ({part_of(board).manual})")
    if board.platform == "host":
        return "none: the host's latency is measured"
    return f"none: the {board.platform} platform does not set a clock (the board file's figure)"


def firmware_clock_hz(board) -> int | None:
    """The core clock the firmware sets, the only clock a millisecond figure may use; None when it sets none."""
    plan = clock_plan(board)
    return plan.sysclk_hz if plan else None


def clock_header(plan: ClockPlan) -> str:
    """clock_plan.h: the plan's register values as defines, for the family's clock.c and uart.c."""
    lines = [f"/* Generated by tinyctl (toolchain/clocks.py) for {plan.part}: {plan.sysclk_hz // MHZ} MHz, "
             f"{plan.source}, {plan.flash_wait_states} flash wait states, {plan.voltage}. */",
             "#ifndef TC_CLOCK_PLAN_H", "#define TC_CLOCK_PLAN_H", ""]
    lines += [f"#define TC_CLOCK_{name} {value:#010x}u" for name, value in plan.registers.items()]
    return "\n".join(lines + ["", "#endif /* TC_CLOCK_PLAN_H */", ""])


def pl011_divisor(clock_hz: int, baud: int = BAUD) -> tuple[int, int]:
    """(IBRD, FBRD) of an Arm PL011 UART (RP2040 datasheet 4.2.7.1): clock / (16 x baud) in 1/64ths,
    rounded to the nearest."""
    sixty_fourths = (8 * clock_hz // baud + 1) // 2
    return sixty_fourths >> 6, sixty_fourths & 0x3F


def _rp2040_pll(clock_hz: int, part: Part) -> tuple[int, int, int]:
    """(FBDIV, POSTDIV1, POSTDIV2) from REFDIV 1 (12 MHz into the VCO): the highest VCO in range (the
    datasheet's advice, 2.18.2: less jitter), POSTDIV1 >= POSTDIV2, each 1-7, FBDIV 16-320."""
    low, high = (mhz * MHZ for mhz in part.vco_mhz)
    options = [(clock_hz * post1 * post2, post1, post2) for post1 in range(7, 0, -1) for post2 in range(post1, 0, -1)]
    for vco, post1, post2 in sorted(options, key=lambda option: -option[0]):
        if low <= vco <= high and vco % part.hsi_hz == 0 and 16 <= vco // part.hsi_hz <= 320:
            return vco // part.hsi_hz, post1, post2
    raise ClockPlanError(f"no PLL setting gives {clock_hz / MHZ:g} MHz")


def _plan_rp2040(board, part: Part, uart_bus: str) -> ClockPlan:
    """RP2040 datasheet 2.16 (XOSC), 2.18 (PLL_SYS), 2.15 (clock muxes), 4.2 (UART): XOSC 12 MHz -> PLL_SYS
    (REFDIV 1) -> clk_sys through the aux mux; clk_ref from XOSC; CLK_PERI = clk_sys, so UART0 divides it.
    The fall-back when the PLL does not lock is clk_sys on clk_ref, the XOSC's 12 MHz."""
    fbdiv, post1, post2 = _rp2040_pll(board.clock_hz, part)
    ibrd, fbrd = pl011_divisor(board.clock_hz)
    reset_ibrd, reset_fbrd = pl011_divisor(part.reset_hz)
    registers = {"XOSC_STARTUP": (part.hsi_hz // 1000 + 128) // 256,   # 1 ms in units of 256 XOSC cycles (2.16.3)
                 "PLL_SYS_CS": 1,                                         # REFDIV 1
                 "PLL_SYS_FBDIV_INT": fbdiv, "PLL_SYS_PRIM": post1 << 16 | post2 << 12,
                 "UART_IBRD": ibrd, "UART_FBRD": fbrd, "RESET_UART_IBRD": reset_ibrd, "RESET_UART_FBRD": reset_fbrd}
    pll = {"refdiv": 1, "fbdiv": fbdiv, "postdiv1": post1, "postdiv2": post2}
    return ClockPlan(board.part, part.family, "PLL_SYS from the 12 MHz crystal (XOSC)", board.clock_hz,
                     board.clock_hz, {"peri": board.clock_hz}, pll, 0, part.voltage, board.clock_hz,
                     ibrd << 6 | fbrd, part.reset_hz, reset_ibrd << 6 | reset_fbrd,
                     {**registers, "SYSCLK_HZ": board.clock_hz, "RESET_HZ": part.reset_hz})


def _rp2040_source(plan: ClockPlan) -> str:
    pll = plan.pll
    vco_mhz = PARTS["RP2040"].hsi_hz * pll["fbdiv"] // MHZ
    return (f"set by the firmware: {plan.source}, REFDIV={pll['refdiv']} FBDIV={pll['fbdiv']} (VCO {vco_mhz} MHz) "
            f"POSTDIV1={pll['postdiv1']} POSTDIV2={pll['postdiv2']}, CLK_PERI = clk_sys, {plan.voltage} "
            "(RP2040 datasheet)")
