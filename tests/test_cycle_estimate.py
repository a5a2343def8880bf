"""The cycle estimate: the plugin's Thumb-2 classifier on hand-assembled encodings (16- and 32-bit, one
per timing class), and a tiny firmware loop under QEMU whose cycles are worked out by hand from the
Cortex-M4 TRM table (Arm DDI 0439B, table 3-1)."""

import ctypes
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tinyctl.cycle_model import CYCLES, P, estimated_cycles, milliseconds
from tinyctl.clocks import firmware_clock_hz
from tinyctl.firmware import emulated_platform, layout, symbol_address
from tinyctl.qemu import PLUGIN_DIR, build_plugin, per_inference, run_firmware
from tinyctl.targets import resolve_board

M4 = CYCLES["cortex-m4"]
CLASS_NAMES = re.findall(r"^\s+X\((\w+)\)", (PLUGIN_DIR / "insnclass.h").read_text(), re.M)

# (assembly, [(class, registers moved, writes pc), one per instruction], cycles on the M4 by hand)
ENCODINGS = [
    ("adds r0, r1, r2", [("alu", 0, 0)], 1),
    ("add.w r0, r1, r2, lsl #2", [("alu", 0, 0)], 1),
    ("sxtb16 r0, r1", [("alu", 0, 0)], 1),
    ("bfi r0, r1, #2, #3", [("alu", 0, 0)], 1),
    ("mov pc, lr", [("alu", 0, 1)], 1 + P),
    ("it eq\naddeq r0, r0, #1", [("it", 0, 0), ("alu", 0, 0)], 2),
    ("ldr r0, [r1]", [("load", 0, 0)], 2),
    ("ldr.w r0, [r1, r2, lsl #2]", [("load", 0, 0)], 2),
    ("ldrb.w r3, [r4, #1]", [("load", 0, 0)], 2),
    ("ldr r0, [pc, #4]", [("load", 0, 0)], 2),
    ("ldrsh r0, [r1, r2]", [("load", 0, 0)], 2),
    ("ldr r0, [r1]\nldr r2, [r3]", [("load", 0, 0), ("load_pipelined", 0, 0)], 3),
    ("ldr r0, [r1]\nldr.w r2, [r3, #8]\nldrh r4, [r5]", [("load", 0, 0), ("load_pipelined", 0, 0),
                                                          ("load_pipelined", 0, 0)], 4),
    ("ldr r0, [r1]\nldr r2, [r0]", [("load", 0, 0), ("load", 0, 0)], 4),          # address depends on it
    ("ldr r0, [r1, r2]\nstr r0, [r3, #20]", [("load", 0, 0), ("store_immediate", 0, 0)], 3),
    ("ldr r0, [r1, r2]\nstr r0, [r3, r2]", [("load", 0, 0), ("store_pipelined", 0, 0)], 3),
    ("str r0, [r1, r2]\nldr r2, [r3]", [("store", 0, 0), ("load", 0, 0)], 4),     # nothing after a store
    ("strb.w r0, [r1, r2, lsl #1]", [("store", 0, 0)], 2),
    ("str r0, [r1]\nldr r2, [r3]", [("store_immediate", 0, 0), ("load", 0, 0)], 3),   # "always one cycle"
    ("str r0, [r1, #4]", [("store_immediate", 0, 0)], 1),
    ("strh.w r0, [r1, #2]", [("store_immediate", 0, 0)], 1),
    ("strb r0, [r1], #1", [("store_immediate", 0, 0)], 1),
    ("str r0, [sp, #8]", [("store_immediate", 0, 0)], 1),
    ("ldrd r0, r1, [r2]", [("load_store_dual", 0, 0)], 3),
    ("strd r0, r1, [r2, #8]", [("load_store_dual", 0, 0)], 3),
    ("ldrex r0, [r1]", [("load", 0, 0)], 2),
    ("push {r4-r7, lr}", [("multiple", 5, 0)], 6),
    ("pop {r4, pc}", [("multiple", 2, 1)], 3 + P),
    ("ldmia r0!, {r1-r3}", [("multiple", 3, 0)], 4),
    ("stmia.w r0!, {r1-r4, r8}", [("multiple", 5, 0)], 6),
    ("ldmia.w sp!, {r4-r11, pc}", [("multiple", 9, 1)], 10 + P),
    ("muls r0, r1, r0", [("mul", 0, 0)], 1),
    ("mul r0, r1, r2", [("mul", 0, 0)], 1),
    ("smulbb r0, r1, r2", [("mul", 0, 0)], 1),
    ("smuad r0, r1, r2", [("mul", 0, 0)], 1),
    ("mla r0, r1, r2, r3", [("mac", 0, 0)], 1),
    ("mls r0, r1, r2, r3", [("mac", 0, 0)], 1),
    ("smlabb r0, r1, r2, r3", [("mac", 0, 0)], 1),
    ("smlad r0, r1, r2, r3", [("mac", 0, 0)], 1),
    ("smull r0, r1, r2, r3", [("mul_long", 0, 0)], 1),
    ("umull r0, r1, r2, r3", [("mul_long", 0, 0)], 1),
    ("smlal r0, r1, r2, r3", [("mac_long", 0, 0)], 1),
    ("smlald r0, r1, r2, r3", [("mac_long", 0, 0)], 1),
    ("sdiv r0, r1, r2", [("div", 0, 0)], 7),
    ("udiv r0, r1, r2", [("div", 0, 0)], 7),
    ("ssat r0, #8, r1", [("dsp", 0, 0)], 1),
    ("usat r0, #8, r1", [("dsp", 0, 0)], 1),
    ("qadd r0, r1, r2", [("dsp", 0, 0)], 1),
    ("sadd16 r0, r1, r2", [("dsp", 0, 0)], 1),
    ("sel r0, r1, r2", [("dsp", 0, 0)], 1),
    ("b.n 1f\n1:", [("branch", 0, 0)], 1 + P),
    ("b.w 1f\n1:", [("branch", 0, 0)], 1 + P),
    ("bl 1f\n1:", [("branch", 0, 0)], 1 + P),
    ("bx lr", [("branch", 0, 0)], 1 + P),
    ("blx r3", [("branch", 0, 0)], 1 + P),
    ("it lt\nblt.w 1f\n1:", [("it", 0, 0), ("branch_cond", 0, 0)], 2),   # B.W made conditional by IT
    ("itt eq\naddeq r0, #1\nbxeq lr", [("it", 0, 0), ("alu", 0, 0), ("branch_cond", 0, 0)], 3),
    ("it eq\naddeq r0, #1\nbx lr", [("it", 0, 0), ("alu", 0, 0), ("branch", 0, 0)], 2 + 1 + P),  # after the block
    ("beq.n 1f\n1:", [("branch_cond", 0, 0)], 1),                  # not taken; taken adds P (QEMU test)
    ("bne.w 1f\n1:", [("branch_cond", 0, 0)], 1),
    ("cbz r0, 1f\nnop\n1:", [("branch_cond", 0, 0), ("other", 0, 0)], 2),
    ("tbb [pc, r0]", [("table_branch", 0, 0)], 2 + P),
    ("vadd.f32 s0, s1, s2", [("fpu", 0, 0)], 1),
    ("vmov r0, s0", [("fpu", 0, 0)], 1),
    ("vcvt.s32.f32 s0, s0", [("fpu", 0, 0)], 1),
    ("vmla.f32 s0, s1, s2", [("fpu_mac", 0, 0)], 3),
    ("vfma.f32 s0, s1, s2", [("fpu_mac", 0, 0)], 3),
    ("vdiv.f32 s0, s1, s2", [("fpu_div", 0, 0)], 14),
    ("vsqrt.f32 s0, s1", [("fpu_div", 0, 0)], 14),
    ("vldr s0, [r0, #4]", [("fpu_load_store", 0, 0)], 2),
    ("vpush {s16-s19}", [("fpu_multiple", 4, 0)], 5),
    ("dmb", [("barrier", 0, 0)], 1),
    ("nop", [("other", 0, 0)], 1),
    ("svc 0", [("other", 0, 0)], 1),
    ("bkpt 0", [("other", 0, 0)], 1),
]


