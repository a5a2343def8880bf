/* CONV_2D's 1x1 layers on int16 weights on cores with the DSP extension, without padding before the image and
 * their inputs inside it (conv2d_matmul.c hands them over): pairs of pixels expanded straight from the input and
 * each chunk's blocks requantised in registers (tc_pointwise_wide, written out over 8 and 16 channels into
 * [-128, 127]); at stride 1 over 8 or 16 channels into [-128, 127] two pixels or one at a time, their lanes in
 * registers, against a stream of each channel's weights and scale (tc_pointwise_pixels). */
#include "conv2d_wide_asm.h"

#if TC_DSP
/* Output channels per pass of tc_pointwise_wide: each pixel is expanded once per pass, so two of
 * matmul's chunks (DS-CNN's 64 channels in one pass) for 512 B more of scales on the stack. */
#define POINTWISE_CHUNK (2 * MATMUL_CHUNK)

/* Where output pixel p's window starts in the input of a 1x1 convolution without padding. */
static inline int32_t pointwise_offset(const tc_dims *in, const tc_dims *out, const tc_window *win, int32_t p)
{
    const int32_t ox = p % out->w, rows = p / out->w, oy = rows % out->h, b = rows / out->h;
    return ((b * in->h + oy * win->stride_h) * in->w + ox * win->stride_w) * in->c;
}

/* A 1x1 convolution without padding over whole words of input channels into an even number of output
 * channels: each pair of pixels expanded straight from the input (expand_pair; at stride 1 neighbours, without
 * the divisions for their coordinates), then all of a chunk's blocks in blocks2x2_wide_outputs, written out
 * over 8 and 16 channels into [-128, 127] (over 32 too, or into a narrower range, they would cost 0.5 and 1 KB
 * of flash more, over the firmware's code-size bound). Without the patch pointers, bands, tails and odd channels
 * of matmul_dsp, a pair of pixels over 8 channels costs about 60 instructions outside the blocks rather than 150.
 * Deeper (over 32 to 288 channels in sixteens) into [-128, 127], three pixels at a time (expand_triple,
 * blocks3x2), a last one or two as a pair. */
void tc_pointwise_wide(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output,
                       const tc_dims *out, const tc_window *win, int32_t offset2, const tc_output_params *p)
{
    const int32_t depth = in->c, channels = out->c, pixels = out->n * out->h * out->w;
    const int full = p->min == -128 && p->max == 127;
    const int contiguous = win->stride_h == 1 && win->stride_w == 1 && out->h == in->h && out->w == in->w;
    const int triples = full && depth % 16 == 0 && depth > 16;
    int32_t lanes[MATMUL_MAX_DEPTH * 3 / 2]; /* three pixels' int16 copy */
    tc_channel_scale scales[POINTWISE_CHUNK];
    wide_outputs_job job = wide_outputs_job_of(depth / 4, channels, p), job3 = job;
    job3.groups = blocks3x2_turns(depth / 16), job3.rewind = 24 * job.groups;
    for (int32_t first = 0; first < channels; first += POINTWISE_CHUNK) {
        const int32_t chunk = channels - first < POINTWISE_CHUNK ? channels - first : POINTWISE_CHUNK;
        const int16_t *w = weights + first * depth;
        tc_channel_scales(p, first, chunk, scales);
        for (int32_t px = 0; px < pixels;) {
            const int32_t count = triples && pixels - px >= 3 ? 3 : 2;
            const int32_t second = px + 1 < pixels ? px + 1 : px; /* an odd last pixel twice */
            int32_t at = px * depth, step = (second - px) * depth, step2 = 2 * depth;
            if (!contiguous) {
                at = pointwise_offset(in, out, win, px), step = pointwise_offset(in, out, win, second) - at;
                step2 = count == 3 ? pointwise_offset(in, out, win, px + 2) - at : 0;
            }
            int8_t *output0 = output + px * channels + first;
            if (count == 3) {
                expand_triple(input + at, step, step2, offset2, lanes, job.groups);
                job3.scales = scales, job3.end = output0 + chunk;
                blocks3x2(lanes, w, output0, &job3, 0, 1);
                px += 3;
                continue;
            }
            expand_pair(input + at, step, offset2, lanes, job.groups);
            job.scales = scales, job.end = output0 + chunk, job.second = (second - px) * channels;
            px += 2;
            if (full && job.groups == 2) {
                blocks2x2_wide_outputs(lanes, w, output0, &job, 1, 2);
            } else if (full && job.groups == 4) {
                blocks2x2_wide_outputs(lanes, w, output0, &job, 1, 4);
            } else {
                blocks2x2_wide_outputs(lanes, w, output0, &job, full, 0);
            }
        }
    }
}

