/* The firmware app. Modes (the command line, from semihosting under QEMU or argv on the host):
 *   selftest (default)  run the embedded golden inputs, compare with the embedded expected outputs
 *                       (computed by the TFLite-Micro oracle at build time), print verdict and cost;
 *                       exit 0 when every output matches, 1 otherwise.
 *   batch IN OUT        run every MODEL_INPUT_SIZE-byte record of host file IN, write the outputs to OUT.
 *   runner              serve the serial protocol of docs/runner-protocol.md (the default on a board
 *                       without a debugger, where there is no command line). */
#include <string.h>

#include "app.h"
#include "console.h"
#include "golden.h"
#include "model.h"
#include "platform.h"
#include "runner.h"

static int first_difference(const int8_t *a, const int8_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return i;
        }
    }
    return -1;
}

static int selftest(void)
{
    int matched = 0;
    uint32_t cycles = 0;
    console_puts("tinyctl self-test: " GOLDEN_MODEL_NAME " on " GOLDEN_BOARD_NAME "\r\n");
    for (int i = 0; i < GOLDEN_COUNT; i++) {
        const int8_t *expected = golden_outputs + i * MODEL_OUTPUT_SIZE;
        /* into the input buffer in RAM first, as run mode's inputs arrive and an application's would (a sensor's
         * buffer): the timed inference reads it there, not from the golden data in flash */
        memcpy(app_input, golden_inputs + i * MODEL_INPUT_SIZE, MODEL_INPUT_SIZE);
        cycles += app_timed_invoke(app_input);
        int at = first_difference(app_output, expected, MODEL_OUTPUT_SIZE);
        if (at < 0) {
            matched++;
            continue;
        }
        console_puts("mismatch: input ");
        console_put_int(i);
        console_puts(" output[");
        console_put_int(at);
        console_puts("] = ");
        console_put_int(app_output[at]);
        console_puts(", expected ");
        console_put_int(expected[at]);
        console_puts("\r\n");
    }
    console_puts("golden outputs matched: ");
    console_put_int(matched);
    console_puts("/");
    console_put_int(GOLDEN_COUNT);
    console_puts("\r\ncycles per inference: ");
    if (cycles != 0) {
        console_put_uint(cycles / GOLDEN_COUNT);
    } else {
        console_puts("n/a (no cycle counter; under QEMU the host counts instructions)");
    }
    if (platform_stack_peak() != 0) {
        console_puts("\r\nstack peak: ");
        console_put_uint(platform_stack_peak());
        console_puts(" bytes");
    }
    console_puts(matched == GOLDEN_COUNT ? "\r\nPASS\r\n" : "\r\nFAIL\r\n");
    return matched == GOLDEN_COUNT ? 0 : 1;
}

static int batch(const char *in_path, const char *out_path)
{
    int in = platform_file_open(in_path, 0);
    int out = in < 0 ? -1 : platform_file_open(out_path, 1);
    int count = 0;
    if (in < 0 || out < 0) {
        console_puts("batch: cannot open the input or output file\r\n");
        return 2;
    }
    while (platform_file_read(in, app_input, sizeof app_input) == sizeof app_input) {
        app_timed_invoke(app_input);
        if (platform_file_write(out, app_output, sizeof app_output) != sizeof app_output) {
            console_puts("batch: cannot write the output file\r\n");
            return 2;
        }
        count++;
    }
    platform_file_close(in);
    platform_file_close(out);
    console_puts("batch: inferences ");
    console_put_int(count);
    console_puts("\r\n");
    return 0;
}

/* Copies the next space-separated word of *args into word (NUL-terminated) and advances *args. */
static void next_word(const char **args, char *word, size_t size)
{
    size_t n = 0;
    while (**args == ' ') {
        (*args)++;
    }
    while (**args != '\0' && **args != ' ' && n + 1 < size) {
        word[n++] = *(*args)++;
    }
    word[n] = '\0';
}

int app_main(const char *args)
{
    char mode[16], in_path[96], out_path[96];
    next_word(&args, mode, sizeof mode);
    if (mode[0] == '\0' || strcmp(mode, "selftest") == 0) {
        return selftest();
    }
    if (strcmp(mode, "batch") == 0) {
        next_word(&args, in_path, sizeof in_path);
        next_word(&args, out_path, sizeof out_path);
        return batch(in_path, out_path);
    }
    if (strcmp(mode, "runner") == 0) {
        return runner_main();
    }
    console_puts("unknown mode (expected: selftest | batch IN OUT | runner)\r\n");
    return 2;
}
