/* Runner mode: the board side of the serial protocol in docs/runner-protocol.md. The host loads an
 * input in chunks, asks for an inference and reads the output back; every frame carries a CRC-32,
 * and a repeated sequence number gets the cached reply again, so host retries are idempotent. */
#include <string.h>

#include "app.h"
#include "crc32.h"
#include "golden.h"
#include "model_info.h"
#include "platform.h"
#include "runner.h"

#define PROTOCOL_VERSION 1
#define SYNC0 0xA5u
#define SYNC1 0x5Au
#define HEADER_BYTES 8  /* sync (2), type, sequence (2, LE), payload length (2, LE), header check */
#define CRC_BYTES 4
#ifndef RUNNER_MAX_PAYLOAD
#define RUNNER_MAX_PAYLOAD 1024
#endif
#define FRAME_MAX (HEADER_BYTES + RUNNER_MAX_PAYLOAD + CRC_BYTES)

enum {
    HELLO = 0x01, LOAD = 0x02, INFER = 0x03, READ_OUTPUT = 0x04, READ_CYCLES = 0x05, BYE = 0x06,
    REPLY = 0x80, ERROR = 0x7F, BOOT = 0x70,
};
enum {
    ERR_UNKNOWN_TYPE = 1, ERR_BAD_LENGTH = 2, ERR_NO_SESSION = 3, ERR_BAD_OFFSET = 4, ERR_NO_INPUT = 5,
    ERR_NO_OUTPUT = 6,
};

static uint8_t rx[FRAME_MAX];
static size_t rx_length;
static uint8_t tx[FRAME_MAX];
static size_t tx_length;

static struct {
    int open;              /* a HELLO was answered since boot */
    int has_reply;         /* tx holds the reply to (reply_type, reply_seq) */
    uint8_t reply_type;
    uint16_t reply_seq;
    size_t loaded;         /* input bytes loaded so far, in order */
    int has_output;
    uint32_t cycles, input_crc, output_crc;
} state;

static uint32_t get_le(const uint8_t *p, int bytes)
{
    uint32_t value = 0;
    for (int i = bytes - 1; i >= 0; i--) {
        value = (value << 8) | p[i];
    }
    return value;
}

static uint8_t *put_le(uint8_t *p, uint32_t value, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        *p++ = (uint8_t)(value >> (8 * i));
    }
    return p;
}

static uint8_t *put_float(uint8_t *p, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return put_le(p, bits, 4);
}

/* 0xFF minus the sum of type, sequence and length: rejects most false sync markers at once. */
static uint8_t header_check(const uint8_t *frame)
{
    return (uint8_t)(0xFFu - (uint8_t)(frame[2] + frame[3] + frame[4] + frame[5] + frame[6]));
}

/* Drops the first n received bytes. */
static void consume(size_t n)
{
    memmove(rx, rx + n, rx_length - n);
    rx_length -= n;
}

/* Drops bytes up to the next possible frame start after rx[0]: how the receiver resynchronises. */
static void skip_to_next_sync(void)
{
    size_t i = 1;
    while (i < rx_length && !(rx[i] == SYNC0 && (i + 1 == rx_length || rx[i + 1] == SYNC1))) {
        i++;
    }
    consume(i);
}

/* Reads until rx starts with a whole frame whose CRC checks; returns its payload length, or -1
 * when the link closed. Garbage, a bad header or a bad CRC costs only the bytes up to the next sync. */
static int receive_frame(void)
{
    for (;;) {
        if ((rx_length >= 1 && rx[0] != SYNC0) || (rx_length >= 2 && rx[1] != SYNC1)) {
            skip_to_next_sync();
            continue;
        }
        if (rx_length >= HEADER_BYTES) {
            size_t length = get_le(rx + 5, 2);
            if (length > RUNNER_MAX_PAYLOAD || rx[7] != header_check(rx)) {
                skip_to_next_sync();
                continue;
            }
            size_t total = HEADER_BYTES + length + CRC_BYTES;
            if (rx_length >= total) {
                if (crc32_update(0, rx + 2, HEADER_BYTES - 2 + length) == get_le(rx + total - CRC_BYTES, 4)) {
                    return (int)length;
                }
                skip_to_next_sync();
                continue;
            }
        }
        int c = platform_serial_getc();
        if (c < 0) {
            return -1;
        }
        rx[rx_length++] = (uint8_t)c;
    }
}

/* Frames tx as (type, seq, payload already at tx + HEADER_BYTES) and sends it. */
static void send_frame(uint8_t type, uint16_t seq, size_t length)
{
    tx[0] = SYNC0;
    tx[1] = SYNC1;
    tx[2] = type;
    put_le(tx + 3, seq, 2);
    put_le(tx + 5, (uint32_t)length, 2);
    tx[7] = header_check(tx);
    put_le(tx + HEADER_BYTES + length, crc32_update(0, tx + 2, HEADER_BYTES - 2 + length), 4);
    tx_length = HEADER_BYTES + length + CRC_BYTES;
    platform_serial_write(tx, tx_length);
}

static uint8_t *put_tensor(uint8_t *p, const uint16_t *dims, int rank, float scale, int32_t zero_point,
                           uint32_t size)
{
    *p++ = (uint8_t)rank;
    for (int i = 0; i < rank; i++) {
        p = put_le(p, dims[i], 2);
    }
    p = put_float(p, scale);
    p = put_le(p, (uint32_t)zero_point, 4);
    return put_le(p, size, 4);
}

