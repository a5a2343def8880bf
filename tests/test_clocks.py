"""Clock plans against values worked out by hand from the reference manuals, and the rule that every
millisecond figure uses the clock the firmware sets."""

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from tinyctl.clocks import ClockPlanError, clock_header, clock_plan, clock_source, firmware_clock_hz, pl011_divisor
from tinyctl.errors import TinyctlError
from tinyctl.targets import all_boards, load_board, resolve_board

MHZ = 1_000_000
TOOLCHAIN = Path(__file__).resolve().parents[1] / "toolchain"

# Worked by hand from each RM (HSI source; VCO input 2 MHz on F4/F7, 16 MHz on H7, 8 MHz on L4+):
# board: (M, N, P, Q, R), wait states, buses in MHz, BRR (at the console's bus clock), BRR at the reset clock.
HAND = {
    # RM0390: 16/8 = 2 MHz x 180 = 360 MHz VCO / P2 = 180; Q8 = 45 MHz <= 48; 180 MHz > 150 -> 5 WS;
    # APB1 /4 = 45, APB2 /2 = 90; USART2 at 45 MHz: 45e6 / 115200 = 390.6 -> 391 (0x187).
    "nucleo-f446re": ((8, 180, 2, 8, 2), 5, {"apb1": 45, "apb2": 90}, 391, 139),
    # RM0368: VCO 192-432 MHz, so P4: 2 MHz x 168 = 336 / 4 = 84; Q7 = 48; 84 MHz -> 2 WS; APB1 /2 = 42.
    "nucleo-f401re": ((8, 168, 4, 7, 2), 2, {"apb1": 42, "apb2": 84}, 365, 139),
    # RM0383: VCO from 100 MHz: 2 x 100 = 200 / 2 = 100; Q5 = 40; 90 < 100 MHz -> 3 WS; APB1 /2 = 50.
    "nucleo-f411re": ((8, 100, 2, 5, 2), 3, {"apb1": 50, "apb2": 100}, 434, 139),
    # RM0385: 2 x 216 = 432 / 2 = 216; Q9 = 48; 210 < 216 -> 7 WS; APB1 /4 = 54, APB2 /2 = 108;
    # USART1 at 108 MHz: 937.5 -> 938.
    "disco-f746ng": ((8, 216, 2, 9, 2), 7, {"apb1": 54, "apb2": 108}, 938, 139),
    # RM0433: 64/4 = 16 MHz x 50 = 800 MHz VCO / P2 = 400; AXI 200 MHz at VOS1 -> 2 WS; APBs 100 MHz;
    # USART3 at 100 MHz: 868.06 -> 868; reset HSI 64 MHz: 555.6 -> 556.
    "nucleo-h743zi": ((4, 50, 2, 4, 2), 2, {"apb": 100}, 868, 556),
    # RM0432: 16/2 = 8 MHz x 30 = 240 MHz VCO / R2 = 120; boost, 100 < 120 -> 5 WS; LPUART1 at 120 MHz:
    # 256 x 120e6 / 115200 = 266666.7 -> 266667; reset MSI 4 MHz: 8888.9 -> 8889.
    "nucleo-l4r5zi": ((2, 30, 7, 2, 2), 5, {"apb1": 120, "apb2": 120}, 266667, 8889),
    # RM0456: HSI16 / M1 = 16 MHz (PLL1 input 4-16 MHz) x 20 = 320 MHz VCO (128-544) / R2 = 160; range 1,
    # 128 < 160 MHz -> 4 WS; every APB /1 (160 MHz each); USART1 at PCLK2 160 MHz: 1388.9 -> 1389;
    # reset MSIS 4 MHz: 34.7 -> 35. P and Q stay at their reset dividers (2), disabled.
    "nucleo-u575zi": ((1, 20, 2, 2, 2), 4, {"apb1": 160, "apb2": 160, "apb3": 160}, 1389, 35),
    # RM0444 (RCC PLL; flash read access latency): HSI16 / M1 = 16 MHz (in 2.66-16) x N8 = 128 MHz VCO (in
    # 64-344) / R2 = 64 MHz (at most 64); range 1, 48 < 64 MHz -> 2 WS; APB /1 = 64 MHz; USART2 oversampling
    # by 16, BRR = USARTDIV = 64e6 / 115200 = 555.6 -> 556; reset HSI16: 138.9 -> 139.
    "nucleo-g0b1re": ((1, 8, 2, 2, 2), 2, {"apb": 64}, 556, 139),
}

