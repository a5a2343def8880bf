/* CONV_2D on cores with the DSP extension as a matrix product: each output pixel's window of
 * input (its patch: filter rows x taps x channels, the weights' OHWI order) against each output
 * channel's weights, two pixels by two channels per step. The patches are expanded once to int16
 * pairs with the input offset for a chunk of output channels, whose outputs are then requantised
 * in one pass per pixel. A 1x1 filter without padding reads its patch in place; any other is
 * gathered first, with the input zero point (0 after the offset) where the window leaves the image.
 * A window deeper than MATMUL_MAX_DEPTH (3x3x64) runs in bands of whole filter rows, each gathered
 * and expanded in turn, its sums added to the previous bands' before the requantisation.
 * The weights are int8 OHWI (tc_conv2d_s8) or pre-widened to int16 (tc_conv2d_wide_s8), whose inner
 * loop is loads and SMLADs only; the latter also has its portable C here, for other cores and shapes.
 * On int16 weights a window of one band in whole words runs all of a chunk's blocks in one asm loop that
 * requantises each block's sums there too: short windows (1x1 over 8-32 channels) are mostly per-block and
 * per-output costs. Into [-128, 127] over whole fours of words (3x3 over 16, 32 and 64 channels) three pixels
 * at a time go first (matmul_triples, their windows expanded in conv2d_triples.c), their last one or two as a
 * pair. A 1x1 layer without padding has loops of its own (conv2d_pointwise.c). The int16 blocks' asm that these
 * files use is in conv2d_wide_asm.h; what this one and conv2d_triples.c share in conv2d_matmul_shared.h. */
#include "conv2d_matmul_shared.h"

#if TC_DSP

int tc_conv2d_matmul_fits(const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_output_params *p)
{
    return wd->w * in->c <= MATMUL_MAX_DEPTH && p->fast_scale && out->n * out->h * out->w > 1 && out->c >= 4;
}

/* n bytes from src to dst, a word at a time while it can, and n bytes of `value` at dst. The empty asm
 * statements keep gcc from turning the loops into calls of the C library's byte-at-a-time memcpy and
 * memset, which cost several times more on these short runs. */
static inline void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4) {
        const int32_t v = tc_load_s8x4(src);
        memcpy(dst, &v, sizeof v);
        __asm volatile("");
    }
    for (int32_t i = 0; i < n; ++i) {
        dst[i] = src[i];
        __asm volatile("");
    }
}

static inline void fill_bytes(int8_t *dst, int8_t value, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        dst[i] = value;
        __asm volatile("");
    }
}

/* Filter rows fy0 .. fy1 - 1 of output pixel p's patch (p in 0 .. n * h * w - 1): in place for a 1x1
 * filter without padding (`direct`, a constant in each copy the compiler makes), at p's own pixel when it
 * has stride 1 too (`contiguous`: no divisions for the coordinates), else gathered into `patch`. */
static inline __attribute__((always_inline)) const int8_t *
matmul_patch(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_window *win,
             int32_t p, int32_t fy0, int32_t fy1, int8_t zero_point, int8_t *patch, const int direct, int contiguous)
{
    if (direct && contiguous) {
        return input + p * in->c;
    }
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h, c = in->c;
    const int32_t y0 = oy * win->stride_h - win->pad_top, x0 = ox * win->stride_w - win->pad_left;
    const int8_t *image = input + b * in->h * in->w * c;
    if (direct) {
        return image + (y0 * in->w + x0) * c;
    }
    const int32_t row_bytes = wd->w * c;
    if (window_inside(in, wd, win, y0, x0)) {
        for (int32_t fy = fy0; fy < fy1; ++fy) {
            copy_bytes(patch + (fy - fy0) * row_bytes, image + ((y0 + fy) * in->w + x0) * c, row_bytes);
        }
        return patch;
    }
    const tc_tap_span cols = tc_taps_inside(x0, win->dilation_w, wd->w, in->w);
    const int32_t inside = cols.hi - cols.lo, dense = win->dilation_w == 1;
    const int32_t runs = dense ? 1 : inside, run = dense ? inside * c : c;
    int8_t *to = patch;
    for (int32_t fy = fy0; fy < fy1; ++fy, to += row_bytes) {
        const int32_t y = y0 + fy * win->dilation_h;
        if (y < 0 || y >= in->h || inside == 0) {
            fill_bytes(to, zero_point, row_bytes);
            continue;
        }
        const int8_t *from = image + (y * in->w + x0 + cols.lo * win->dilation_w) * c;
        fill_bytes(to, zero_point, cols.lo * c);
        for (int32_t r = 0; r < runs; ++r) {
            copy_bytes(to + cols.lo * c + r * run, from + r * win->dilation_w * c, run);
        }
        fill_bytes(to + cols.hi * c, zero_point, (wd->w - cols.hi) * c);
    }
    return patch;
}

