/* Thumb-2 (ARMv7E-M) decoder down to timing classes; see insnclass.h. Encodings from the ARMv7-M
 * Architecture Reference Manual (Arm DDI 0403E), chapter A5 "The Thumb Instruction Set Encoding". */
#include "insnclass.h"

#define TC_NAME(name) #name,
const char *const tc_class_names[TC_CLASS_COUNT] = { TC_CLASSES(TC_NAME) };
#undef TC_NAME

#define PC 15
#define SP 13

static unsigned bits(unsigned value, int high, int low)
{
    return (value >> low) & ((1u << (high - low + 1)) - 1);
}

static void single(struct tc_insn *out, int is_load, int rt, int rn, int rm)
{
    out->cls = is_load ? TC_load : rm < 0 ? TC_store_immediate : TC_store;
    out->is_load = is_load;
    out->load_dest = is_load ? rt : -1;
    out->base = rn;
    out->index = rm;
    out->writes_pc = is_load && rt == PC;
}

static void multiple(struct tc_insn *out, int is_load, unsigned list)
{
    out->cls = TC_multiple;
    out->regs = __builtin_popcount(list);
    out->is_load = is_load;
    out->writes_pc = is_load && (list & (1u << PC));
}

/* A5.2.4 special data processing and branch exchange (0100 01xx xxxx xxxx). */
static void special_data(unsigned hw, struct tc_insn *out)
{
    unsigned op = bits(hw, 9, 8), rd = bits(hw, 2, 0) | (bits(hw, 7, 7) << 3);
    if (op == 3) {
        out->cls = TC_branch;            /* BX, BLX (register) */
    } else if (op != 1 && rd == PC) {
        out->writes_pc = 1;              /* ADD pc / MOV pc */
    }
}

/* A5.2.5 miscellaneous 16-bit instructions (1011 xxxx xxxx xxxx). */
static void misc16(unsigned hw, struct tc_insn *out)
{
    if ((hw & 0xF500) == 0xB100) {
        out->cls = TC_branch_cond;                        /* CBZ, CBNZ */
    } else if ((hw & 0xFE00) == 0xB400) {
        multiple(out, 0, bits(hw, 7, 0) | (bits(hw, 8, 8) << 14));   /* PUSH {.., lr} */
    } else if ((hw & 0xFE00) == 0xBC00) {
        multiple(out, 1, bits(hw, 7, 0) | (bits(hw, 8, 8) << PC));   /* POP {.., pc} */
    } else if ((hw & 0xFF00) == 0xBF00) {
        out->cls = bits(hw, 3, 0) ? TC_it : TC_other;     /* IT, or a hint (NOP, WFI, ...) */
        out->it_pending = out->cls == TC_it ? 4 - __builtin_ctz(bits(hw, 3, 0)) : 0;  /* the mask's length */
    } else if ((hw & 0xFF00) == 0xBE00 || (hw & 0xFFE0) == 0xB660) {
        out->cls = TC_other;                              /* BKPT, CPS */
    }                                                     /* else ADD/SUB sp, extends, REV: ALU */
}

static void classify16(unsigned hw, struct tc_insn *out)
{
    unsigned top = bits(hw, 15, 10);
    if (top == 0x10 && bits(hw, 9, 6) == 0xD) {
        out->cls = TC_mul;                                /* MULS */
    } else if (top == 0x11) {
        special_data(hw, out);
    } else if (bits(hw, 15, 11) == 0x09) {
        single(out, 1, bits(hw, 10, 8), PC, -1);          /* LDR literal */
    } else if (bits(hw, 15, 12) == 0x5) {
        single(out, bits(hw, 11, 9) >= 3, bits(hw, 2, 0), bits(hw, 5, 3), bits(hw, 8, 6));
    } else if (bits(hw, 15, 13) == 0x3 || bits(hw, 15, 12) == 0x8) {
        single(out, bits(hw, 11, 11), bits(hw, 2, 0), bits(hw, 5, 3), -1);   /* imm5 word/byte/half */
    } else if (bits(hw, 15, 12) == 0x9) {
        single(out, bits(hw, 11, 11), bits(hw, 10, 8), SP, -1);              /* SP-relative */
    } else if (bits(hw, 15, 12) == 0xB) {
        misc16(hw, out);
    } else if (bits(hw, 15, 12) == 0xC) {
        multiple(out, bits(hw, 11, 11), bits(hw, 7, 0));                     /* LDM, STM */
    } else if (bits(hw, 15, 12) == 0xD) {
        out->cls = bits(hw, 11, 9) == 0x7 ? TC_other : TC_branch_cond;       /* UDF/SVC, B<cond> */
    } else if (bits(hw, 15, 11) == 0x1C) {
        out->cls = TC_branch;                                                /* B */
    }
}

