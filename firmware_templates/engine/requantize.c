/* The one external definition of each C99 inline helper in tinyctl_engine.h: kernels inline
 * them, and anything that takes their address (or builds without optimisation) links here. */
#include "tinyctl_engine.h"

extern inline int32_t tc_doubling_high_mul(int32_t a, int32_t b);
extern inline int32_t tc_rounding_divide_by_pot(int32_t x, int exponent);
extern inline int32_t tc_requantize(int32_t acc, int32_t multiplier, int shift);