/* The int8 outputs of two pixels, output0[k] from sums[k][0] and output1[k] from sums[k][1], for n
 * channels with scales[k], clamped to the activation range (`full`: it is [-128, 127], one SSAT). */
static inline __attribute__((always_inline)) void
matmul_outputs_dsp(const int32_t (*sums)[2], const tc_channel_scale *scales, int32_t n, int8_t *output0,
                   int8_t *output1, int32_t lo, int32_t hi, const int full)
{
    for (int32_t k = 0; k < n; ++k) {
        const tc_channel_scale s = scales[k];
        output0[k] = tc_output_scaled(sums[k][0], &s, lo, hi, full);
        output1[k] = tc_output_scaled(sums[k][1], &s, lo, hi, full);
    }
}

/* matmul_outputs_dsp in a function of its own (tinyctl_dsp.h), so that its loop has the registers to
 * itself, with a copy for each clamp. */
__attribute__((noinline)) void tc_outputs2_dsp(const int32_t (*sums)[2], const tc_channel_scale *scales, int32_t n,
                                               int8_t *output0, int8_t *output1, int32_t lo, int32_t hi)
{
    if (lo == -128 && hi == 127) {
        matmul_outputs_dsp(sums, scales, n, output0, output1, lo, hi, 1);
    } else {
        matmul_outputs_dsp(sums, scales, n, output0, output1, lo, hi, 0);
    }
}

/* tc_block2x2 on pre-widened weights: `rows` 2, a block of two channels (per group the even and odd
 * words of channel 0 then of channel 1, then their tails: one LDRD per channel and group), or 1, the
 * last channel alone (both acc pairs then hold it). */
static inline __attribute__((always_inline)) void
block2x2_wide(const int32_t *lanes, const int32_t tails[2][4], const int16_t *w, int32_t rows, int32_t groups,
              int32_t rest, int32_t acc[4])
{
    int32_t a00 = 0, a10 = 0, a01 = 0, a11 = 0;
    if (rows == 2 && groups > 0) {
        int32_t x0e, x0o, x1e, x1o, ke, ko;
        __asm volatile(
            "1:\n\t"
            "ldrd %[x1e], %[x1o], [%[lanes], #8]\n\t"
            "ldrd %[x0e], %[x0o], [%[lanes]], #16\n\t"
            "ldrd %[ke], %[ko], [%[w]], #8\n\t"
            "smlad %[a00], %[ke], %[x0e], %[a00]\n\t"
            "smlad %[a00], %[ko], %[x0o], %[a00]\n\t"
            "smlad %[a10], %[ke], %[x1e], %[a10]\n\t"
            "smlad %[a10], %[ko], %[x1o], %[a10]\n\t"
            "ldrd %[ke], %[ko], [%[w]], #8\n\t"
            "smlad %[a01], %[ke], %[x0e], %[a01]\n\t"
            "smlad %[a01], %[ko], %[x0o], %[a01]\n\t"
            "smlad %[a11], %[ke], %[x1e], %[a11]\n\t"
            "smlad %[a11], %[ko], %[x1o], %[a11]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11), [lanes] "+r"(lanes), [w] "+r"(w),
              [n] "+r"(groups), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o),
              [ke] "=&r"(ke), [ko] "=&r"(ko)
            :
            : "cc", "memory");
    }
    for (int32_t g = rows == 1 ? groups : 0; g > 0; --g, lanes += 4, w += 4) {
        int32_t ke, ko;
        memcpy(&ke, w, sizeof ke);
        memcpy(&ko, w + 2, sizeof ko);
        a00 = __smlad(ke, lanes[0], __smlad(ko, lanes[1], a00));
        a10 = __smlad(ke, lanes[2], __smlad(ko, lanes[3], a10));
    }
    const int16_t *w1 = rows == 2 ? w + rest : w;
    for (int32_t i = 0; i < rest; ++i) {
        a00 += w[i] * tails[0][i], a10 += w[i] * tails[1][i];
        a01 += w1[i] * tails[0][i], a11 += w1[i] * tails[1][i];
    }
    if (rows == 1) {
        a01 = a00, a11 = a10;
    }
    acc[0] = a00, acc[1] = a10, acc[2] = a01, acc[3] = a11;
}


