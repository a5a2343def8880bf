/* CONV_2D's 1x1 layers on int16 weights on cores with the DSP extension, without padding before the image and
 * their inputs inside it (conv2d_matmul.c hands them over): pairs of pixels expanded straight from the input and
 * each chunk's blocks requantised in registers (tc_pointwise_wide, written out over 8 and 16 channels into
 * [-128, 127]); at stride 1 over 8 or 16 channels into [-128, 127] two pixels at a time, their lanes in registers
 * (over 16 channels in two halves), against a stream of each channel's weights and scale (tc_pointwise_pixels). */
#include "conv2d_wide_asm.h"

#if TC_DSP
/* tc_pointwise_wide's stack, in scales: two pixels' int16 lanes, then as many channels' scales as the rest holds,
 * the channels of a pass (each pixel is expanded once per pass): over 288 input channels 64. */
#define POINTWISE_STACK_SCALES (MATMUL_MAX_DEPTH * 2 / 2 / 4 + 2 * MATMUL_CHUNK)

/* A 1x1 convolution without padding over whole words of input channels into an even number of output
 * channels: each pair of pixels expanded straight from the input (expand_pair; at stride 1 neighbours, without
 * the divisions for their coordinates), then all of a chunk's blocks in blocks2x2_wide_outputs, written out
 * over 8 and 16 channels into [-128, 127] (over 32 too, or into a narrower range, they would cost 0.5 and 1 KB
 * of flash more, over the firmware's code-size bound). Without the patch pointers, bands, tails and odd channels
 * of matmul_dsp, a pair of pixels over 8 channels costs about 60 instructions outside the blocks rather than 150.
 * The code generator gives the layers over 32 to 288 channels in sixteens into [-128, 127] their fused stream
 * instead (tc_pointwise_fused_s8, three pixels at a time). */