/* The stream tc_pointwise_pixels walks, channel after channel of a 1x1 layer over `depth` (8 or 16) input channels
 * into a multiple of 4: twice its bias (the sum's start), its int16 weights doubled, so that the sum is
 * tc_scale_fast's operand bias2 + 2 * acc (|bias2 + 2 * acc| < 2^31 where the scale is fast), as the words of
 * each group in its block (tc_wide_index: the even and the odd pairs, as the lanes), then its multiplier, round
 * and right; the right of each fourth channel but the last has 256 added, the loop's test for more, and every
 * right the channel count from bit 16 (pixels8's step to its second pixel's outputs; ASR reads the low byte
 * alone). */
static void pointwise_stream(const int16_t *weights, int32_t depth, int32_t channels, const tc_output_params *p,
                             int32_t *stream)
{
    for (int32_t c = 0; c < channels; ++c) {
        tc_channel_scale s;
        tc_channel_scales(p, c, 1, &s);
        *stream++ = s.bias2;
        const int16_t *group = weights + (c & ~1) * depth + (c & 1) * 4;
        for (int32_t g = 0; g < depth / 4; ++g, group += 2 * 4) { /* the block's other channel between groups */
            int32_t even, odd;
            memcpy(&even, group, sizeof even);
            memcpy(&odd, group + 2, sizeof odd);
            *stream++ = __sadd16(even, even);
            *stream++ = __sadd16(odd, odd);
        }
        *stream++ = s.multiplier;
        *stream++ = s.round;
        *stream++ = s.right + (c % 4 == 3 && c + 1 < channels ? 256 : 0) + (channels << 16);
    }
}

/* pixels16's: one channel's output from the operand in register a (TC_SCALE_DOUBLED_ASM), its multiplier, round
 * and right next in the stream, stored at out; then the loop over the fours of channels (written out: the loop's
 * two instructions are an eighth of a channel's), and over the pixels until out reaches `last` (the end on the
 * stack loaded into a). */
#define PIXEL_OUTPUT                                                                                                   \
    "ldm %[s]!, {%[k0], %[k1], %[k2]}\n\t"                                                                             \
    TC_SCALE_DOUBLED_ASM("%[a]", "%[k0]", "%[k1]", "%[k2]", "%[k0]")                                                   \
    "strb %[a], [%[out]], #1\n\t"
#define PIXEL_LOOPS(load, last)                                                                                        \
    "tst %[k2], #256\n\t"                                                                                             \
    "bne 1b\n\t" load "cmp %[out], " last "\n\t"                                                                      \
    "bne 2b"

/* tc_pointwise_pixels over 8 channels, two pixels at a time: their 4 words of lanes each in x0 .. x3 and y0 .. y3,
 * each channel's bias, weights and scale loaded once for both (MobileNet's 48x48x8->16 on the M4: 19.4 estimated
 * cycles an output, against 21.8 one pixel at a time): the bias and the first two weight words by one LDM, the
 * second pixel's sum started from the bias by its first SMLAD's accumulate operand, the sums requantised as
 * TC_SCALE_DOUBLED_ASM with the rounding term loaded again for the second (no register is left for it), the
 * second pixel's output `channels` bytes on (in the right's word from bit 16, or `fixed`, a constant 8 or 16:
 * MobileNet's 48x48x8->16 and the default detector's 32x32x8->8, whose second stores take an immediate offset, 2
 * cycles a channel fewer than the count's extraction and a register offset: 676.7 k -> 640.0 k estimated cycles in
 * MobileNet's layer); the pixels' input, offset and end on the stack. */