/* The sums of `pairs` blocks of two channels whose window is whole words (`groups` of 4, no tails), pre-widened
 * weights from w on (the blocks follow each other), at the two pixels, stored in sums: the blocks in the asm
 * loop too, so that a block adds ten instructions rather than the thirty of a call in C, which count in short
 * windows. */
static inline __attribute__((always_inline)) void
blocks2x2_wide(const int32_t *lanes, const int16_t *w, int32_t pairs, int32_t groups, int32_t (*sums)[2])
{
    const int32_t rewind = 16 * groups, *end = sums[2 * pairs];
    int32_t a00, a10, a01, a11, x0e, x0o, x1e, x1o, ke, ko, n;
    __asm volatile("2:\n\t" BLOCK2X2_WIDE
                   "strd %[a00], %[a10], [%[sums]], #8\n\t"
                   "strd %[a01], %[a11], [%[sums]], #8\n\t"
                   "ldr %[n], %[rewind]\n\t"
                   "sub %[lanes], %[lanes], %[n]\n\t"
                   "ldr %[n], %[end]\n\t"
                   "cmp %[sums], %[n]\n\t"
                   "bne 2b"
                   : BLOCK2X2_WIDE_OPERANDS, [sums] "+r"(sums)
                   : [groups] "m"(groups), [rewind] "m"(rewind), [end] "m"(end)
                   : "cc", "memory");
}


/* Output pixels px's and second's windows, rows of whole words, expanded row by row straight from the image into
 * lanes as tc_expand_s8 interleaves them when both lie inside it (1), else nothing (0). A call of its own, so
 * that matmul_dsp's loop keeps its registers for the windows it gathers. */
static __attribute__((noinline)) int expand_inside(const int8_t *input, const tc_dims *in, const tc_dims *wd,
                                                   const tc_dims *out, const tc_window *win, int32_t px,
                                                   int32_t second, int32_t offset2, int32_t *lanes)
{
    const int8_t *start0 = window_start_inside(input, in, wd, out, win, px);
    const int8_t *start1 = start0 ? window_start_inside(input, in, wd, out, win, second) : 0;
    if (!start1) {
        return 0;
    }
    const int32_t row_bytes = wd->w * in->c, stride = in->w * in->c, step = (int32_t)(start1 - start0);
    for (int32_t fy = 0; fy < wd->h; ++fy, start0 += stride, lanes += row_bytes) {
        expand_pair(start0, step, offset2, lanes, row_bytes / 4);
    }
    return 1;
}


/* The sums of one band (`skip` bytes into each channel's window, `groups` and `rest` as tc_expand_s8
 * wrote them) of channels first .. first + chunk - 1 at the two pixels, stored in sums (`add`: added
 * to the previous bands'; `wide` as in matmul_dsp). */
