/* CONV_2D's 1x1 layers on one fused stream of int32 words (tinyctl/engine/wide_weights.py fuse_pointwise writes it):
 * per pair of output channels twice their biases, their weights doubled and pre-widened to int16 as
 * tc_conv2d_wide_s8 reads them, then per channel its multiplier, round and right shift for TC_SCALE_DOUBLED_ASM. The
 * code generator picks it where that requantisation is proved equal to tc_requantize (tinyctl/engine/ops/weighted.py
 * pointwise_fuses): three pixels at a time (expand_triple, blocks3x2's groups), each block's sums started from its
 * biases and already the doubled operand, its scales after its weights in the one pointer, where on int16 weights
 * each sum had its doubled bias added and a table of scales, worked out on the stack first, was walked by a second
 * pointer kept in memory (MobileNet's 1x1 layers over 32 to 256 channels: 6.99 -> 6.69 M estimated cycles on the
 * M4). */
#include "conv2d_pointwise_fused.h"

/* Words of a pair of channels over `depth` inputs: 2 biases, 2 x depth int16 weights, 2 x (multiplier, round,
 * right). */
static inline int32_t pointwise_fused_pair_words(int32_t depth)
{
    return 2 + depth + 6;
}

#if TC_DSP
/* Every pair of channels of the stream at three pixels (expand_triple's lanes at job->lanes), their outputs from
 * output on, the pixels job->second bytes apart. */
static void fused_blocks(const int32_t *stream, int8_t *output, wide_outputs_job *job)
{
    const int32_t *lanes = job->lanes, *w = stream;
    int32_t a00, a10, a20, a01, a11, a21;
    /* ascending, as the LDM loads them */
    register int32_t x0 __asm("r4"), x1 __asm("r5"), x2 __asm("r6"), k0 __asm("r7"), k1 __asm("r8");
    register int32_t n __asm("r9") = job->groups;
    BLOCKS3X2(BLOCK3X2_GROUPS_FROM(FUSED_FIRST), FUSED_OUTPUTS);
}

/* The DSP path: each triple of pixels expanded once, then every pair of channels (by the layer's own `blocks` for
 * its shape, or fused_blocks); a last one or two pixels as the last three (recomputing one or two outputs the
 * triple before stored: the same bytes). */
static void pointwise_fused_dsp(const int8_t *input, const tc_dims *in, const int32_t *stream, int8_t *output,
                                const tc_dims *out, const tc_window *win, int32_t offset2,
                                const struct tc_pointwise_passes *passes)
{
    const int32_t depth = in->c, channels = out->c, pixels = out->n * out->h * out->w;
    const int contiguous = win->stride_h == 1 && win->stride_w == 1 && out->h == in->h && out->w == in->w;
    int32_t lanes[MATMUL_MAX_DEPTH * 3 / 2];
    wide_outputs_job job = {.groups = blocks3x2_turns(depth / 16), .second = channels, .lanes = lanes};
    for (int32_t px = 0; px < pixels; px += 3) {
        const int32_t first = px + 3 <= pixels ? px : pixels - 3;
        int32_t at = first * depth, step = depth, step2 = 2 * depth;
        if (!contiguous) {
            at = pointwise_offset(in, out, win, first);
            step = pointwise_offset(in, out, win, first + 1) - at;
            step2 = pointwise_offset(in, out, win, first + 2) - at;
        }
        expand_triple(input + at, step, step2, offset2, lanes, depth / 4, 1);
        if (passes) {
            passes->blocks(stream, output + first * channels, &job);
        } else { /* inline: its asm's memory operands are the job's on this stack */
            fused_blocks(stream, output + first * channels, &job);
        }
    }
}
#endif

/* Channel r (0 or 1) of a pair's block: its weight for input i (per group of 4 the pair's words w0 w2, w1 w3 of
 * channel 0, then channel 1's). */
static inline int32_t fused_weight(const int32_t *block, int32_t r, int32_t i)
{
    const int32_t word = block[2 + (i & ~3) + 2 * r + (i & 1)];
    return i & 2 ? word >> 16 : (int16_t)word;
}

void tc_pointwise_fused_s8(const int8_t *input, const tc_dims *in, const int32_t *stream, int8_t *output,
                           const tc_dims *out, const tc_window *win, const tc_int8_io *io,
                           const struct tc_pointwise_passes *passes)
{
#if TC_DSP
    if (tc_dsp_offset_ok(io->input_zero_point) && in->c % 16 == 0
        && in->c <= MATMUL_MAX_DEPTH && out->n * out->h * out->w >= 3) {
        pointwise_fused_dsp(input, in, stream, output, out, win, tc_dup16(-io->input_zero_point), passes);
        return;
    }
#else
    (void)passes; /* the DSP path's */
#endif
    const int32_t depth = in->c, channels = out->c, pixels = out->n * out->h * out->w;
    for (int32_t px = 0; px < pixels; ++px) {
        const int32_t ox = px % out->w, rows = px / out->w, oy = rows % out->h, b = rows / out->h;
        const int8_t *x = input + ((b * in->h + oy * win->stride_h) * in->w + ox * win->stride_w) * depth;
        const int32_t *block = stream;
        for (int32_t c = 0; c < channels; ++c, ++output) {
            const int32_t r = c & 1;
            int32_t sum2 = block[r];
            for (int32_t i = 0; i < depth; ++i) {
                sum2 += fused_weight(block, r, i) * (x[i] - io->input_zero_point);
            }
            const int32_t *scale = block + 2 + depth + 3 * r;
            const int32_t v = tc_requantize(sum2 / 2, scale[0], -(scale[2] & 255)) + io->output_zero_point;
            *output = tc_clamp_s8(v, io->act_min, io->act_max);
            block += r ? pointwise_fused_pair_words(depth) : 0;
        }
    }
}