static inline __attribute__((always_inline)) void pixels8(const int8_t *input, int8_t *output, const int8_t *end,
                                                          const int32_t *stream, int32_t offset2, const int32_t fixed)
{
    register const int32_t *s __asm("r0");
    register int32_t a0 __asm("r1"), a1 __asm("r2"), k0 __asm("r3"), k1 __asm("r4");
    register int8_t *out __asm("r5") = output;
    register int32_t x0 __asm("r6"), x1 __asm("r7"), x2 __asm("r8"), x3 __asm("r9");
    register int32_t y0 __asm("r10"), y1 __asm("r11"), y2 __asm("r12"), y3 __asm("lr");
#define PIXEL8_CHANNEL(second_store)                                                                                   \
    "ldm %[s]!, {%[a0], %[k0], %[k1]}\n\t"                                                                            \
    "smlad %[a1], %[k0], %[y0], %[a0]\n\t"                                                                             \
    "smlad %[a0], %[k0], %[x0], %[a0]\n\t"                                                                             \
    "smlad %[a0], %[k1], %[x1], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k1], %[y1], %[a1]\n\t"                                                                             \
    "ldm %[s]!, {%[k0], %[k1]}\n\t"                                                                                    \
    "smlad %[a0], %[k0], %[x2], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k0], %[y2], %[a1]\n\t"                                                                             \
    "smlad %[a0], %[k1], %[x3], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k1], %[y3], %[a1]\n\t"                                                                             \
    "ldm %[s]!, {%[k0], %[k1]}\n\t"                                                                                    \
    "smmlar %[k1], %[a0], %[k0], %[k1]\n\t"                                                                            \
    "add %[a0], %[k1], %[a0], asr #31\n\t"                                                                             \
    "ldr %[k1], [%[s], #-4]\n\t"                                                                                       \
    "smmlar %[k1], %[a1], %[k0], %[k1]\n\t"                                                                            \
    "add %[a1], %[k1], %[a1], asr #31\n\t"                                                                             \
    "ldr %[k1], [%[s]], #4\n\t"                                                                                        \
    "asrs %[a0], %[a0], %[k1]\n\t"                                                                                     \
    "asrs %[a1], %[a1], %[k1]\n\t"                                                                                     \
    "ssat %[a0], #8, %[a0]\n\t"                                                                                        \
    "ssat %[a1], #8, %[a1]\n\t"                                                                                        \
    second_store                                                                                                       \
    "strb %[a0], [%[out]], #1\n\t"
#define PIXEL8_LANES(k, e, o)                                                                                          \
    "sxtab16 " e ", %[s], " k "\n\t"                                                                                   \
    "sxtab16 " o ", %[s], " k ", ror #8\n\t"
/* The second pixel's store `channels` (the right's word from bit 16) or `fixed` bytes on, and the step past its
 * outputs. */
#define PIXEL8_SECOND_COUNT                                                                                            \
    "lsrs %[k0], %[k1], #16\n\t"                                                                                     \
    "strb %[a1], [%[out], %[k0]]\n\t"
#define PIXEL8_PAST_COUNT "add %[out], %[out], %[k1], lsr #16\n\t"
#define PIXEL8_SECOND_FIXED "strb %[a1], [%[out], #%c[fixed]]\n\t"
#define PIXEL8_PAST_FIXED "add %[out], %[out], #%c[fixed]\n\t"
#define PIXELS8_ASM(second, past)                                                                                      \
    __asm volatile("2:\n\t"                                                                                           \
                   "ldr %[s], %[in]\n\t"                                                                              \
                   "ldm %[s]!, {%[a0], %[a1], %[k0], %[k1]}\n\t"                                                      \
                   "str %[s], %[in]\n\t"                                                                              \
                   "ldr %[s], %[offset2]\n\t"                                                                         \
                   PIXEL8_LANES("%[a0]", "%[x0]", "%[x1]") PIXEL8_LANES("%[a1]", "%[x2]", "%[x3]")                    \
                   PIXEL8_LANES("%[k0]", "%[y0]", "%[y1]") PIXEL8_LANES("%[k1]", "%[y2]", "%[y3]")                    \
                   "ldr %[s], %[stream]\n"                                                                             \
                   "1:\n\t" PIXEL8_CHANNEL(second) PIXEL8_CHANNEL(second) PIXEL8_CHANNEL(second)                     \
                   PIXEL8_CHANNEL(second)                                                                              \
                   "tst %[k1], #256\n\t"                                                                              \
                   "bne 1b\n\t" past /* past the second pixel's outputs */                                            \
                   "ldr %[a0], %[end]\n\t"                                                                            \
                   "cmp %[out], %[a0]\n\t"                                                                            \
                   "bne 2b"                                                                                           \
                   : [s] "=&r"(s), [a0] "=&r"(a0), [a1] "=&r"(a1), [k0] "=&r"(k0), [k1] "=&r"(k1), [x0] "=&r"(x0),    \
                     [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [y0] "=&r"(y0), [y1] "=&r"(y1), [y2] "=&r"(y2),  \
                     [y3] "=&r"(y3), [out] "+r"(out), [in] "+m"(input)                                                 \
                   : [offset2] "m"(offset2), [end] "m"(end), [stream] "m"(stream), [fixed] "n"(fixed)                 \
                   : "cc", "memory")
    if (fixed) {
        PIXELS8_ASM(PIXEL8_SECOND_FIXED, PIXEL8_PAST_FIXED);
    } else {
        PIXELS8_ASM(PIXEL8_SECOND_COUNT, PIXEL8_PAST_COUNT);
    }
#undef PIXEL8_CHANNEL
#undef PIXEL8_LANES
#undef PIXEL8_SECOND_COUNT
#undef PIXEL8_PAST_COUNT
#undef PIXEL8_SECOND_FIXED
#undef PIXEL8_PAST_FIXED
#undef PIXELS8_ASM
}

/* tc_pointwise_pixels over 16 channels: a pixel's 8 words of lanes in x0 .. x7, each channel's bias and weights
 * loaded by three LDMs; the pixels' input, offset and end on the stack. */
static inline __attribute__((always_inline)) void pixels16(const int8_t *input, int8_t *output, const int8_t *end,
                                                           const int32_t *stream, int32_t offset2)
{
    register const int32_t *s __asm("r0");
    register int32_t a __asm("r1"), k0 __asm("r2"), k1 __asm("r3"), k2 __asm("r4");
    register int32_t x0 __asm("r5"), x1 __asm("r6"), x2 __asm("r7"), x3 __asm("r8"), x4 __asm("r9"),
        x5 __asm("r10"), x6 __asm("r11"), x7 __asm("r12");
    register int8_t *out __asm("lr") = output;
#define PIXEL16_CHANNEL                                                                                                \
    "ldm %[s]!, {%[a], %[k0], %[k1], %[k2]}\n\t"                                                                      \
    "smlad %[a], %[k0], %[x0], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x1], %[a]\n\t"                                                                              \
    "smlad %[a], %[k2], %[x2], %[a]\n\t"                                                                              \
    "ldm %[s]!, {%[k0], %[k1], %[k2]}\n\t"                                                                            \
    "smlad %[a], %[k0], %[x3], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x4], %[a]\n\t"                                                                              \
    "smlad %[a], %[k2], %[x5], %[a]\n\t"                                                                              \
    "ldm %[s]!, {%[k0], %[k1]}\n\t"                                                                                   \
    "smlad %[a], %[k0], %[x6], %[a]\n\t"                                                                              \
    "smlad %[a], %[k1], %[x7], %[a]\n\t" PIXEL_OUTPUT
    __asm volatile("2:\n\t"
                   "ldr %[s], %[in]\n\t"
                   "ldm %[s]!, {%[a], %[k0], %[k1], %[k2]}\n\t"
                   "str %[s], %[in]\n\t"
                   "ldr %[s], %[offset2]\n\t"
                   "sxtab16 %[x0], %[s], %[a]\n\t"
                   "sxtab16 %[x1], %[s], %[a], ror #8\n\t"
                   "sxtab16 %[x2], %[s], %[k0]\n\t"
                   "sxtab16 %[x3], %[s], %[k0], ror #8\n\t"
                   "sxtab16 %[x4], %[s], %[k1]\n\t"
                   "sxtab16 %[x5], %[s], %[k1], ror #8\n\t"
                   "sxtab16 %[x6], %[s], %[k2]\n\t"
                   "sxtab16 %[x7], %[s], %[k2], ror #8\n\t"
                   "ldr %[s], %[stream]\n"
                   "1:\n\t" PIXEL16_CHANNEL PIXEL16_CHANNEL PIXEL16_CHANNEL PIXEL16_CHANNEL
                       PIXEL_LOOPS("ldr %[a], %[end]\n\t", "%[a]")
                   : [s] "=&r"(s), [a] "=&r"(a), [k0] "=&r"(k0), [k1] "=&r"(k1), [k2] "=&r"(k2), [x0] "=&r"(x0),
                     [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [x4] "=&r"(x4), [x5] "=&r"(x5), [x6] "=&r"(x6),
                     [x7] "=&r"(x7), [out] "+r"(out), [in] "+m"(input)
                   : [offset2] "m"(offset2), [end] "m"(end), [stream] "m"(stream)
                   : "cc", "memory");
#undef PIXEL16_CHANNEL
}

/* A 1x1 convolution at stride 1 without padding over 8 or 16 input channels into 4 to 32 (a chunk) output channels
 * in fours, in [-128, 127], over two pixels or more: two pixels at a time over 8 channels (pixels8), one over 16
 * (pixels16: 16 words of lanes would not fit in registers), their lanes expanded into registers, against a stream of
 * each channel's bias, weights and scale on the stack (pointwise_stream) walked by LDMs. About 12.8 and 19
 * instructions an output over 8 and 16 channels (tc_pointwise_wide's pairs of pixels in memory: 19 and 23.7, the
 * default detector's layers 3 and 7 on the M4). */
void tc_pointwise_pixels(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output,
                         const tc_dims *out, int32_t offset2, const tc_output_params *p)
{
    int32_t stream[MATMUL_CHUNK * (16 / 2 + 4)];
    pointwise_stream(weights, in->c, out->c, p, stream);
    const int32_t pixels = out->n * out->h * out->w;
    const int8_t *end = output + pixels * out->c;
    if (in->c == 8) { /* an odd last pixel in a pair with the one before it again: one call site for each asm */
        const int32_t odd = pixels & 1;
        for (int32_t run = 0; run <= odd; ++run) {
            const int32_t from = run ? pixels - 2 : 0;
            const int8_t *stop = run ? end : end - odd * out->c;
            if (out->c == 8) {
                pixels8(input + from * 8, output + from * 8, stop, stream, offset2, 8);
            } else if (out->c == 16) {
                pixels8(input + from * 8, output + from * 16, stop, stream, offset2, 16);
            } else {
                pixels8(input + from * 8, output + from * out->c, stop, stream, offset2, 0);
            }
        }
    } else {
        pixels16(input, output, end, stream, offset2);
    }
}
#endif