static inline __attribute__((always_inline)) void
matmul_sums(const int32_t *lanes, const int32_t tails[2][4], const void *weights, int32_t first, int32_t chunk,
            int32_t channels, int32_t depth, int32_t skip, int32_t groups, int32_t rest, int32_t (*sums)[2],
            const int wide, const int add)
{
    int32_t k = 0;
    if (wide && 4 * groups == depth && chunk >= 2) { /* the whole window in whole words: every full block at once */
        k = chunk & ~1;
        blocks2x2_wide(lanes, (const int16_t *)weights + first * depth, k / 2, groups, sums);
    }
    for (; k < chunk; k += 2) {
        const int32_t next = k + 1 < chunk ? depth : 0; /* an odd last channel twice */
        int32_t acc[4];
        if (wide) { /* a block of two channels, or the last one alone, starts at channel * depth */
            const int32_t rows = first + k + 1 < channels ? 2 : 1;
            block2x2_wide(lanes, tails, (const int16_t *)weights + (first + k) * depth + skip * rows, rows, groups,
                          rest, acc);
        } else {
            const int8_t *w = (const int8_t *)weights + (first + k) * depth + skip;
            tc_block2x2(lanes, tails, w, w + next, groups, rest, acc);
        }
        if (add) {
            acc[0] += sums[k][0], acc[1] += sums[k][1], acc[2] += sums[k + 1][0], acc[3] += sums[k + 1][1];
        }
        sums[k][0] = acc[0], sums[k][1] = acc[1], sums[k + 1][0] = acc[2], sums[k + 1][1] = acc[3];
    }
}

/* Output pixels `from` on; `direct`: a 1x1 filter without padding; `wide`: the weights are int16 (tc_wide_index)
 * rather than int8 (then wide_bands_fit); constants in each of the copies the compiler makes. */
static inline __attribute__((always_inline)) void
matmul_dsp(const int8_t *input, const tc_dims *in, const void *weights, const tc_dims *wd, int8_t *output,
           const tc_dims *out, const tc_window *win, const tc_int8_io *io, const tc_output_params *p, int32_t from,
           const int direct, const int wide)
{
    const int32_t row_bytes = wd->w * in->c, depth = wd->h * row_bytes, band_rows = MATMUL_MAX_DEPTH / row_bytes;
    const int32_t channels = out->c, pixels = out->n * out->h * out->w, offset2 = tc_dup16(-io->input_zero_point);
    const int8_t zero_point = (int8_t)io->input_zero_point;
    int32_t lanes[MATMUL_MAX_DEPTH], tails[2][4], sums[MATMUL_CHUNK][2];
    int8_t patch[MATMUL_MAX_DEPTH];
    const int contiguous = win->stride_h == 1 && win->stride_w == 1 && out->h == in->h && out->w == in->w;
    /* int16 weights over one band of whole words into [-128, 127]: blocks2x2_wide_outputs, for even chunks (its
     * clamp into a narrower range, as in tc_pointwise_wide, would cost 350 B of flash for rarer layers) */
    const int fused = wide && depth <= MATMUL_MAX_DEPTH && depth % 4 == 0 && p->min == -128 && p->max == 127;
    /* a fused window's rows in whole words (3x3 over 8 channels: 6 words) need no byte patch inside the image */
    const int in_rows = fused && row_bytes % 4 == 0;
    tc_channel_scale scales[MATMUL_CHUNK];
    wide_outputs_job job = wide_outputs_job_of(depth / 4, 0, p); /* a fused window's groups: one band */
    for (int32_t first = 0; first < channels; first += MATMUL_CHUNK) {
        const int32_t chunk = channels - first < MATMUL_CHUNK ? channels - first : MATMUL_CHUNK;
        tc_channel_scales(p, first, chunk, scales);
        for (int32_t px = from; px < pixels; px += 2) {
            const int32_t second = px + 1 < pixels ? px + 1 : px; /* an odd last pixel twice */
            int8_t *output0 = output + px * channels + first, *output1 = output + second * channels + first;
            for (int32_t fy0 = 0, fy1; fy0 < wd->h; fy0 = fy1) { /* a 1x1 filter: one band, fy0 a constant 0 */
                fy1 = direct ? 1 : fy0 + band_rows < wd->h ? fy0 + band_rows : wd->h;
                const int32_t band = (fy1 - fy0) * row_bytes, groups = band >> 2, rest = band & 3;
                if (!in_rows || !expand_inside(input, in, wd, out, win, px, second, offset2, lanes)) {
                    tc_expand_s8(
                        matmul_patch(input, in, wd, out, win, px, fy0, fy1, zero_point, patch, direct, contiguous),
                        groups, rest, offset2, lanes, 4, tails[0]);
                    tc_expand_s8(
                        matmul_patch(input, in, wd, out, win, second, fy0, fy1, zero_point, patch, direct, contiguous),
                        groups, rest, offset2, lanes + 2, 4, tails[1]);
                }
                if (fused && chunk % 2 == 0) {
                    job.scales = scales, job.end = output0 + chunk, job.second = (int32_t)(output1 - output0);
                    blocks2x2_wide_outputs(lanes, (const int16_t *)weights + first * depth, output0, &job, 1, 0);
                } else if (fy0 == 0) {
                    matmul_sums(lanes, tails, weights, first, chunk, channels, depth, 0, groups, rest, sums, wide, 0);
                } else {
                    matmul_sums(lanes, tails, weights, first, chunk, channels, depth, fy0 * row_bytes, groups, rest,
                                sums, wide, 1);
                }
            }
            if (!fused || chunk % 2) {
                tc_outputs2_dsp((const int32_t(*)[2])sums, scales, chunk, output0, output1, p->min, p->max);
            }
        }
    }
}

