/* What conv2d_matmul.c and conv2d_triples.c share (private to the two): where an output pixel's window lies wholly
 * inside the image (matmul_patch copies its rows, expand_inside and tc_expand_triple_band expand them straight from
 * the image), and matmul_triples' expansion of three pixels' windows. */
#ifndef CONV2D_MATMUL_SHARED_H
#define CONV2D_MATMUL_SHARED_H

#include "conv2d_wide_asm.h"

#if TC_DSP
/* Whether a dense window at (y0, x0) lies wholly inside the image: then its rows are plain copies,
 * without the border arithmetic and zero-length fills that cost more than the copies themselves in
 * narrow windows (a 3x3 window over 1 or 3 channels). */
static inline int window_inside(const tc_dims *in, const tc_dims *wd, const tc_window *win, int32_t y0, int32_t x0)
{
    return win->dilation_h == 1 && win->dilation_w == 1 && y0 >= 0 && x0 >= 0 && y0 + wd->h <= in->h
           && x0 + wd->w <= in->w;
}

/* Where output pixel p's dense window starts in the input when it lies wholly inside its image, else 0. */
static inline const int8_t *window_start_inside(const int8_t *input, const tc_dims *in, const tc_dims *wd,
                                                const tc_dims *out, const tc_window *win, int32_t p)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    const int32_t y0 = oy * win->stride_h - win->pad_top, x0 = ox * win->stride_w - win->pad_left;
    return window_inside(in, wd, win, y0, x0) ? input + ((b * in->h + y0) * in->w + x0) * in->c : 0;
}

/* Filter rows fy0 .. fy1 - 1 of output pixels px .. px + 2's windows expanded into lanes as blocks3x2 reads them
 * (conv2d_triples.c). */
void tc_expand_triple_band(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out,
                           const tc_window *win, int32_t offset2, int32_t px, int32_t fy0, int32_t fy1, int32_t *lanes);
#endif
#endif
