"""Estimated cycles from the QEMU plugin's instruction classes (toolchain/qemu_plugin/insnclass.h):
Arm's published cycles per class, plus flash wait states. Data with its sources, never fitted to a
measurement; every figure it produces is an estimate and is labelled so.

Cortex-M4: Cortex-M4 Technical Reference Manual r0p1 (Arm DDI 0439B), table 3-1 "Cortex-M4 instruction
set summary" (cycles at zero wait states) and section 3.3.2 "Load/store timings"; FPU cycles from its
table 7-1. Choices where the table gives a range or a symbol:
  - P, the pipeline refill of a taken branch or a PC write, "1 to 3": taken as 2.
  - SDIV/UDIV "2 to 12" (early termination on the operands' sizes): taken as 7, the middle.
  - A load or store single right after a load single whose result it does not use as an address
    pipelines and costs 1 instead of 2 (3.3.2); nothing pipelines after a store. Neighbours are the
    instructions as executed: across the ends of QEMU's translated blocks that are not branches (its 1 KiB
    pages), so that code placement does not change the count.
  - A store single with an immediate offset (STR Rx,[Ry,#imm], any indexing) costs 1: "always one cycle",
    its data phase overlapping the next instruction (3.3.2; the write buffer taken as free, as for RAM); with a
    register offset 2 (table 3-1), or 1 right after a load.
  - IT costs 1 (it can fold into a preceding 16-bit instruction for 0: not credited); a conditional
    instruction whose condition fails in an IT block costs its class's cycles (the TRM: 1).
  - Not modelled: the extra cycle of an address that depends on the preceding ALU result, LDR
    [pc,#imm] fetch contention, interrupts.
Cortex-M7: Arm publishes no per-instruction cycle table for the Cortex-M7 (its TRM, DDI 0489F, describes
the dual-issue pipeline only). The model takes one cycle per instruction in every class (loads,
MACs and long multiplies included: the M7 issues each in one cycle) with NO dual-issue credit, so it
is an upper-bound-style estimate of the core's own cycles; branches are taken as predicted (no
refill), LDM/STM move one register per cycle (no 64-bit pairing credit), and divide and the FPU's
multi-cycle operations keep the M4's figures.
Flash (both cores): instruction fetches cost nothing extra (the ART accelerator or the L1 I-cache
hits in loops); a data read from flash (weights, literal pools) that opens a flash line not in the
part's data buffer costs the board's `flash_wait_states` (the part's reference-manual latency at
clock_hz). The data buffer is modelled as direct-mapped (FLASH_DATA_BUFFERS: the ART data cache on
STM32F4/L4, the L1 D-cache on STM32F7/H7, which are really set-associative), with the caches assumed
enabled."""

from __future__ import annotations

from dataclasses import dataclass

from .clocks import firmware_clock_hz
from .targets import Board

P = 2                  # pipeline refill, "1 to 3" in DDI 0439B
DIVIDE = 7             # SDIV/UDIV, "2 to 12" in DDI 0439B

SOURCES = {
    "cortex-m4": "Arm Cortex-M4 TRM r0p1 (DDI 0439B) table 3-1, section 3.3.2 and table 7-1; P = 2, divide = 7",
    "cortex-m7": "single-issue model, one cycle per instruction, no dual-issue credit (Arm publishes no "
                 "Cortex-M7 cycle table: DDI 0489F); divide and FPU from DDI 0439B",
}

# Cycles per instruction of each class (the names insnclass.h writes); flash_lines adds the wait states.
CYCLES = {
    "cortex-m4": {
        "alu": 1, "it": 1, "load": 2, "load_pipelined": 1, "store": 2, "store_pipelined": 1, "store_immediate": 1,
        "load_store_dual": 3, "multiple": 1, "multiple_regs": 1, "mul": 1, "mac": 1, "mul_long": 1,
        "mac_long": 1, "div": DIVIDE, "dsp": 1, "branch": 1 + P, "branch_cond": 1, "branch_taken": P,
        "pc_write": P, "table_branch": 2 + P, "fpu": 1, "fpu_mac": 3, "fpu_div": 14, "fpu_load_store": 2,
        "fpu_multiple": 1, "fpu_multiple_regs": 1, "barrier": 1, "other": 1,
    },
    "cortex-m7": {
        "alu": 1, "it": 1, "load": 1, "load_pipelined": 1, "store": 1, "store_pipelined": 1, "store_immediate": 1,
        "load_store_dual": 1, "multiple": 1, "multiple_regs": 1, "mul": 1, "mac": 1, "mul_long": 1,
        "mac_long": 1, "div": DIVIDE, "dsp": 1, "branch": 1, "branch_cond": 1, "branch_taken": 0,
        "pc_write": 0, "table_branch": 2, "fpu": 1, "fpu_mac": 3, "fpu_div": 14, "fpu_load_store": 1,
        "fpu_multiple": 1, "fpu_multiple_regs": 1, "barrier": 1, "other": 1,
    },
}
# The class counted from addresses, not from instructions: flash lines opened by data reads.
FLASH_LINES = "flash_lines"


@dataclass(frozen=True)
class FlashBuffer:
    line_bytes: int
    lines: int
    source: str


# By part-number prefix: what holds flash data between reads.
FLASH_DATA_BUFFERS = {
    "STM32F4": FlashBuffer(16, 8, "ART accelerator data cache, 8 lines of 128 bits (RM0390)"),
    "STM32L4": FlashBuffer(32, 8, "ART accelerator data cache, 8 lines of 4 x 64 bits (RM0432)"),
    "STM32F7": FlashBuffer(32, 128, "Cortex-M7 L1 D-cache, 4 KiB of 32-byte lines (RM0385)"),
    "STM32H7": FlashBuffer(32, 512, "Cortex-M7 L1 D-cache, 16 KiB of 32-byte lines (RM0433)"),
}
NO_BUFFER = FlashBuffer(16, 1, "no data buffer known for this part: one 128-bit line")


def flash_buffer(board: Board) -> FlashBuffer:
    return next((b for prefix, b in FLASH_DATA_BUFFERS.items() if board.part.startswith(prefix)), NO_BUFFER)


def estimates_cycles(board: Board) -> bool:
    return board.core in CYCLES


def estimated_cycles(classes: dict[str, float], board: Board) -> int:
    """Cycles for the class counts of one run (or layer) on the board's core at its wait states."""
    core = sum(classes.get(name, 0) * cycles for name, cycles in CYCLES[board.core].items())
    return round(core + classes.get(FLASH_LINES, 0) * board.flash_wait_states)


def mean_counts(runs: list[dict[str, int]]) -> dict[str, float]:
    """Class counts averaged over runs (inferences) that each counted the same classes."""
    return {name: sum(run[name] for run in runs) / len(runs) for name in runs[0]}


def cycle_model(board: Board) -> dict:
    """What report.json records beside the estimate: the tables' source and the flash assumptions."""
    buffer = flash_buffer(board)
    return {"source": SOURCES[board.core], "core": board.core, "flash_wait_states": board.flash_wait_states,
            "flash_data_buffer": {"line_bytes": buffer.line_bytes, "lines": buffer.lines, "source": buffer.source},
            "clock_hz": firmware_clock_hz(board), "kind": "estimate"}


def milliseconds(cycles: float, board: Board) -> float | None:
    """At the clock the firmware sets (its clock plan); None on a board whose firmware sets none."""
    clock_hz = firmware_clock_hz(board)
    return 1e3 * cycles / clock_hz if clock_hz else None