/* A5.3.5 load/store multiple; A5.3.6 load/store dual, exclusive, table branch. */
static void multiple_or_dual(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    int is_load = bits(hw1, 4, 4);
    if (!bits(hw1, 6, 6)) {
        multiple(out, is_load, hw2);
    } else if (bits(hw1, 8, 8) || bits(hw1, 5, 5)) {
        out->cls = TC_load_store_dual;
        out->is_load = is_load;
    } else if ((hw1 & 0xFFF0) == 0xE8D0 && bits(hw2, 7, 5) == 0) {
        out->cls = TC_table_branch;
        out->is_load = 1;
    } else {
        single(out, is_load, bits(hw2, 15, 12), bits(hw1, 3, 0), -1);     /* LDREX*, STREX* */
    }
}

/* A6 floating-point: extension register load/store, data processing, transfers (coprocessor 10/11). */
static void floating_point(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    out->cls = TC_fpu;
    if (bits(hw2, 11, 9) != 0x5) {
        out->cls = TC_other;                              /* another coprocessor: none on these cores */
    } else if (bits(hw1, 11, 9) == 0x6 && bits(hw1, 8, 5) != 0x2) {   /* not a 64-bit VMOV */
        out->is_load = bits(hw1, 4, 4);
        if (bits(hw1, 9, 8) == 0x1 && !bits(hw1, 5, 5)) {
            out->cls = TC_fpu_load_store;                 /* VLDR, VSTR */
        } else {
            out->cls = TC_fpu_multiple;                   /* VLDM, VSTM, VPUSH, VPOP */
            out->regs = bits(hw2, 7, 0);                  /* words: imm8 counts them for both sizes */
        }
    } else if (bits(hw1, 11, 8) == 0xE && !bits(hw2, 4, 4)) {
        unsigned opc1 = bits(hw1, 7, 4) & 0xB, opc2 = bits(hw1, 3, 0), opc3 = bits(hw2, 7, 6);
        if (opc1 <= 1 || opc1 == 0x9 || opc1 == 0xA) {
            out->cls = TC_fpu_mac;
        } else if (opc1 == 0x8 || (opc1 == 0xB && opc2 == 0x1 && opc3 == 0x3)) {
            out->cls = TC_fpu_div;                        /* VDIV, VSQRT */
        }
    }
}

/* A5.3.4 branches and miscellaneous control (op1 = 10, hw2 bit 15 set). */
static void branch32(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    unsigned op1 = bits(hw2, 14, 12);
    if (op1 & 0x5) {
        out->cls = TC_branch;                             /* B.W (T4), BL */
    } else if (bits(hw1, 9, 7) != 0x7) {
        out->cls = TC_branch_cond;                        /* B<cond>.W (T3) */
    } else if ((hw1 & 0xFFF0) == 0xF3B0 && bits(hw2, 7, 6) == 0x1) {
        out->cls = TC_barrier;                            /* DSB, DMB, ISB */
    } else {
        out->cls = TC_other;                              /* MSR, MRS, hints, UDF */
    }
}

/* A5.3.12 data processing (register): SIMD and saturating forms are DSP, the rest ALU. */
static void data_register(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    int simd = bits(hw1, 7, 7) && bits(hw2, 7, 6) != 0x2;            /* parallel add/subtract */
    int saturating = bits(hw1, 7, 4) == 0x8 && bits(hw2, 7, 6) == 0x2; /* QADD, QSUB, QDADD, QDSUB */
    int select = bits(hw1, 7, 4) == 0xA && bits(hw2, 7, 4) == 0x8;     /* SEL */
    out->cls = simd || saturating || select ? TC_dsp : TC_alu;
}

