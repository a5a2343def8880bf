/* Timing classes of Thumb-2 (ARMv7E-M) instructions, for tinyctl's cycle estimate. The classes follow
 * the rows of the Cortex-M4 TRM's cycle table (Arm DDI 0439B, table 3-1); the cycles per class are data
 * on the host side (toolchain/cycle_model.py), so this file only says what each instruction is. */
#ifndef TC_INSNCLASS_H
#define TC_INSNCLASS_H

#include <stddef.h>
#include <stdint.h>

/* X-macro: the names are written into the plugin's output, so the host reads them rather than
 * relying on the order. */
#define TC_CLASSES(X)                                                                                 \
    X(alu)             /* data processing, moves, shifts, extends, compares: 1 */                   \
    X(it)              /* IT */                                                                     \
    X(load)            /* LDR/LDRB/LDRH/LDRSB/LDRSH/LDREX, any addressing mode */                  \
    X(load_pipelined)  /* a load single right after a load single it does not depend on */         \
    X(store)           /* STR/STRB/STRH with a register offset */                                   \
    X(store_pipelined) /* such a store right after a load single */                                 \
    X(store_immediate) /* STR/STRB/STRH/STREX with an immediate offset (any indexing) */            \
    X(load_store_dual) /* LDRD/STRD */                                                              \
    X(multiple)        /* LDM/STM/PUSH/POP: the instructions ... */                                 \
    X(multiple_regs)   /* ... and the registers they move (N in the TRM's 1 + N) */                \
    X(mul)             /* MUL, SMULxy, SMULWy, SMUAD, SMUSD, SMMUL, USAD8: 32-bit result */        \
    X(mac)             /* MLA, MLS, SMLAxy, SMLAWy, SMLAD, SMLSD, SMMLA, USADA8 */                  \
    X(mul_long)        /* SMULL, UMULL */                                                           \
    X(mac_long)        /* SMLAL, UMLAL, UMAAL, SMLALxy, SMLALD, SMLSLD */                           \
    X(div)             /* SDIV, UDIV */                                                             \
    X(dsp)             /* saturating and SIMD: SSAT, USAT, QADD, SADD16, SEL, ... */                \
    X(branch)          /* B, BL, BX, BLX: always taken */                                           \
    X(branch_cond)     /* B<cond>, CBZ, CBNZ: executed (taken or not) */                            \
    X(branch_taken)    /* of those, taken (seen from the next block's address) */                  \
    X(pc_write)        /* POP {..pc}, LDM {..pc}, LDR pc, MOV pc, ADD pc: the refill they add */   \
    X(table_branch)    /* TBB, TBH */                                                               \
    X(fpu)             /* VADD, VSUB, VMUL, VMOV, VCVT, VCMP, VABS, VNEG, VMRS */                   \
    X(fpu_mac)         /* VMLA, VMLS, VNMLA, VNMLS, VFMA, VFMS, VFNMA, VFNMS */                     \
    X(fpu_div)         /* VDIV, VSQRT */                                                            \
    X(fpu_load_store)  /* VLDR, VSTR */                                                             \
    X(fpu_multiple)    /* VLDM, VSTM, VPUSH, VPOP: the instructions ... */                         \
    X(fpu_multiple_regs) /* ... and the words they move */                                          \
    X(barrier)         /* DMB, DSB, ISB */                                                          \
    X(other)           /* hints, SVC, BKPT, MSR, MRS, CPS, UDF */                                   \
    X(flash_lines)     /* data reads that open a new flash line (counted from addresses) */

#define TC_ENUM(name) TC_##name,
enum tc_class { TC_CLASSES(TC_ENUM) TC_CLASS_COUNT };
#undef TC_ENUM

extern const char *const tc_class_names[TC_CLASS_COUNT];

/* What one instruction is. */
struct tc_insn {
    int cls;          /* enum tc_class */
    int regs;         /* registers (or FP words) moved by a multiple load/store, else 0 */
    int writes_pc;    /* it also writes the PC (a pc_write on top of its class) */
    int load_dest;    /* a load single's destination register, else -1 */
    int base, index;  /* a load/store single's address registers, -1 where none */
    int is_load;      /* reads memory (the plugin watches its addresses for flash reads) */
    int it_pending;   /* instructions after this one that an IT still makes conditional */
};

/* The length of the instruction that starts at bytes (2 or 4), from its first halfword (DDI 0403E A5.1: bits
 * 15:11 of 0b11101, 0b11110 or 0b11111 start a 32-bit one). Not the size QEMU reports: for a 16-bit
 * instruction in a page's last halfword, QEMU reads the next halfword (to see whether the next instruction
 * crosses the page) and reports 4 bytes. */
size_t tc_insn_size(const uint8_t *bytes);

/* Classify the instruction at bytes (tc_insn_size of them, little-endian halfwords as in memory). */
void tc_classify(const uint8_t *bytes, struct tc_insn *out);

/* What `next`, executed right after `previous` (in one block, or across a block end that is no branch), takes
 * from it: a load single or a store with a register offset after a load single that does not produce its address
 * pipelines behind it (DDI 0439B 3.3.2) and becomes the _pipelined class (a store with an immediate offset takes one
 * cycle anyway); a branch inside an IT block is conditional (branch_cond). */
void tc_follow(const struct tc_insn *previous, struct tc_insn *next);

#endif