class Insn(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in ("cls", "regs", "writes_pc", "load_dest", "base", "index",
                                                   "is_load", "it_pending")]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """The plugin's classifier alone, as a host shared library."""
    library = tmp_path_factory.mktemp("classifier") / "libinsnclass.so"
    subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", str(PLUGIN_DIR / "insnclass.c"), "-o",
                    str(library)], check=True)
    lib = ctypes.CDLL(str(library))
    lib.tc_classify.argtypes = [ctypes.c_char_p, ctypes.POINTER(Insn)]
    lib.tc_insn_size.argtypes, lib.tc_insn_size.restype = [ctypes.c_char_p], ctypes.c_size_t
    lib.tc_follow.argtypes = [ctypes.POINTER(Insn), ctypes.POINTER(Insn)]
    return lib


def _assemble(tmp_path, source: str) -> bytes:
    (tmp_path / "a.s").write_text(".syntax unified\n.thumb\n" + source + "\n")
    subprocess.run(["arm-none-eabi-as", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
                    "-o", str(tmp_path / "a.o"), str(tmp_path / "a.s")], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(tmp_path / "a.o"),
                    str(tmp_path / "a.bin")], check=True)
    return (tmp_path / "a.bin").read_bytes()


def _classify(lib, code: bytes) -> list[Insn]:
    """Walk code as the plugin does within one block: classify, then take the previous one's context."""
    insns, offset, before = [], 0, None
    while offset < len(code):
        size = 4 if (code[offset + 1] >> 3) in (0x1D, 0x1E, 0x1F) else 2
        assert lib.tc_insn_size(code[offset:offset + 4]) == size
        insn = Insn()
        lib.tc_classify(code[offset:offset + 4], ctypes.byref(insn))
        if before is not None:
            lib.tc_follow(ctypes.byref(before), ctypes.byref(insn))
        insns.append(insn)
        before, offset = insn, offset + size
    return insns


