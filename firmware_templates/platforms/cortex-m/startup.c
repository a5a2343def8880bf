/* Cortex-M startup shared by every family: vector table, reset handler and fault handler.
 * Only the 16 system exceptions are listed: the apps poll and enable no interrupt. */
#include <stdint.h>

#include "platform.h"
#include "cortex_m.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void);
static void fault_handler(void);
static void idle_handler(void);

__attribute__((section(".isr_vector"), used))
static void (*const vector_table[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler,
    idle_handler,   /* NMI */
    fault_handler,  /* HardFault */
    fault_handler,  /* MemManage */
    fault_handler,  /* BusFault */
    fault_handler,  /* UsageFault */
    0, 0, 0, 0,
    idle_handler,   /* SVCall */
    idle_handler,   /* DebugMonitor */
    0,
    idle_handler,   /* PendSV */
    idle_handler,   /* SysTick */
};

void Reset_Handler(void)
{
    static char args[128];
    const uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11, or the first float instruction faults (QEMU resets it to 0). */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
    cycles_init();
    uart_init();
    platform_exit(app_main(semihosting_args(args, sizeof args)));
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
