/* Cortex-M startup shared by every family: vector table, reset handler and fault handler.
 * Only the 16 system exceptions are listed: the apps poll and enable no interrupt. */
#include <stdint.h>
#include <string.h>

#include "platform.h"
#include "cortex_m.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

#define HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define DFSR (*(volatile uint32_t *)0xE000ED30u)
#define HFSR_DEBUGEVT (1u << 31)
#define HFSR_FORCED (1u << 30)
#define DFSR_BKPT (1u << 1)

void Reset_Handler(void);
void tc_hardfault_handler(uint32_t *frame);
static void hardfault_entry(void);
static void fault_handler(void);
static void idle_handler(void);

__attribute__((section(".isr_vector"), used))
static void (*const vector_table[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler,
    idle_handler,   /* NMI */
    hardfault_entry,  /* HardFault */
    fault_handler,  /* MemManage */
    fault_handler,  /* BusFault */
    fault_handler,  /* UsageFault */
    0, 0, 0, 0,
    idle_handler,   /* SVCall */
    hardfault_entry,  /* DebugMonitor: a BKPT, where the monitor is enabled */
    0,
    idle_handler,   /* PendSV */
    idle_handler,   /* SysTick */
};

void Reset_Handler(void)
{
    static char buffer[128];
    const uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    stack_paint();
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11, or the first float instruction faults (QEMU resets it to 0). */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
    const char *clock_failure = clock_init();
    cycles_init();
    uart_init();
    if (clock_failure) {   /* said once on the console: the latency is then at the reset clock */
        static const char prefix[] = "clock: ", suffix[] = "; running on the reset clock\r\n";
        platform_write(prefix, sizeof prefix - 1);
        platform_write(clock_failure, strlen(clock_failure));
        platform_write(suffix, sizeof suffix - 1);
    }
    /* No command line (no debugger, as on a board in the field): serve the host in runner mode. */
    const char *args = semihosting_args(buffer, sizeof buffer);
    platform_exit(app_main(args ? args : "runner"));
}

/* The exception frame's stack pointer into r0, then the C handler. */
#if TC_ARMV6M
/* Without IT blocks or TST #imm, and through a register: ARMv6-M's B reaches only 2 KiB. */
__attribute__((naked)) static void hardfault_entry(void)
{
    __asm volatile("movs r0, #4\n\t"
                   "mov r1, lr\n\t"
                   "tst r0, r1\n\t"
                   "bne 1f\n\t"
                   "mrs r0, msp\n\t"
                   "b 2f\n"
                   "1:\n\t"
                   "mrs r0, psp\n"
                   "2:\n\t"
                   "ldr r1, =tc_hardfault_handler\n\t"
                   "bx r1\n\t"
                   ".ltorg\n\t");
}
#else
__attribute__((naked)) static void hardfault_entry(void)
{
    __asm volatile("tst lr, #4\n\t"
                   "ite eq\n\t"
                   "mrseq r0, msp\n\t"
                   "mrsne r0, psp\n\t"
                   "b tc_hardfault_handler\n\t");
}
#endif

/* A semihosting BKPT with no debugger attached escalates to HardFault: step over it and make the
 * call fail (r0 = -1), so firmware built with semihosting also runs on a board on its own. */
void tc_hardfault_handler(uint32_t *frame)
{
    const uint16_t *pc = (const uint16_t *)frame[6];
    if (*pc == 0xBEABu) {  /* bkpt 0xab */
        frame[0] = (uint32_t)-1;
        frame[6] += 2;
#if !TC_ARMV6M  /* ARMv6-M has no HardFault status to clear */
        HFSR = HFSR_DEBUGEVT | HFSR_FORCED;  /* write-one-to-clear */
        DFSR = DFSR_BKPT;
#endif
        semihosting_absent();
        return;
    }
    fault_handler();
}

static void fault_handler(void)
{
    static const char message[] = "\r\nfatal: CPU fault (hard, memory, bus or usage)\r\n";
    platform_write(message, sizeof message - 1);
    platform_exit(3);
}

static void idle_handler(void)
{
}