/* HELLO: the host's session id (4) -> what the board runs (see the protocol document). */
static int hello(const uint8_t *payload, size_t length, uint8_t *out)
{
    static const uint16_t input_dims[] = MODEL_INFO_INPUT_DIMS, output_dims[] = MODEL_INFO_OUTPUT_DIMS;
    static const uint8_t digest[MODEL_INFO_DIGEST_BYTES] = MODEL_INFO_DIGEST;
    static const char board[] = GOLDEN_BOARD_NAME;
    uint8_t *p = out;
    if (length != 4) {
        return -ERR_BAD_LENGTH;
    }
    state.open = 1;
    state.loaded = 0;
    state.has_output = 0;
    *p++ = PROTOCOL_VERSION;
    *p++ = (uint8_t)platform_has_cycle_counter();
    p = put_le(p, RUNNER_MAX_PAYLOAD, 2);
    p = put_le(p, get_le(payload, 4), 4);
    memcpy(p, digest, sizeof digest);
    p += sizeof digest;
    *p++ = (uint8_t)(sizeof board - 1);
    memcpy(p, board, sizeof board - 1);
    p += sizeof board - 1;
    p = put_tensor(p, input_dims, sizeof input_dims / sizeof input_dims[0], MODEL_INPUT_SCALE,
                   MODEL_INPUT_ZERO_POINT, MODEL_INPUT_SIZE);
    p = put_tensor(p, output_dims, sizeof output_dims / sizeof output_dims[0], MODEL_OUTPUT_SCALE,
                   MODEL_OUTPUT_ZERO_POINT, MODEL_OUTPUT_SIZE);
    p = put_le(p, platform_clock_hz(), 4);   /* last: a host from before it reads the fields above alone */
    return (int)(p - out);
}

/* LOAD: offset (4) then data; chunks come in order (offset 0 starts a new input). */
static int load(const uint8_t *payload, size_t length, uint8_t *out)
{
    if (length < 4) {
        return -ERR_BAD_LENGTH;
    }
    size_t offset = get_le(payload, 4), n = length - 4;
    if ((offset != 0 && offset != state.loaded) || offset + n > MODEL_INPUT_SIZE) {
        return -ERR_BAD_OFFSET;
    }
    memcpy((uint8_t *)app_input + offset, payload + 4, n);
    state.loaded = offset + n;
    put_le(out, (uint32_t)state.loaded, 4);
    return 4;
}

static int infer(uint8_t *out)
{
    if (state.loaded != MODEL_INPUT_SIZE) {
        return -ERR_NO_INPUT;
    }
    state.cycles = app_timed_invoke(app_input);
    state.input_crc = crc32_update(0, app_input, MODEL_INPUT_SIZE);
    state.output_crc = crc32_update(0, app_output, MODEL_OUTPUT_SIZE);
    state.loaded = 0;
    state.has_output = 1;
    uint8_t *p = put_le(out, state.cycles, 4);
    p = put_le(p, state.input_crc, 4);
    p = put_le(p, state.output_crc, 4);
    put_le(p, MODEL_OUTPUT_SIZE, 4);
    return 16;
}

/* READ_OUTPUT: offset (4), length (2) -> offset (4) then the bytes. */
static int read_output(const uint8_t *payload, size_t length, uint8_t *out)
{
    if (length != 6) {
        return -ERR_BAD_LENGTH;
    }
    if (!state.has_output) {
        return -ERR_NO_OUTPUT;
    }
    size_t offset = get_le(payload, 4), n = get_le(payload + 4, 2);
    if (offset + n > MODEL_OUTPUT_SIZE || n > RUNNER_MAX_PAYLOAD - 4) {
        return -ERR_BAD_OFFSET;
    }
    put_le(out, (uint32_t)offset, 4);
    memcpy(out + 4, (const uint8_t *)app_output + offset, n);
    return (int)(4 + n);
}

/* The reply payload's length, or -error code. */
static int execute(uint8_t type, const uint8_t *payload, size_t length, uint8_t *out)
{
    if (type == HELLO) {
        return hello(payload, length, out);
    }
    if (!state.open) {
        return -ERR_NO_SESSION;  /* the board restarted since the host's HELLO */
    }
    switch (type) {
    case LOAD:
        return load(payload, length, out);
    case INFER:
        return infer(out);
    case READ_OUTPUT:
        return read_output(payload, length, out);
    case READ_CYCLES:
        put_le(out, state.cycles, 4);
        out[4] = (uint8_t)platform_has_cycle_counter();
        return 5;
    case BYE:
        return 0;
    default:
        return -ERR_UNKNOWN_TYPE;
    }
}

static void announce_boot(void)
{
    uint8_t *p = tx + HEADER_BYTES;
    *p++ = PROTOCOL_VERSION;
    memcpy(p, "tinyctl", 7);
    send_frame(BOOT, 0, 8);
}

int runner_main(void)
{
    announce_boot();
    for (;;) {
        int length = receive_frame();
        if (length < 0) {
            return 1;
        }
        uint8_t type = rx[2];
        uint16_t seq = (uint16_t)get_le(rx + 3, 2);
        if (state.has_reply && seq == state.reply_seq && type == state.reply_type) {
            platform_serial_write(tx, tx_length);  /* a retry: the same answer, not a second execution */
        } else {
            int result = execute(type, rx + HEADER_BYTES, (size_t)length, tx + HEADER_BYTES);
            if (result < 0) {
                tx[HEADER_BYTES] = (uint8_t)-result;
                tx[HEADER_BYTES + 1] = type;
                send_frame(ERROR, seq, 2);
            } else {
                send_frame((uint8_t)(type | REPLY), seq, (size_t)result);
            }
            state.has_reply = 1;
            state.reply_type = type;
            state.reply_seq = seq;
        }
        consume(HEADER_BYTES + (size_t)length + CRC_BYTES);
        if (type == BYE) {
            return 0;
        }
    }
}