/* Whether a 1x1 window without padding before the image reads each output pixel's input inside it, so in place
 * (padding after it, a PAD folded into the op, leaves the last rows or columns to the gathered patch). */
static int pointwise_inside(const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_window *win)
{
    return wd->h == 1 && wd->w == 1 && win->pad_top == 0 && win->pad_left == 0
           && (out->h - 1) * win->stride_h < in->h && (out->w - 1) * win->stride_w < in->w;
}

void tc_conv2d_matmul_s8(const int8_t *input, const tc_dims *in, const int8_t *weights, const tc_dims *wd,
                         int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                         const tc_output_params *p)
{
    if (pointwise_inside(in, wd, out, win)) {
        matmul_dsp(input, in, weights, wd, output, out, win, io, p, 0, 1, 0);
    } else {
        matmul_dsp(input, in, weights, wd, output, out, win, io, p, 0, 0, 0);
    }
}

/* Whether each band of the int16 weights is where matmul_dsp reads it: one band, or bands of whole
 * words, so that a block's groups for a band follow the previous band's (its tails come last). */
static int wide_bands_fit(const tc_dims *in, const tc_dims *wd)
{
    const int32_t row_bytes = wd->w * in->c;
    return wd->h * row_bytes <= MATMUL_MAX_DEPTH || MATMUL_MAX_DEPTH / row_bytes * row_bytes % 4 == 0;
}

/* matmul_dsp on int16 weights from pixel `from` on, in a call of its own, so that its stack and matmul_triples'
 * are not on one chain. */
static __attribute__((noinline)) void matmul_pairs_wide(const int8_t *input, const tc_dims *in, const int16_t *weights,
                                                        const tc_dims *wd, int8_t *output, const tc_dims *out,
                                                        const tc_window *win, const tc_int8_io *io,
                                                        const tc_output_params *p, int32_t from)
{
    matmul_dsp(input, in, weights, wd, output, out, win, io, p, from, 0, 1);
}

/* The bytes of a band of matmul_triples' windows deeper than MATMUL_MAX_DEPTH: three pixels' lanes of it and a
 * chunk's blocks' sums (6 each) share the lanes of three MATMUL_MAX_DEPTH windows (3x3x64: bands of one row). */
#define TRIPLES_BAND (MATMUL_MAX_DEPTH - 2 * MATMUL_CHUNK)

/* Filter rows a band of matmul_triples: the whole window, or as many as TRIPLES_BAND holds. */
static int32_t triples_band_rows(const tc_dims *in, const tc_dims *wd)
{
    const int32_t row_bytes = wd->w * in->c;
    return wd->h * row_bytes <= MATMUL_MAX_DEPTH ? wd->h : TRIPLES_BAND / row_bytes;
}

