/* tinyctl's QEMU TCG plugin: counts guest instructions exactly, by timing class (insnclass.c), and
 * snapshots the counts each time execution reaches one marker address (the firmware's tc_profile_mark),
 * so the host can split them per inference and per layer and turn them into a cycle estimate.
 *
 * Each translated block is classified once; executing it adds its class counts (one callback per
 * block). A conditional branch ends a block, so it was taken when the next block does not start at
 * its fall-through address. QEMU also ends blocks at its 1 KiB pages (and at its longest block), where the core
 * runs on: a block that starts at the previous one's fall-through address has its first instruction follow that
 * block's last (a load there pipelines behind a load before the boundary), so that the counts do not depend on
 * where the code lies. Loads also report their addresses, to count the flash lines that data reads open (weights
 * and literals live in flash): a direct-mapped buffer of `lines` lines of `line` bytes stands for the part's flash
 * accelerator or data cache.
 *
 * Debian's QEMU loads plugins but ships no qemu-plugin.h, so the few declarations of the plugin API
 * (version 1, QEMU 7.2) used here are written out below.
 *
 * Arguments: out=<file> (required), mark=<hex address>, flash=<base>:<size>:<line bytes>:<lines>.
 * Output file: "classes NAME..." then "insns <total> <count per class...>" then one
 * "mark <total> <count per class...>" line per marker hit, in order. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insnclass.h"

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
typedef struct {
    const char *target_name;
    int version;
    bool system_emulation;
} qemu_info_t;  /* a union follows in QEMU's definition; it is not read here */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
/* QEMU 7.2 calls a MEM_R registration for no access (seen with Debian's 7.2.22): only load
 * instructions get one, registered as MEM_RW. */
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_RW = 3 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, void (*cb)(unsigned int vcpu_index, void *userdata),
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            void (*cb)(unsigned int vcpu_index, void *userdata),
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      void (*cb)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                                 uint64_t vaddr, void *userdata),
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *),
                                    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_FLASH_LINES 4096

/* counts[0] is all instructions, counts[1 + class] each class. */
typedef uint64_t counts_t[1 + TC_CLASS_COUNT];

/* One translated block: what executing it adds, and how it ends. */
struct block {
    uint64_t start, fall_through;
    int ends_conditional;
    uint32_t adds[1 + TC_CLASS_COUNT];
    struct tc_insn first, last;   /* the first as classified alone (counted as first_class), the last as counted */
    int first_class;
};

static counts_t counts;
static const struct block *previous;
static uint64_t mark_address = UINT64_MAX;
static uint64_t flash_base, flash_end, line_bytes = 16, line_count = 1;
static uint64_t flash_lines[MAX_FLASH_LINES];   /* line number + 1 held in each slot; 0 = empty */
static uint64_t (*marks)[1 + TC_CLASS_COUNT];
static size_t mark_count, mark_capacity;
static FILE *out;

static void on_block(unsigned int vcpu_index, void *userdata)
{
    const struct block *block = userdata;
    (void)vcpu_index;
    if (previous != NULL && previous->ends_conditional && block->start != previous->fall_through) {
        counts[1 + TC_branch_taken]++;
    }
    for (int k = 0; k < 1 + TC_CLASS_COUNT; k++) {
        counts[k] += block->adds[k];
    }
    if (previous != NULL && block->start == previous->fall_through) {
        struct tc_insn first = block->first;
        tc_follow(&previous->last, &first);
        counts[1 + block->first_class]--;
        counts[1 + first.cls]++;
    }
    previous = block;
}

static void on_load(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata)
{
    (void)vcpu_index;
    (void)info;
    (void)userdata;
    if (vaddr >= flash_base && vaddr < flash_end) {
        uint64_t line = (vaddr - flash_base) / line_bytes;
        uint64_t *slot = &flash_lines[line % line_count];
        if (*slot != line + 1) {
            *slot = line + 1;
            counts[1 + TC_flash_lines]++;
        }
    }
}

