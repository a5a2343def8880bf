/* AVERAGE_POOL_2D, int8: the mean of the in-image window positions only, rounded half away
 * from zero by integer division, as the reference does. */
#include "tinyctl_engine.h"

void tc_average_pool2d_s8(const int8_t *input, const tc_dims *input_dims,
                          int8_t *output, const tc_dims *output_dims,
                          int32_t filter_h, int32_t filter_w, const tc_window *window,
                          const tc_int8_io *io)
{
    const tc_dims *in = input_dims;
    for (int32_t b = 0; b < output_dims->n; ++b) {
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                tc_pool_span s = tc_pool_span_at(in, oy, ox, filter_h, filter_w, window);
                int32_t count = (s.fy1 - s.fy0) * (s.fx1 - s.fx0);
                for (int32_t c = 0; c < output_dims->c; ++c) {
                    int32_t sum = 0;
                    for (int32_t fy = s.fy0; fy < s.fy1; ++fy) {
                        for (int32_t fx = s.fx0; fx < s.fx1; ++fx) {
                            sum += input[((b * in->h + s.y0 + fy) * in->w + s.x0 + fx) * in->c + c];
                        }
                    }
                    sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    *output++ = tc_clamp_s8(sum, io->act_min, io->act_max);
                }
            }
        }
    }
}