/* Whether matmul_triples takes the layer's pixels: into [-128, 127] over an even number of output channels, in
 * taps of whole words (conv2d_triples.c's expand_triple, expand_third) and bands of at least a row (the last perhaps
 * fewer rows) of whole fours of words (blocks3x2's loop turns), at least one triple. */
static int triples_fit(const tc_dims *in, const tc_dims *wd, const tc_dims *out, const tc_output_params *p)
{
    const int32_t row_bytes = wd->w * in->c, band = triples_band_rows(in, wd) * row_bytes;
    return p->min == -128 && p->max == 127 && out->c % 2 == 0 && in->c % 4 == 0 && band > 0 && band % 16 == 0
           && wd->h * row_bytes % 16 == 0 && out->n * out->h * out->w >= 3;
}

/* A layer's pixels three at a time (their last one or two left to matmul_dsp, whose first it returns): each
 * triple's windows expanded band by band (tc_expand_triple_band), then all of a chunk's blocks over the band in
 * blocks3x2, its sums carried from band to band after the band's lanes (TRIPLES_BAND), the last band's
 * requantised in registers. Against matmul_dsp's pairs each weight flash line is read once per three pixels, and
 * a group's lanes by LDM. A call of its own, so that its stack is not on matmul_dsp's. */
static __attribute__((noinline)) int32_t matmul_triples(const int8_t *input, const tc_dims *in,
                                                        const int16_t *weights, const tc_dims *wd, int8_t *output,
                                                        const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                                                        const tc_output_params *p)
{
    const int32_t row_bytes = wd->w * in->c, depth = wd->h * row_bytes, band_rows = triples_band_rows(in, wd);
    const int32_t channels = out->c, triples = out->n * out->h * out->w / 3 * 3;
    int32_t lanes[MATMUL_MAX_DEPTH * 3 / 2], *sums = lanes + TRIPLES_BAND * 3 / 2;
    const int32_t offset2 = tc_dup16(-io->input_zero_point);
    tc_channel_scale scales[MATMUL_CHUNK];
    wide_outputs_job job = wide_outputs_job_of(0, channels, p);
    for (int32_t first = 0; first < channels; first += MATMUL_CHUNK) {
        const int32_t chunk = channels - first < MATMUL_CHUNK ? channels - first : MATMUL_CHUNK;
        tc_channel_scales(p, first, chunk, scales);
        job.sums_end = sums + chunk / 2 * 6;
        for (int32_t px = 0; px < triples; px += 3) {
            int8_t *output0 = output + px * channels + first;
            for (int32_t fy0 = 0, fy1; fy0 < wd->h; fy0 = fy1) {
                fy1 = fy0 + band_rows < wd->h ? fy0 + band_rows : wd->h;
                const int32_t band = (fy1 - fy0) * row_bytes;
                const int16_t *w = weights + first * depth + 2 * fy0 * row_bytes; /* a block's band */
                tc_expand_triple_band(input, in, wd, out, win, offset2, px, fy0, fy1, lanes);
                job.groups = blocks3x2_turns(band / 16), job.rewind = 6 * band, job.skip = 4 * (depth - band);
                job.scales = scales, job.end = output0 + chunk, job.sums = sums; /* the asm steps scales and sums */
                if (fy0 == 0 && fy1 == wd->h) {
                    blocks3x2(lanes, w, output0, &job, 0, 1);
                } else if (fy0 == 0) {
                    blocks3x2(lanes, w, output0, &job, 0, 0);
                } else if (fy1 == wd->h) {
                    blocks3x2(lanes, w, output0, &job, 1, 1);
                } else {
                    blocks3x2(lanes, w, output0, &job, 1, 0);
                }
            }
        }
    }
    return triples;
}

/* A 1x1 window read in place over whole words into even output channels in tc_pointwise_wide, any other through
 * matmul_triples where it fits, its last pixels and other layers through matmul_dsp's gathered patch (its copy
 * that reads a 1x1 window in place would cost 3 KB of flash). */
