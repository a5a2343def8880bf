/* Fixed-point exp and division for SOFTMAX, LOGISTIC and TANH: the integer steps of the gemmlowp
 * routines that the TFLite-Micro reference kernels call, so results match them bit for bit.
 * A Qm value is an int32 with m integer bits and 31 - m fractional bits; Q0 covers [-1, 1). */
#include "tinyctl_engine.h"

/* x * 2^exponent for 1 <= exponent <= 30, saturating to the int32 range. */
static int32_t saturating_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (INT32_C(1) << (31 - exponent)) - 1;
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0 in and out: a 4th-order Taylor polynomial around -1/8. */
static int32_t exp_on_last_quarter(int32_t a)
{
    const int32_t exp_of_minus_one_eighth = 1895147668; /* round(exp(-1/8) * 2^31) */
    const int32_t one_third = 715827883;
    const int32_t x = a + (INT32_C(1) << 28);           /* a + 1/8 */
    const int32_t x2 = tc_doubling_high_mul(x, x);
    const int32_t x3 = tc_doubling_high_mul(x2, x);
    const int32_t x4 = tc_doubling_high_mul(x2, x2);
    /* x^2/2 + x^3/6 + x^4/24 */
    const int32_t higher = tc_rounding_divide_by_pot(
        tc_doubling_high_mul(tc_rounding_divide_by_pot(x4, 2) + x3, one_third) + x2, 1);
    return exp_of_minus_one_eighth + tc_doubling_high_mul(exp_of_minus_one_eighth, x + higher);
}

int32_t tc_exp_on_negative_values(int32_t a, int integer_bits)
{
    /* round(exp(-2^k) * 2^31) for k = -2 .. 4 */
    static const int32_t exp_of_minus_pot[7] = {1672461947, 1302514674, 790015084, 290630308,
                                                39332535, 720401, 242};
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = INT32_C(1) << (fractional_bits - 2);
    /* a = (a mod 1/4 - 1/4) - remainder: exp of the first part from the polynomial, then one
     * factor exp(-2^k) for each bit k of the remainder. */
    const int32_t in_last_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = in_last_quarter - a;
    int32_t result = exp_on_last_quarter(saturating_shift_left(in_last_quarter, integer_bits));
    for (int k = -2; k <= 4 && k < integer_bits; ++k) {
        if (remainder & (INT32_C(1) << (fractional_bits + k))) {
            result = tc_doubling_high_mul(result, exp_of_minus_pot[k + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 2 / (1 + a) in Q2 for a in [0, 1) in Q0: three Newton-Raphson steps on the half denominator
 * d = (1 + a) / 2, starting from 48/17 - 32/17 d. */
static int32_t two_over_one_plus_x(int32_t a)
{
    const int32_t q2_one = INT32_C(1) << 29;
    const int64_t sum = (int64_t)a + INT32_MAX;         /* a + 1, rounded half away below */
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + tc_doubling_high_mul(half_denominator, -1010580540); /* 48/17, -32/17 */
    for (int i = 0; i < 3; ++i) {
        const int32_t error = q2_one - tc_doubling_high_mul(half_denominator, x);
        x += saturating_shift_left(tc_doubling_high_mul(x, error), 2);
    }
    return x;
}

int32_t tc_one_over_one_plus_x(int32_t a)
{
    return saturating_shift_left(two_over_one_plus_x(a), 1);
}

int32_t tc_one_minus_x_over_one_plus_x(int32_t a)
{
    return saturating_shift_left(two_over_one_plus_x(a) - (INT32_C(1) << 29), 2);
}