void tc_pointwise_wide(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output,
                       const tc_dims *out, const tc_window *win, int32_t offset2, const tc_output_params *p)
{
    const int32_t depth = in->c, channels = out->c, pixels = out->n * out->h * out->w;
    const int full = p->min == -128 && p->max == 127;
    const int contiguous = win->stride_h == 1 && win->stride_w == 1 && out->h == in->h && out->w == in->w;
    tc_channel_scale stack[POINTWISE_STACK_SCALES];
    int32_t *const lanes = (int32_t *)stack; /* two pixels' int16 copy */
    const int32_t lane_scales = (depth + 3) / 4, most = (POINTWISE_STACK_SCALES - lane_scales) & ~1;
    tc_channel_scale *const scales = stack + lane_scales;
    wide_outputs_job job = wide_outputs_job_of(depth / 4, channels, p);
    for (int32_t first = 0; first < channels; first += most) {
        const int32_t chunk = channels - first < most ? channels - first : most;
        const int16_t *w = weights + first * depth;
        tc_channel_scales(p, first, chunk, scales);
        for (int32_t px = 0; px < pixels; px += 2) {
            const int32_t second = px + 1 < pixels ? px + 1 : px; /* an odd last pixel twice */
            int32_t at = px * depth, step = (second - px) * depth;
            if (!contiguous) {
                at = pointwise_offset(in, out, win, px), step = pointwise_offset(in, out, win, second) - at;
            }
            int8_t *output0 = output + px * channels + first;
            expand_pair(input + at, step, offset2, lanes, job.groups);
            job.scales = scales, job.end = output0 + chunk, job.second = (second - px) * channels;
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

/* Channel c's int16 weights over groups g0 .. g1 - 1 of 4 input channels, doubled, at stream on: each group's words
 * in its block (tc_wide_index: the even and the odd pairs, as the lanes). Returns the stream past them. */
static int32_t *stream_weights(const int16_t *weights, int32_t depth, int32_t c, int32_t g0, int32_t g1,
                               int32_t *stream)
{
    const int16_t *group = weights + (c & ~1) * depth + (c & 1) * 4 + g0 * 2 * 4;
    for (int32_t g = g0; g < g1; ++g, group += 2 * 4) { /* the block's other channel between groups */
        int32_t even, odd;
        memcpy(&even, group, sizeof even);
        memcpy(&odd, group + 2, sizeof odd);
        *stream++ = __sadd16(even, even);
        *stream++ = __sadd16(odd, odd);
    }
    return stream;
}

/* Channel c's scale as the stream's last three words, multiplier, round and right, from stream on: the right of each
 * fourth channel but the last has 256 added, the loop's test for more, and every right the channel count from bit 16
 * (the step to the second pixel's outputs; ASR reads the low byte alone). */
static void stream_scale(const tc_channel_scale *s, int32_t c, int32_t channels, int32_t *stream)
{
    stream[0] = s->multiplier;
    stream[1] = s->round;
    stream[2] = s->right + (c % 4 == 3 && c + 1 < channels ? 256 : 0) + (channels << 16);
}

/* The words a channel takes in each half of pixels16's stream, and where its first half starts. */
#define PIXELS16_CHANNEL_WORDS 7
#define PIXELS16_FIRST_HALF (PIXELS16_CHANNEL_WORDS * MATMUL_CHUNK)

/* The stream tc_pointwise_pixels walks, channel after channel of a 1x1 layer over `depth` (8 or 16) input channels
 * into a multiple of 4, with doubled weights (stream_weights), so that the sum is tc_scale_fast's operand
 * bias2 + 2 * acc (|bias2 + 2 * acc| < 2^31 where the scale is fast). Over 8: per channel twice its bias (the sum's
 * start), its weights and its scale (stream_scale). Over 16, in two halves of PIXELS16_CHANNEL_WORDS a channel: per
 * channel its last 8 input channels' weights and its scale from stream on, and PIXELS16_FIRST_HALF words on twice its
 * bias, its first 8 input channels' weights and two words where pixels16's first half leaves the two pixels' sums
 * (so that its second half finds them a constant offset from its own words). */
static void pointwise_stream(const int16_t *weights, int32_t depth, int32_t channels, const tc_output_params *p,
                             int32_t *stream)
{
    for (int32_t c = 0; c < channels; ++c) {
        tc_channel_scale s;
        tc_channel_scales(p, c, 1, &s);
        if (depth == 8) {
            *stream++ = s.bias2;
            stream = stream_weights(weights, depth, c, 0, 2, stream);
            stream_scale(&s, c, channels, stream);
            stream += 3;
            continue;
        }
        int32_t *second = stream + PIXELS16_CHANNEL_WORDS * c, *first = second + PIXELS16_FIRST_HALF;
        stream_scale(&s, c, channels, stream_weights(weights, depth, c, 2, 4, second));
        first[0] = s.bias2;
        stream_weights(weights, depth, c, 0, 2, first + 1);
    }
}

/* One channel's sums at the two pixels from a0 and a1 in pixels8's and pixels16's asm: its next two weight words
 * against the lanes x0 .. x3 and y0 .. y3. */
#define PIXEL_PAIR_SUMS                                                                                                \
    "ldm %[s]!, {%[k0], %[k1]}\n\t"                                                                                    \
    "smlad %[a0], %[k0], %[x2], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k0], %[y2], %[a1]\n\t"                                                                             \
    "smlad %[a0], %[k1], %[x3], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k1], %[y3], %[a1]\n\t"
/* ... its sums started from the bias in a0 (pixels8; pixels16's first half): the bias and the first two weight words
 * by one LDM, the second pixel's sum started by its first SMLAD's accumulate operand. */
#define PIXEL_PAIR_FROM_BIAS                                                                                           \
    "ldm %[s]!, {%[a0], %[k0], %[k1]}\n\t"                                                                            \
    "smlad %[a1], %[k0], %[y0], %[a0]\n\t"                                                                             \
    "smlad %[a0], %[k0], %[x0], %[a0]\n\t"                                                                             \
    "smlad %[a0], %[k1], %[x1], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k1], %[y1], %[a1]\n\t" PIXEL_PAIR_SUMS
/* ... the two sums requantised as TC_SCALE_DOUBLED_ASM with the rounding term loaded again for the second (no
 * register is left for it), the second pixel's output stored by `second_store`, the first's at out, which moves on. */
#define PIXEL_PAIR_OUTPUT(second_store)                                                                                \
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
/* The second pixel's store `channels` (the right's word from bit 16) or `fixed` bytes on, and the step past its
 * outputs. */
#define PIXEL_SECOND_COUNT                                                                                             \
    "lsrs %[k0], %[k1], #16\n\t"                                                                                       \
    "strb %[a1], [%[out], %[k0]]\n\t"
#define PIXEL_PAST_COUNT "add %[out], %[out], %[k1], lsr #16\n\t"
#define PIXEL_SECOND_FIXED "strb %[a1], [%[out], #%c[fixed]]\n\t"
#define PIXEL_PAST_FIXED "add %[out], %[out], #%c[fixed]\n\t"
/* Two words of each of the two pixels (in a0, a1 and k0, k1) expanded into their lanes x0 .. x3 and y0 .. y3, the
 * offset in s. */
#define PIXEL_PAIR_LANES                                                                                               \
    "sxtab16 %[x0], %[s], %[a0]\n\t"                                                                                   \
    "sxtab16 %[x1], %[s], %[a0], ror #8\n\t"                                                                           \
    "sxtab16 %[x2], %[s], %[a1]\n\t"                                                                                   \
    "sxtab16 %[x3], %[s], %[a1], ror #8\n\t"                                                                           \
    "sxtab16 %[y0], %[s], %[k0]\n\t"                                                                                   \
    "sxtab16 %[y1], %[s], %[k0], ror #8\n\t"                                                                           \
    "sxtab16 %[y2], %[s], %[k1]\n\t"                                                                                   \
    "sxtab16 %[y3], %[s], %[k1], ror #8\n\t"
/* The registers of pixels8 and pixels16: the stream, two sums, two words of it, the output, each pixel's 4 lanes. */
#define PIXEL_PAIR_REGISTERS                                                                                           \
    register const int32_t *s __asm("r0");                                                                             \
    register int32_t a0 __asm("r1"), a1 __asm("r2"), k0 __asm("r3"), k1 __asm("r4");                                  \
    register int8_t *out __asm("r5") = output;                                                                         \
    register int32_t x0 __asm("r6"), x1 __asm("r7"), x2 __asm("r8"), x3 __asm("r9");                                  \
    register int32_t y0 __asm("r10"), y1 __asm("r11"), y2 __asm("r12"), y3 __asm("lr")
#define PIXEL_PAIR_OUTPUTS                                                                                             \
    [s] "=&r"(s), [a0] "=&r"(a0), [a1] "=&r"(a1), [k0] "=&r"(k0), [k1] "=&r"(k1), [x0] "=&r"(x0), [x1] "=&r"(x1),      \
        [x2] "=&r"(x2), [x3] "=&r"(x3), [y0] "=&r"(y0), [y1] "=&r"(y1), [y2] "=&r"(y2), [y3] "=&r"(y3),                \
        [out] "+r"(out), [in] "+m"(input)

/* tc_pointwise_pixels over 8 channels, two pixels at a time: their 4 words of lanes each in x0 .. x3 and y0 .. y3,
 * each channel's bias, weights and scale loaded once for both (MobileNet's 48x48x8->16 on the M4: 19.4 estimated
 * cycles an output, against 21.8 one pixel at a time), the second pixel's output `channels` bytes on (in the right's
 * word from bit 16, or `fixed`, a constant 8 or 16: MobileNet's 48x48x8->16 and the default detector's 32x32x8->8,
 * whose second stores take an immediate offset, 2 cycles a channel fewer than the count's extraction and a register
 * offset: 676.7 k -> 640.0 k estimated cycles in MobileNet's layer); the pixels' input, offset and end on the
 * stack. */
static inline __attribute__((always_inline)) void pixels8(const int8_t *input, int8_t *output, const int8_t *end,
                                                          const int32_t *stream, int32_t offset2, const int32_t fixed)
{
    PIXEL_PAIR_REGISTERS;
#define PIXELS8_ASM(second, past)                                                                                      \
    __asm volatile("2:\n\t"                                                                                           \
                   "ldr %[s], %[in]\n\t"                                                                              \
                   "ldm %[s]!, {%[a0], %[a1], %[k0], %[k1]}\n\t"                                                      \
                   "str %[s], %[in]\n\t"                                                                              \
                   "ldr %[s], %[offset2]\n\t" PIXEL_PAIR_LANES                                                        \
                   "ldr %[s], %[stream]\n"                                                                             \
                   "1:\n\t" PIXEL_PAIR_FROM_BIAS PIXEL_PAIR_OUTPUT(second) PIXEL_PAIR_FROM_BIAS                       \
                   PIXEL_PAIR_OUTPUT(second) PIXEL_PAIR_FROM_BIAS PIXEL_PAIR_OUTPUT(second) PIXEL_PAIR_FROM_BIAS      \
                   PIXEL_PAIR_OUTPUT(second)                                                                           \
                   "tst %[k1], #256\n\t"                                                                              \
                   "bne 1b\n\t" past /* past the second pixel's outputs */                                            \
                   "ldr %[a0], %[end]\n\t"                                                                            \
                   "cmp %[out], %[a0]\n\t"                                                                            \
                   "bne 2b"                                                                                           \
                   : PIXEL_PAIR_OUTPUTS                                                                                \
                   : [offset2] "m"(offset2), [end] "m"(end), [stream] "m"(stream), [fixed] "n"(fixed)                 \
                   : "cc", "memory")
    if (fixed) {
        PIXELS8_ASM(PIXEL_SECOND_FIXED, PIXEL_PAST_FIXED);
    } else {
        PIXELS8_ASM(PIXEL_SECOND_COUNT, PIXEL_PAST_COUNT);
    }
#undef PIXELS8_ASM
}

/* pixels16's first half, one channel: its sums over the first 8 input channels left in the stream's two words after
 * its weights. */
#define PIXEL16_FIRST PIXEL_PAIR_FROM_BIAS "stm %[s]!, {%[a0], %[a1]}\n\t"
/* ... its second half: the sums picked up where the first half left them, `sums` bytes on (PIXELS16_FIRST_HALF words
 * and the bias and 4 weight words), the last 8 input channels' weights added, the outputs. The four single loads back
 * to back: 5 cycles, an LDRD and an LDM 6. */
#define PIXEL16_SECOND(second_store)                                                                                   \
    "ldr %[a0], [%[s], #%c[sums]]\n\t"                                                                                 \
    "ldr %[a1], [%[s], #%c[sums] + 4]\n\t"                                                                             \
    "ldr %[k1], [%[s], #4]\n\t"                                                                                        \
    "ldr %[k0], [%[s]], #8\n\t"                                                                                        \
    "smlad %[a0], %[k0], %[x0], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k0], %[y0], %[a1]\n\t"                                                                             \
    "smlad %[a0], %[k1], %[x1], %[a0]\n\t"                                                                             \
    "smlad %[a1], %[k1], %[y1], %[a1]\n\t" PIXEL_PAIR_SUMS PIXEL_PAIR_OUTPUT(second_store)
/* Two of the pixels' words (`at` and `at` + 4 bytes into the first, 16 bytes further into the second) expanded into
 * the lanes, the pixels from the input on the stack. */
#define PIXEL16_WORDS(at)                                                                                              \
    "ldr %[s], %[in]\n\t"                                                                                              \
    "ldr %[a0], [%[s], #" #at "]\n\t"                                                                                  \
    "ldr %[a1], [%[s], #" #at " + 4]\n\t"                                                                              \
    "ldr %[k0], [%[s], #" #at " + 16]\n\t"                                                                             \
    "ldr %[k1], [%[s], #" #at " + 20]\n\t"                                                                             \
    "ldr %[s], %[offset2]\n\t" PIXEL_PAIR_LANES

/* tc_pointwise_pixels over 16 channels, two pixels at a time in two halves of 8 input channels, each pixel's 4 words
 * of a half's lanes in x0 .. x3 and y0 .. y3 (16 would not fit in registers): the first half walks the channels'
 * bias and first weights (out, free then, holds where they end), leaving each channel's two sums in the stream, the
 * second picks them up and adds the last weights, then requantises (pointwise_stream); each weight word serves two
 * pixels, against one at a time before (MobileNet's 24x24x16->32 on the M4: 573.3 k -> 507.5 k estimated cycles, 27.5
 * an output, in 1.6 instructions an output more: the sums' store and loads). The output's second pixel as in pixels8
 * (a constant 32: MobileNet's layer); the pixels' input, offset and end, and the output while the first half runs, on
 * the stack. */
static inline __attribute__((always_inline)) void pixels16(const int8_t *input, int8_t *output, const int8_t *end,
                                                           const int32_t *stream, int32_t offset2, int32_t channels,
                                                           const int32_t fixed)
{
    PIXEL_PAIR_REGISTERS;
    const int32_t *first = stream + PIXELS16_FIRST_HALF, *first_end = first + PIXELS16_CHANNEL_WORDS * channels;
    int8_t *saved = output;
#define PIXELS16_ASM(second, past)                                                                                     \
    __asm volatile("2:\n\t" PIXEL16_WORDS(0)                                                                         \
                   "str %[out], %[saved]\n\t"                                                                         \
                   "ldr %[out], %[first_end]\n\t"                                                                     \
                   "ldr %[s], %[first]\n"                                                                              \
                   "1:\n\t" PIXEL16_FIRST PIXEL16_FIRST PIXEL16_FIRST PIXEL16_FIRST                                   \
                   "cmp %[s], %[out]\n\t"                                                                             \
                   "bne 1b\n\t" PIXEL16_WORDS(8)                                                                      \
                   "ldr %[s], %[in]\n\t"                                                                              \
                   "adds %[s], %[s], #32\n\t"                                                                         \
                   "str %[s], %[in]\n\t"                                                                              \
                   "ldr %[out], %[saved]\n\t"                                                                         \
                   "ldr %[s], %[stream]\n"                                                                             \
                   "3:\n\t" PIXEL16_SECOND(second) PIXEL16_SECOND(second) PIXEL16_SECOND(second)                      \
                   PIXEL16_SECOND(second)                                                                              \
                   "tst %[k1], #256\n\t"                                                                              \
                   "bne 3b\n\t" past /* past the second pixel's outputs */                                            \
                   "ldr %[a0], %[end]\n\t"                                                                            \
                   "cmp %[out], %[a0]\n\t"                                                                            \
                   "bne 2b"                                                                                           \
                   : PIXEL_PAIR_OUTPUTS, [saved] "+m"(saved)                                                           \
                   : [offset2] "m"(offset2), [end] "m"(end), [stream] "m"(stream), [first] "m"(first),               \
                     [first_end] "m"(first_end), [fixed] "n"(fixed), [sums] "n"(4 * PIXELS16_FIRST_HALF + 4 * 5)      \
                   : "cc", "memory")
    if (fixed) {
        PIXELS16_ASM(PIXEL_SECOND_FIXED, PIXEL_PAST_FIXED);
    } else {
        PIXELS16_ASM(PIXEL_SECOND_COUNT, PIXEL_PAST_COUNT);
    }
#undef PIXELS16_ASM
}

/* A 1x1 convolution at stride 1 without padding over 8 or 16 input channels into 4 to 32 (a chunk) output channels
 * in fours, in [-128, 127], over two pixels or more, two pixels at a time (pixels8, pixels16: over 16 channels in
 * two halves of 8), their lanes expanded into registers, against a stream of each channel's bias, weights and scale
 * on the stack (pointwise_stream) walked by LDMs; an odd last pixel in a pair with the one before it again (one call
 * site for each asm). About 12.9 and 21.2 instructions an output over 8 and 16 channels, 18.2 and 29.7 estimated
 * cycles (tc_pointwise_wide's pairs of pixels in memory: 19 and 23.7 instructions; the default detector's layers 3 and
 * 7 on the M4; one pixel at a time over 16, 19 instructions and 32.3 estimated cycles). */
void tc_pointwise_pixels(const int8_t *input, const tc_dims *in, const int16_t *weights, int8_t *output,
                         const tc_dims *out, int32_t offset2, const tc_output_params *p)
{
    int32_t stream[2 * PIXELS16_FIRST_HALF];
    pointwise_stream(weights, in->c, out->c, p, stream);
    const int32_t pixels = out->n * out->h * out->w, odd = pixels & 1, depth = in->c, channels = out->c;
    const int8_t *end = output + pixels * channels;
    for (int32_t run = 0; run <= odd; ++run) {
        const int32_t from = run ? pixels - 2 : 0;
        const int8_t *x = input + from * depth, *stop = run ? end : end - odd * channels;
        int8_t *o = output + from * channels;
        if (depth == 8 && channels == 8) {
            pixels8(x, o, stop, stream, offset2, 8);
        } else if (depth == 8 && channels == 16) {
            pixels8(x, o, stop, stream, offset2, 16);
        } else if (depth == 8) {
            pixels8(x, o, stop, stream, offset2, 0);
        } else if (channels == 32) {
            pixels16(x, o, stop, stream, offset2, channels, 32);
        } else {
            pixels16(x, o, stop, stream, offset2, channels, 0);
        }
    }
}
#endif
