/* conv2d_matmul.c's matmul_triples, three output pixels at a time over int16 weights, gets each band of its
 * pixels' windows here as blocks3x2 reads it (conv2d_wide_asm.h): per group of 4 input channels, 6 lanes, the
 * three pixels' even pairs then their odd ones. Windows that lie wholly inside the image are expanded straight from
 * it, row by row (expand_triple); any other tap by tap, with lanes of 0 where it leaves the image. */
#include "conv2d_matmul_shared.h"

#if TC_DSP
/* Filter rows fy0 .. fy1 - 1 of output pixel p's window expanded tap by tap (channels in whole words) into its
 * third of blocks3x2's lanes (from its first even lane: per group its even lane, then its odd one three lanes
 * on), lanes of 0 where the window leaves the image (the input zero point after the offset). */
static void expand_third(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out,
                         const tc_window *win, int32_t p, int32_t fy0, int32_t fy1, int32_t offset2, int32_t *lanes)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    const int32_t y0 = oy * win->stride_h - win->pad_top, x0 = ox * win->stride_w - win->pad_left;
    for (int32_t fy = fy0; fy < fy1; ++fy) {
        const int32_t y = y0 + fy * win->dilation_h;
        for (int32_t fx = 0; fx < wd->w; ++fx) {
            const int32_t x = x0 + fx * win->dilation_w, inside = y >= 0 && y < in->h && x >= 0 && x < in->w;
            const int8_t *tap = inside ? input + ((b * in->h + y) * in->w + x) * in->c : input; /* read, unused */
            for (int32_t g = in->c / 4; g > 0; --g, tap += 4, lanes += 6) {
                const int32_t v = tc_load_s8x4(tap);
                lanes[0] = inside ? __sxtab16(offset2, v) : 0;
                lanes[3] = inside ? tc_sxtab16_odd(offset2, v) : 0;
            }
        }
    }
}

/* `rows` rows of three pixels' windows in the image (`stride` bytes apart), of `groups` words, from start,
 * start + step and start + step2, expanded into lanes as blocks3x2 reads them. A call of its own, without
 * the gathering beside it, which leaves too few registers around expand_triple's six fixed ones. */
static __attribute__((noinline)) void expand_triple_rows(const int8_t *start, int32_t step, int32_t step2,
                                                         int32_t stride, int32_t rows, int32_t groups, int32_t offset2,
                                                         int32_t *lanes)
{
    for (; rows > 0; --rows, start += stride, lanes += 6 * groups) {
        expand_triple(start, step, step2, offset2, lanes, groups, 0);
    }
}

/* Row by row when all three windows lie inside the image, else each tap by tap. A call (and a file) of its own, so
 * that matmul_triples' loops keep their registers. */
void tc_expand_triple_band(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out,
                           const tc_window *win, int32_t offset2, int32_t px, int32_t fy0, int32_t fy1, int32_t *lanes)
{
    const int32_t row_bytes = wd->w * in->c;
    const int8_t *start0 = window_start_inside(input, in, wd, out, win, px);
    const int8_t *start1 = start0 ? window_start_inside(input, in, wd, out, win, px + 1) : 0;
    const int8_t *start2 = start1 ? window_start_inside(input, in, wd, out, win, px + 2) : 0;
    if (start2) {
        const int32_t stride = in->w * in->c;
        expand_triple_rows(start0 + fy0 * stride, (int32_t)(start1 - start0), (int32_t)(start2 - start0), stride,
                           fy1 - fy0, row_bytes / 4, offset2, lanes);
        return;
    }
    for (int32_t i = 0; i < 3; ++i) {
        expand_third(input, in, wd, out, win, px + i, fy0, fy1, offset2, lanes + i);
    }
}
#endif