def _m4_cycles(insn: Insn) -> int:
    name = CLASS_NAMES[insn.cls]
    per_register = M4.get(f"{name}_regs", 0)
    return M4[name] + insn.regs * per_register + insn.writes_pc * M4["pc_write"]


@pytest.mark.parametrize("source,expected,cycles", ENCODINGS, ids=[e[0].replace("\n", "; ") for e in ENCODINGS])
def test_classifier_on_assembled_encodings(classifier, tmp_path, source, expected, cycles):
    insns = _classify(classifier, _assemble(tmp_path, source))
    assert [(CLASS_NAMES[i.cls], i.regs, i.writes_pc) for i in insns] == expected
    assert sum(_m4_cycles(i) for i in insns) == cycles


def test_a_16_bit_instruction_is_classified_alone_whatever_follows_it(classifier, tmp_path):
    """The bytes QEMU hands over for a 16-bit instruction in a page's last halfword include the next
    halfword (4 bytes): the classifier must take the length from the first halfword, not a 32-bit LDM.W
    whose register list is the next instruction's first halfword (9 registers and the PC for this pair)."""
    code = _assemble(tmp_path, "ldmia r0!, {r1, r2, r3, r4, r5}\nsmlad r1, r2, r3, r1")
    assert classifier.tc_insn_size(code[:4]) == 2
    insn = Insn()
    classifier.tc_classify(code[:4], ctypes.byref(insn))
    assert (CLASS_NAMES[insn.cls], insn.regs, insn.writes_pc) == ("multiple", 5, 0)


# What every hand-written test program starts with: its vector table (stack top, reset) and the reset entry.
VECTORS = """.syntax unified
.thumb
.text
.word 0x20001000
.word reset
.global reset
.thumb_func
reset:
"""


def _run_between_marks(tmp_path, board, source: str):
    """Assemble VECTORS then `source` (the reset handler's body) at the flash address QEMU's stand-in for `board`
    runs, run it with the plugin, and return (the ELF, the classes counted between its two calls of `mark`)."""
    (tmp_path / "code.s").write_text(VECTORS + source)
    elf = tmp_path / "code.elf"
    subprocess.run(["arm-none-eabi-as", "-mcpu=cortex-m4", "-o", str(tmp_path / "code.o"), str(tmp_path / "code.s")],
                   check=True)
    flash_base = layout(board, emulated_platform(board)).flash_base
    subprocess.run(["arm-none-eabi-ld", f"-Ttext={flash_base:#x}", "-e", "reset", "-o", str(elf),
                    str(tmp_path / "code.o")], check=True)
    run = run_firmware(board, elf, [], mark_address=symbol_address(elf, "mark"))
    assert run.exit_code == 0
    [[layer]] = per_inference(run.class_marks, 1)
    return elf, layer


# The end of a test program from its second mark: the semihosting exit, and the mark function itself.
MARK_AND_EXIT = """
    bl mark
    movs r0, #0x18                  @ semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
    movw r1, #0x26
    movt r1, #2
    bkpt 0xab
.thumb_func
mark:
    bx lr
"""

PAGE_END = """
    movw r0, #0
    movt r0, #0x2000
    bl mark
    b page_end
.org 0x3fc
page_end:
    ldmia r0!, {r1, r2, r3, r4, r5} @ 16 bits in the last halfword of QEMU's first 1 KiB page
    smlad r1, r2, r3, r1            @ 32 bits across the page boundary
""" + MARK_AND_EXIT