static void matmul_wide(const int8_t *input, const tc_dims *in, const int16_t *weights, const tc_dims *wd,
                        int8_t *output, const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                        const tc_output_params *p)
{
    if (in->c % 4 == 0 && out->c % 2 == 0 && pointwise_inside(in, wd, out, win)) {
        tc_pointwise_wide(input, in, weights, output, out, win, tc_dup16(-io->input_zero_point), p);
        return;
    }
    const int32_t from = triples_fit(in, wd, out, p) ? matmul_triples(input, in, weights, wd, output, out, win, io, p)
                                                     : 0;
    if (from < out->n * out->h * out->w) {
        matmul_pairs_wide(input, in, weights, wd, output, out, win, io, p, from);
    }
}

/* Whether tc_pointwise_pixels takes the layer: a 1x1 window at stride 1 without padding over 8 or 16 channels into
 * 4 to 32 in fours, in [-128, 127], its input at a word (its LDMs fault elsewhere), two pixels or more (over 8
 * channels it runs them in pairs). */
static int pixels_fit(const int8_t *input, const tc_dims *in, const tc_dims *wd, const tc_dims *out,
                      const tc_window *win, const tc_output_params *p)
{
    return (uintptr_t)input % 4 == 0 && pointwise_inside(in, wd, out, win) && win->stride_h == 1
           && win->stride_w == 1 && out->h == in->h && out->w == in->w && (in->c == 8 || in->c == 16)
           && out->c % 4 == 0 && out->c <= MATMUL_CHUNK && p->min == -128 && p->max == 127
           && out->n * out->h * out->w >= 2;
}
#endif

/* Output channel oc's sum over the taps of the window at (y0, x0) inside image b, weights read
 * where tc_wide_index puts them. */
static int32_t wide_window_sum(const int8_t *image, const tc_dims *in, const int16_t *weights, const tc_dims *wd,
                               const tc_dims *out, const tc_window *win, int32_t y0, int32_t x0, int32_t oc,
                               int32_t offset)
{
    const int32_t depth = wd->h * wd->w * in->c;
    int32_t acc = 0;
    for (int32_t fy = 0; fy < wd->h; ++fy) {
        const int32_t y = y0 + fy * win->dilation_h;
        for (int32_t fx = 0; fx < wd->w && y >= 0 && y < in->h; ++fx) {
            const int32_t x = x0 + fx * win->dilation_w;
            for (int32_t c = 0; c < in->c && x >= 0 && x < in->w; ++c) {
                const int32_t i = (fy * wd->w + fx) * in->c + c;
                acc += weights[tc_wide_index(out->c, depth, TC_CONV_WIDE_BLOCK, oc, i)]
                       * (image[(y * in->w + x) * in->c + c] + offset);
            }
        }
    }
    return acc;
}

void tc_conv2d_wide_s8(const int8_t *input, const tc_dims *in, const int16_t *weights, const tc_dims *wd,
                       const int32_t *bias, int8_t *output, const tc_dims *out, const tc_window *win,
                       const tc_int8_io *io, const tc_requant *rq)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point)) {
        const tc_output_params params = tc_output_params_of(bias, out->c, wd->h * wd->w * wd->c, io, rq);
        const int fits = tc_conv2d_matmul_fits(in, wd, out, &params);
        if (fits && pixels_fit(input, in, wd, out, win, &params)) {
            tc_pointwise_pixels(input, in, weights, output, out, tc_dup16(-io->input_zero_point), &params);
            return;
        }
        if (fits && wide_bands_fit(in, wd)) {
            matmul_wide(input, in, weights, wd, output, out, win, io, &params);
            return;
        }
    }
#endif
    for (int32_t b = 0; b < out->n; ++b) {
        const int8_t *image = input + b * in->h * in->w * in->c;
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                for (int32_t oc = 0; oc < out->c; ++oc) {
                    const int32_t acc = wide_window_sum(image, in, weights, wd, out, win, oy * win->stride_h - win->pad_top,
                                                        ox * win->stride_w - win->pad_left, oc, -io->input_zero_point);
                    *output++ = tc_output_s8(acc, bias, oc, io, rq);
                }
            }
        }
    }
}
