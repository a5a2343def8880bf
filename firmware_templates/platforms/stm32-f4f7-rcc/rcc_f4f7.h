/* The STM32F4/F7 clock set-up shared by both families' clock_init. */
#ifndef TINYCTL_RCC_F4F7_H
#define TINYCTL_RCC_F4F7_H

/* Sets clock_plan.h's clock; NULL when set, else what failed (the core then runs on HSI, prescalers /1). */
const char *rcc_f4f7_set_clock(void);

#endif /* TINYCTL_RCC_F4F7_H */