def test_an_instruction_before_a_page_boundary_counts_as_itself(tmp_path):
    """In QEMU, the 16-bit LDM before a 32-bit instruction that crosses a page comes with 4 bytes; the plugin
    counts it as the LDM of 5 registers it is (it counted an LDM.W of 9 registers and the PC, +6 cycles, wherever
    code placement put such a pair at a page's end: +55 k estimated cycles in one MobileNet layer)."""
    elf, layer = _run_between_marks(tmp_path, resolve_board("nucleo-l4r5zi"), PAGE_END)
    assert symbol_address(elf, "page_end") % 1024 == 0x3fc
    assert layer["multiple"] == 1 and layer["multiple_regs"] == 5 and layer["pc_write"] == 0


LOADS_ACROSS_A_PAGE = """
    movw r0, #0
    movt r0, #0x2000
    bl mark
    b loads
.org 0x3fc
loads:
    ldr r1, [r0]                @ 2: the run's first load
    ldr r2, [r0, #4]            @ 1: pipelined
    ldr r3, [r0, #8]            @ 1: pipelined, though QEMU's next 1 KiB page starts a new translated block here
    ldr r4, [r0, #12]           @ 1: pipelined
    smlad r1, r2, r3, r1
    ldr r5, [r0, #16]           @ 2: after a multiply, a new run
""" + MARK_AND_EXIT


def test_a_load_after_a_page_boundary_pipelines_behind_the_load_before_it(tmp_path):
    """QEMU ends a translated block at each 1 KiB page; the core does not: a run of loads across one pipelines as
    anywhere else (the plugin counted the new block's first load unpipelined: +6 k estimated cycles in MobileNet's
    first layer wherever code placement put a page boundary inside its window expansion's loads)."""
    elf, layer = _run_between_marks(tmp_path, resolve_board("nucleo-l4r5zi"), LOADS_ACROSS_A_PAGE)
    assert symbol_address(elf, "loads") % 1024 == 0x3fc
    assert layer["load"] == 2 and layer["load_pipelined"] == 3


LOOP = """
    bl mark
    ldr r2, data            @ a literal from flash: load 2, and a flash line: + wait states
    movs r0, #4             @ 1
loop:
    ldr r1, [r2]            @ 2
    ldr r3, [r2, #4]        @ 1: pipelined behind the first load
    smlad r4, r1, r3, r4    @ 1
    str r4, [r2, #8]        @ 1: an immediate offset ("always one cycle", DDI 0439B 3.3.2)
    subs r0, #1             @ 1
    bne loop                @ 1, + P when taken (3 of the 4 times)
    bl mark                 @ 1 + P
    movs r0, #0x18          @ semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
    ldr r1, =0x20026
    bkpt 0xab
.thumb_func
mark:
    bx lr                   @ 1 + P
.align 2
data:
    .word 0x20000000
.ltorg
"""


@pytest.mark.parametrize("board_name", ["nucleo-f446re", "nucleo-l4r5zi"])   # its own part's addresses; a stand-in's
def test_tiny_loop_matches_the_hand_count(tmp_path, board_name):
    board = resolve_board(board_name)
    _, layer = _run_between_marks(tmp_path, board, LOOP)
    assert layer["instructions"] == 2 + 6 * 4 + 1 + 1
    assert layer["branch_taken"] == 3 and layer["branch_cond"] == 4 and layer["flash_lines"] == 1
    hand = 2 + 1 + 4 * (2 + 1 + 1 + 1 + 1 + 1) + 3 * P + (1 + P) + (1 + P) + board.flash_wait_states
    assert hand == 48
    assert estimated_cycles(layer, board) == hand
    assert milliseconds(hand, board) == pytest.approx(1e3 * hand / firmware_clock_hz(board))


def test_the_plugin_builds_when_several_runs_need_it_at_once(tmp_path):
    """Without `make setup`, the first QEMU runs build the plugin themselves, in parallel in the benchmark and
    the kernel harness: each builder compiles into its own partial file, so none renames another's away."""
    target = tmp_path / "tools" / "libtinyctl_insncount.so"
    with ThreadPoolExecutor(6) as pool:
        built = list(pool.map(lambda _: build_plugin(target), range(6)))
    assert built == [target] * 6 and target.stat().st_size > 0
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]   # no partial left behind