static void on_mark(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (mark_count == mark_capacity) {
        size_t capacity = mark_capacity ? 2 * mark_capacity : 4096;
        void *grown = realloc(marks, capacity * sizeof *marks);
        if (grown == NULL) {
            return;  /* out of memory: the host sees fewer marks than expected and says so */
        }
        marks = grown;
        mark_capacity = capacity;
    }
    /* The block callback has already counted this whole block, the marker's first instruction included. */
    memcpy(marks[mark_count++], counts, sizeof counts);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct block *block = calloc(1, sizeof *block);   /* lives as long as QEMU may run the block */
    struct tc_insn insn, before = { .cls = TC_other, .load_dest = -1, .base = -1, .index = -1 };
    (void)id;
    if (block == NULL) {
        return;  /* out of memory: the counts come out short */
    }
    block->start = qemu_plugin_tb_vaddr(tb);
    block->adds[0] = n;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *handle = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *bytes = qemu_plugin_insn_data(handle);
        size_t size = tc_insn_size(bytes);
        tc_classify(bytes, &insn);
        if (i == 0) {
            block->first = insn;
        }
        tc_follow(&before, &insn);
        block->first_class = i == 0 ? insn.cls : block->first_class;
        block->adds[1 + insn.cls]++;
        block->adds[1 + TC_multiple_regs] += insn.cls == TC_multiple ? insn.regs : 0;
        block->adds[1 + TC_fpu_multiple_regs] += insn.cls == TC_fpu_multiple ? insn.regs : 0;
        block->adds[1 + TC_pc_write] += insn.writes_pc;
        block->ends_conditional = insn.cls == TC_branch_cond;
        block->fall_through = qemu_plugin_insn_vaddr(handle) + size;
        if (insn.is_load && flash_end > flash_base) {
            qemu_plugin_register_vcpu_mem_cb(handle, on_load, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
        }
        if (qemu_plugin_insn_vaddr(handle) == mark_address) {
            qemu_plugin_register_vcpu_insn_exec_cb(handle, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        before = insn;
    }
    block->last = before;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, block);
}

static void write_counts(const char *key, const uint64_t *values)
{
    fprintf(out, "%s", key);
    for (int k = 0; k < 1 + TC_CLASS_COUNT; k++) {
        fprintf(out, " %llu", (unsigned long long)values[k]);
    }
    fprintf(out, "\n");
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    fprintf(out, "classes");
    for (int k = 0; k < TC_CLASS_COUNT; k++) {
        fprintf(out, " %s", tc_class_names[k]);
    }
    fprintf(out, "\n");
    write_counts("insns", counts);
    for (size_t i = 0; i < mark_count; i++) {
        write_counts("mark", marks[i]);
    }
    fclose(out);
}

/* flash=<base>:<size>:<line bytes>:<lines>, all hexadecimal or decimal as strtoull reads them. */
static int parse_flash(const char *text)
{
    char *end;
    uint64_t size;
    flash_base = strtoull(text, &end, 0);
    size = *end == ':' ? strtoull(end + 1, &end, 0) : 0;
    line_bytes = *end == ':' ? strtoull(end + 1, &end, 0) : 0;
    line_count = *end == ':' ? strtoull(end + 1, &end, 0) : 0;
    flash_end = flash_base + size;
    return *end == '\0' && size > 0 && line_bytes > 0 && line_count > 0 && line_count <= MAX_FLASH_LINES;
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    const char *path = NULL;
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "mark=", 5) == 0) {
            mark_address = strtoull(argv[i] + 5, NULL, 16) & ~UINT64_C(1);  /* drop the Thumb bit */
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        } else if (strncmp(argv[i], "flash=", 6) == 0 && !parse_flash(argv[i] + 6)) {
            fprintf(stderr, "insncount: flash=<base>:<size>:<line bytes>:<lines (1-%d)>\n", MAX_FLASH_LINES);
            return -1;
        }
    }
    if (path == NULL || (out = fopen(path, "w")) == NULL) {
        fprintf(stderr, "insncount: needs out=<writable file>\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