/* A5.3.16 / A5.3.17 multiplies: hw1 bits 10:7 = 0110 (32-bit results; Ra = 1111 means no accumulate,
 * MLS and SMMLS always accumulate) or 0111 (long results and divide). */
static void multiply32(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    unsigned op1 = bits(hw1, 6, 4);
    if (bits(hw1, 10, 7) == 0x6) {
        int subtracts = (op1 == 0 && bits(hw2, 5, 4) == 1) || op1 == 6;
        out->cls = subtracts || bits(hw2, 15, 12) != PC ? TC_mac : TC_mul;
    } else if (bits(hw2, 7, 4) == 0xF && (op1 == 1 || op1 == 3)) {
        out->cls = TC_div;
    } else {
        out->cls = (op1 == 0 || op1 == 2) ? TC_mul_long : TC_mac_long;
    }
}

/* A5.3.7-A5.3.10 load/store single (op1 = 11, op2 = 00xxxxx). */
static void single32(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    int is_load = bits(hw1, 4, 4), rt = bits(hw2, 15, 12), rn = bits(hw1, 3, 0);
    int registered = !bits(hw1, 7, 7) && bits(hw2, 11, 6) == 0 && rn != PC;
    if (is_load && rt == PC && bits(hw1, 6, 5) != 0x2) {
        out->cls = TC_other;                              /* PLD, PLI: hints */
        return;
    }
    single(out, is_load, rt, rn, registered ? (int)bits(hw2, 3, 0) : -1);
}

static void classify32(unsigned hw1, unsigned hw2, struct tc_insn *out)
{
    unsigned op1 = bits(hw1, 12, 11), op2 = bits(hw1, 10, 4);
    if (op1 == 1) {
        if ((op2 & 0x64) == 0x00 || (op2 & 0x64) == 0x04) {
            multiple_or_dual(hw1, hw2, out);
        } else if (op2 & 0x40) {
            floating_point(hw1, hw2, out);
        }                                                 /* else data processing (shifted register) */
    } else if (op1 == 2) {
        if (bits(hw2, 15, 15)) {
            branch32(hw1, hw2, out);
        } else if (bits(hw1, 9, 9) && (bits(hw1, 8, 4) & 0x15) == 0x10) {
            out->cls = TC_dsp;                            /* SSAT, SSAT16, USAT, USAT16 */
        }                                                 /* else data processing (immediate) */
    } else if (op2 & 0x40) {
        floating_point(hw1, hw2, out);
    } else if ((op2 & 0x71) == 0x00 || (op2 & 0x67) == 0x01 || (op2 & 0x67) == 0x03 || (op2 & 0x67) == 0x05) {
        single32(hw1, hw2, out);
    } else if ((op2 & 0x70) == 0x20) {
        data_register(hw1, hw2, out);
    } else if ((op2 & 0x70) == 0x30) {
        multiply32(hw1, hw2, out);
    }
}

size_t tc_insn_size(const uint8_t *bytes)
{
    return (bytes[1] >> 3) >= 0x1D ? 4 : 2;
}

void tc_classify(const uint8_t *bytes, struct tc_insn *out)
{
    unsigned hw1 = bytes[0] | (bytes[1] << 8);
    *out = (struct tc_insn){ .cls = TC_alu, .load_dest = -1, .base = -1, .index = -1 };
    if (tc_insn_size(bytes) == 4) {
        classify32(hw1, bytes[2] | (bytes[3] << 8), out);
    } else {
        classify16(hw1, out);
    }
}

void tc_follow(const struct tc_insn *previous, struct tc_insn *next)
{
    int after_load = previous->cls == TC_load || previous->cls == TC_load_pipelined;
    int independent = previous->load_dest != next->base && previous->load_dest != next->index;
    if (previous->it_pending > 0 && next->cls != TC_it) {
        next->it_pending = previous->it_pending - 1;
        next->cls = next->cls == TC_branch ? TC_branch_cond : next->cls;   /* B.W, BX lr under IT */
    }
    if (!after_load || !independent || previous->writes_pc || next->writes_pc) {
        return;
    }
    if (next->cls == TC_load) {
        next->cls = TC_load_pipelined;
    } else if (next->cls == TC_store) {
        next->cls = TC_store_pipelined;
    }
}
