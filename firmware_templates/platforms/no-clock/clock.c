/* The QEMU stand-in platforms (mps2, mps2-an505, mps3-an547, nrf51) set no clock: QEMU has none to set,
 * and their images report no latency in time. */
#include <stdint.h>

#include "cortex_m.h"
#include "platform.h"

const char *clock_init(void)
{
    return 0;
}

uint32_t platform_clock_hz(void)
{
    return 0;
}
