/* STM32 GPIO alternate-function muxing (the same MODER/AFR layout on F4, F7, H7 and L4). */
#ifndef TINYCTL_STM32_GPIO_H
#define TINYCTL_STM32_GPIO_H

#include <stdint.h>

#define GPIO_MODE_ALTERNATE 2u

/* Pin `pin` of the port at `port_base` to alternate function `af`. */
static inline void stm32_pin_alternate(uint32_t port_base, uint32_t pin, uint32_t af)
{
    volatile uint32_t *moder = (volatile uint32_t *)port_base;
    volatile uint32_t *afr = (volatile uint32_t *)(port_base + 0x20u) + pin / 8u;
    *afr = (*afr & ~(0xFu << (4u * (pin % 8u)))) | (af << (4u * (pin % 8u)));
    *moder = (*moder & ~(3u << (2u * pin))) | (GPIO_MODE_ALTERNATE << (2u * pin));
}

#endif /* TINYCTL_STM32_GPIO_H */