# Register values by hand: F446 RCC_PLLCFGR = M | N << 6 | P(00) << 16 | Q << 24 | R << 28;
# RCC_CFGR PPRE1 /4 (101) << 10 | PPRE2 /2 (100) << 13; FLASH_ACR = 5 WS | PRFTEN | ICEN | DCEN.
REGISTERS = {
    "nucleo-f446re": {"RCC_PLLCFGR": 0x28002D08, "RCC_CFGR_PRESCALERS": 0x9400, "FLASH_ACR": 0x705,
                      "PWR_VOS": 0b11, "OVERDRIVE": 1},
    "nucleo-f401re": {"RCC_PLLCFGR": 0x27012A08, "RCC_CFGR_PRESCALERS": 0x1000, "FLASH_ACR": 0x702,
                      "PWR_VOS": 0b10, "OVERDRIVE": 0},
    "disco-f746ng": {"RCC_PLLCFGR": 0x29003608, "FLASH_ACR": 0x307, "OVERDRIVE": 1},   # ARTEN, PRFTEN
    # PLL1DIVR = (N-1) | (P-1) << 9 | (Q-1) << 16 | (R-1) << 24; D1CFGR = HPRE /2 (1000) | D1PPRE /2 << 4;
    # FLASH_ACR = LATENCY 2 | WRHIGHFREQ 2 << 4 (RM0433 Table 17, VOS1, 185-210 MHz).
    "nucleo-h743zi": {"RCC_PLLCKSELR": 0x40, "RCC_PLLCFGR": 0x1000C, "RCC_PLL1DIVR": 0x01030231,
                      "RCC_D1CFGR": 0x48, "RCC_D2CFGR": 0x440, "RCC_D3CFGR": 0x40, "FLASH_ACR": 0x22,
                      "PWR_D3CR_VOS": 0b11},
    # PLLCFGR = PLLSRC HSI16 (10) | (M-1) << 4 | N << 8 | PLLREN << 24 | R2 (00) << 25.
    "nucleo-l4r5zi": {"RCC_PLLCFGR": 0x01001E12, "RCC_CFGR_PRESCALERS": 0, "FLASH_ACR": 0x705, "BOOST": 1},
    # PLL1CFGR = PLL1SRC HSI16 (10) | PLL1RGE 8-16 MHz (11) << 2 | (M-1) << 8 | PLL1MBOOST /1 (0000) << 12
    # (the booster's input HSI16 = 16 MHz, at most 16) | PLL1REN << 18; PLL1DIVR = (N-1) | (P-1) << 9 |
    # (Q-1) << 16 | (R-1) << 24; FLASH_ACR = 4 WS | PRFTEN; VOS range 1 (11), booster above 55 MHz.
    "nucleo-u575zi": {"RCC_PLL1CFGR": 0x0004000E, "RCC_PLL1DIVR": 0x01010213, "RCC_CFGR2_PRESCALERS": 0,
                      "RCC_CFGR3_PRESCALERS": 0, "FLASH_ACR": 0x104, "PWR_VOS": 0b11, "BOOST": 1},
    # RM0444 RCC_PLLCFGR = PLLSRC HSI16 (10) | (M-1) << 4 | N << 8 | (P-1) << 17 | (Q-1) << 25 | PLLREN << 28
    # | (R-1) << 29 = 0x2 | 0x800 | 0x20000 | 0x2000000 | 0x10000000 | 0x20000000; FLASH_ACR = 2 WS | PRFTEN | ICEN.
    "nucleo-g0b1re": {"RCC_PLLCFGR": 0x32020802, "RCC_CFGR_PRESCALERS": 0, "FLASH_ACR": 0x302, "PWR_VOS": 0b01},
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_clock_plan_matches_the_reference_manual(name):
    board = resolve_board(name)
    plan = clock_plan(board)
    (m, n, p, q, r), waits, buses, brr, reset_brr = HAND[name]
    assert plan.pll == {"m": m, "n": n, "p": p, "q": q, "r": r}
    assert plan.flash_wait_states == waits
    assert plan.bus_hz == {bus: mhz * MHZ for bus, mhz in buses.items()}
    assert (plan.uart_brr, plan.reset_uart_brr) == (brr, reset_brr)
    assert plan.sysclk_hz == board.clock_hz
    for register, value in REGISTERS.get(name, {}).items():
        assert plan.registers[register] == value, register


def test_the_u5_booster_runs_only_above_55_mhz():
    """RM0456: the EPOD booster above 55 MHz; at 48 MHz R rises to 4 to keep the VCO at 192 MHz (from 128),
    and 32 < 48 <= 64 MHz in range 1 is 1 wait state."""
    board = dataclasses.replace(resolve_board("nucleo-u575zi"), clock_hz=48_000_000)
    plan = clock_plan(board)
    assert plan.pll == {"m": 1, "n": 12, "p": 2, "q": 2, "r": 4} and plan.flash_wait_states == 1
    assert (plan.registers["BOOST"], plan.voltage) == (0, "range 1")
    assert clock_source(board).startswith("set by the firmware: PLL1 from HSI16, M=1 N=12 R=4, 1 flash wait states")


def test_every_stm32_board_has_a_plan_at_its_clock():
    """A board whose platform is an STM32 family (or the RP2040) gets a plan, and its clock_hz is the plan's clock."""
    for board in all_boards():
        plan = clock_plan(board)
        assert (plan is not None) == (board.platform.startswith("stm32") or board.platform == "rp2040"), board.name
        if plan:
            assert plan.sysclk_hz == board.clock_hz == firmware_clock_hz(board)
            assert clock_source(board).startswith("set by the firmware")
    assert firmware_clock_hz(resolve_board("host")) is None


def test_flash_wait_states_agree_with_the_board_file():
    """cycles16's board field `flash_wait_states` (the RM's table at clock_hz) must equal the plan's;
    boards without the field are checked against the plan alone (above)."""
    for board in all_boards():
        stated = tomllib.loads(board.source.read_text()).get("flash_wait_states")
        if stated is not None and clock_plan(board):
            assert stated == clock_plan(board).flash_wait_states, board.name


def test_header_carries_every_register_value():
    plan = clock_plan(resolve_board("stm32"))
    header = clock_header(plan)
    for name, value in plan.registers.items():
        assert f"#define TC_CLOCK_{name} {value:#010x}u" in header
    assert "#define TC_CLOCK_SYSCLK_HZ 0x0aba9500u" in header   # 180 000 000


def test_a_clock_above_the_parts_is_refused_at_load(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text(resolve_board("nucleo-f401re").source.read_text().replace("84_000_000", "100_000_000"))
    with pytest.raises(TinyctlError, match="clock_hz = 100000000 is not valid") as err:
        load_board(path)
    assert "at most 84 MHz (RM0368)" in err.value.hint


def test_a_console_uart_the_driver_lacks_is_refused_at_load(tmp_path):
    path = tmp_path / "uart.toml"
    path.write_text(resolve_board("nucleo-h743zi").source.read_text().replace("uart = 3 ", "uart = 1 "))
    with pytest.raises(TinyctlError, match="console.uart = 1 is not valid"):
        load_board(path)


def test_a_clock_no_pll_setting_gives_is_a_plan_error():
    odd = dataclasses.replace(resolve_board("stm32"), clock_hz=179_999_999)   # loads: below the part's maximum
    with pytest.raises(ClockPlanError, match="no PLL setting"):
        clock_plan(odd)


# Every expression in toolchain/ that turns counts into time divides by a clock: only the plan's
# (firmware_clock_hz) may be that clock. A board's clock_hz divides only in clocks.py, or in the report
# template on a line guarded by the board's clock_set_by_firmware.
_DIVIDES_BY_BOARD_CLOCK = re.compile(r"/\s*\(?\s*[\w.]*board\.clock_hz\b")


def test_no_millisecond_figure_uses_a_clock_the_firmware_does_not_set():
    offenders = []
    for path in TOOLCHAIN.rglob("*"):
        if path.suffix not in (".py", ".j2") or path.name == "clocks.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _DIVIDES_BY_BOARD_CLOCK.search(line) and "clock_set_by_firmware" not in line:
                offenders.append(f"{path.relative_to(TOOLCHAIN)}:{number}: {line.strip()}")
    assert offenders == []


def test_rp2040_plan_matches_the_datasheet():
    """RP2040 datasheet 2.18.2: 12 MHz / REFDIV 1 x FBDIV 133 = VCO 1596 MHz (750-1600), / 6 / 2 = 133 MHz;
    2.16.3: STARTUP = (12 000 000 / 1000 + 128) / 256 = 47 (1 ms in 256-cycle units); 4.2.7.1: UART0 at
    CLK_PERI = 133 MHz: 133e6 / (16 x 115200) = 72.157, .157 x 64 = 10.05 -> IBRD 72, FBRD 10; at the
    crystal's 12 MHz (the PLL fall-back): 6.510 -> IBRD 6, .510 x 64 = 32.7 -> FBRD 33."""
    pico = resolve_board("pico")
    plan = clock_plan(pico)
    assert plan.pll == {"refdiv": 1, "fbdiv": 133, "postdiv1": 6, "postdiv2": 2}
    assert plan.sysclk_hz == firmware_clock_hz(pico) == 133 * MHZ and plan.uart_clock_hz == 133 * MHZ
    assert {name: plan.registers[name] for name in ("XOSC_STARTUP", "PLL_SYS_CS", "PLL_SYS_FBDIV_INT", "PLL_SYS_PRIM",
                                                    "UART_IBRD", "UART_FBRD", "RESET_UART_IBRD", "RESET_UART_FBRD")} \
        == {"XOSC_STARTUP": 47, "PLL_SYS_CS": 1, "PLL_SYS_FBDIV_INT": 133, "PLL_SYS_PRIM": 0x62000,
            "UART_IBRD": 72, "UART_FBRD": 10, "RESET_UART_IBRD": 6, "RESET_UART_FBRD": 33}
    assert "FBDIV=133 (VCO 1596 MHz) POSTDIV1=6 POSTDIV2=2" in clock_source(pico)
    sdk_default = clock_plan(dataclasses.replace(pico, clock_hz=125 * MHZ))   # 1500 MHz / 6 / 2, the SDK's choice
    assert sdk_default.pll == {"refdiv": 1, "fbdiv": 125, "postdiv1": 6, "postdiv2": 2}
    # 48 MHz: the VCO limit allows POSTDIV1 x POSTDIV2 <= 1600 / 48 = 33; with each 1-7 the largest product
    # is 30 (6 x 5): VCO 1440 MHz, FBDIV 120.
    assert clock_plan(dataclasses.replace(pico, clock_hz=48 * MHZ)).pll == {"refdiv": 1, "fbdiv": 120, "postdiv1": 6,
                                                                              "postdiv2": 5}


def test_pl011_divisor_rounds_to_the_nearest_sixty_fourth():
    assert pl011_divisor(133 * MHZ) == (72, 10)
    assert pl011_divisor(125 * MHZ) == (67, 52)   # 67.817: .817 x 64 = 52.3
    assert pl011_divisor(12 * MHZ) == (6, 33)


def test_an_rp2040_clock_the_pll_cannot_make_or_above_133_mhz_is_refused(tmp_path):
    with pytest.raises(ClockPlanError, match="no PLL setting"):
        clock_plan(dataclasses.replace(resolve_board("pico"), clock_hz=133 * MHZ - 1))
    path = tmp_path / "fast-pico.toml"
    path.write_text(resolve_board("pico").source.read_text().replace("clock_hz = 133_000_000", "clock_hz = 150_000_000"))
    with pytest.raises(TinyctlError, match="clock_hz = 150000000 is not valid") as err:
        load_board(path)
    assert "at most 133 MHz (RP2040 datasheet)" in err.value.hint
