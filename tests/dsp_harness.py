"""Run the engine's MAC kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD/SUB/MUL) as bare-metal
Cortex-M firmware under QEMU and on the host, on the same cases, to compare the Cortex-M DSP paths with
the portable C bit for bit and to count instructions (and, where the core has a cycle table, estimated cycles)
per MAC.

A case is one record of int32 words in a host file the firmware reads over semihosting:
    [0] record bytes  [1] kind  [2 .. 2+PARAMS) int32 parameters  [.. +ARRAYS) byte offsets of the arrays
    from the record's start (0: NULL), then the arrays, at offsets the host picks (misaligned on purpose).
The firmware writes each case's output bytes to out.bin, and calls dsp_mark() just before and just after
each kernel call, so the counting plugin gives the kernel's own instructions and timing classes.

`python tests/dsp_harness.py` prints instructions per MAC on Cortex-M4 (portable and DSP) and Cortex-M7 (DSP), and
the Cortex-M4 DSP build's estimated cycles per MAC.
The tests also run the cases on Cortex-M0+, Cortex-M33 (with and without its DSP extension) and Cortex-M55."""

from __future__ import annotations

import ctypes
import dataclasses
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kernel_harness import build_engine  # noqa: E402
from tinyctl.engine import AddParams, MulParams, quantize_multiplier  # noqa: E402
from tinyctl.engine import plane_stream  # noqa: E402
from tinyctl.engine.ops.binary import add_tables  # noqa: E402
from tinyctl.engine.ops.weighted import fast_scale  # noqa: E402
from tinyctl.engine.params import Int8IO as IOValues  # noqa: E402
from tinyctl.engine.params import Window as WindowGeometry  # noqa: E402
from tinyctl.engine.window_in_place import in_place_shift  # noqa: E402
from tinyctl.engine.wide_weights import (CONV_BLOCK, FC_BLOCK, fuse_fc, fuse_pointwise,  # noqa: E402
                                         fused_blocks_shape, widen)
from tinyctl.cflags import (APP_DEFINES, LIBC_SPECS, OPTIMISATION, board_cflags, board_defines,  # noqa: E402
                           firmware_cflags, link_flags)
from tinyctl.cycle_model import estimated_cycles, estimates_cycles  # noqa: E402
from tinyctl.firmware import (CORTEX_M_DIR, PLATFORMS_DIR, console_uart, emulated_platform, linker_script,  # noqa: E402
                              platform_defines, symbol_address, write_platform)
from tinyctl.paths import FIRMWARE_TEMPLATES_DIR  # noqa: E402
from tinyctl.qemu import run_firmware  # noqa: E402
from tinyctl.targets import Board, resolve_board  # noqa: E402

ENGINE_DIR = FIRMWARE_TEMPLATES_DIR / "engine"
ENGINE_SOURCES = ("conv2d.c", "conv2d_matmul.c", "conv2d_pointwise.c", "conv2d_triples.c", "conv2d_window.c",
                  "conv2d_window_rgb.c", "conv2d_window_small.c", "depthwise_conv2d.c", "depthwise_plane.c",
                  "depthwise_plane_rows.c", "fully_connected.c", "fully_connected_fused.c", "add_sub.c", "mul.c",
                  "max_pool2d.c", "average_pool2d.c", "mean.c", "requantize.c", "copy_words.c",
                  "conv2d_pointwise_fused.c")
PARAMS, ARRAYS = 32, 8
HEADER_WORDS = 2 + PARAMS + ARRAYS
RECORD_BYTES = 64 * 1024   # the firmware's record buffer at most (the F446 has 128 KiB of RAM)
OUTPUT_BYTES = 16 * 1024   # and its output buffer; build_and_run sizes both to the largest case
(CONV, DEPTHWISE, FC, ADD, SUB, ADD_TABLE, MUL, MAX_POOL, MEAN, CONV_WIDE, FC_WIDE, FC_FUSED, DW_PLANES,
 AVG_POOL, COPY, CONV_FUSED) = range(1, 17)
KIND_NAMES = {CONV: "conv", DEPTHWISE: "depthwise", FC: "fc", ADD: "add", SUB: "sub", ADD_TABLE: "add table",
              MUL: "mul", MAX_POOL: "max pool", AVG_POOL: "average pool", MEAN: "mean", CONV_WIDE: "conv int16 weights",
              FC_WIDE: "fc int16 weights", FC_FUSED: "fc fused", DW_PLANES: "depthwise channel records",
              COPY: "copy words", CONV_FUSED: "conv 1x1 fused"}

# (name, board, compiler flags beyond the board's): the builds the tests run.
TARGETS = {
    "m4_dsp": ("nucleo-f446re", []),
    "m4_dsp_Os": ("nucleo-f446re", ["-Os"]),
    "m4_portable": ("nucleo-f446re", ["-DTC_PORTABLE"]),
    "m7_dsp": ("disco-f746ng", []),
    "m0plus": ("nucleo-g0b1re", []),   # ARMv6-M on the micro:bit, which traps unaligned accesses
    "m33_dsp": ("nucleo-u575zi", []),
    "m33_nodsp": ("nucleo-u575zi", ["-mcpu=cortex-m33+nodsp"]),   # an M33 without the optional DSP extension
    "m55_dsp": ("mps3-an547", []),
}

MAIN_C = r"""/* dsp_harness firmware: runs the cases of cases.bin (semihosting) through the engine kernels and
 * writes each output to out.bin. Exit codes: 0 done, 2 bad input file, 3 a kernel wrote outside its
 * output. */
#include <stdint.h>
#include <string.h>

#include "platform.h"
#include "tinyctl_engine.h"

#define PARAMS 32
#define ARRAYS 8
#define GUARD 16
#define GUARD_BYTE 0x5A

static uint32_t record[RECORD_BYTES / 4];
/* PASSES */
static int8_t output_area[OUTPUT_BYTES + 2 * GUARD + 3] __attribute__((aligned(4)));
static int32_t in_place_extent; /* an in-place case's output and the input above it, in the output area */

/* The instruction-count plugin snapshots its count each time execution gets here. */
__attribute__((noinline, noipa, used)) void dsp_mark(void)
{
    __asm volatile("" ::: "memory");
}

static const void *array_at(uint32_t offset)
{
    return offset ? (const void *)((const uint8_t *)record + offset) : 0;
}

static tc_dims dims_at(const int32_t *p)
{
    tc_dims d = {p[0], p[1], p[2], p[3]};
    return d;
}

static int32_t run_case(int32_t kind, const int32_t *p, const uint32_t *a, int8_t *output)
{
    const tc_int8_io io = {p[18], p[19], p[20], p[21]};
    const tc_requant rq = {array_at(a[3]), array_at(a[4]), p[22]};
    if (kind == 10) { /* CONV_2D on int16 pre-widened weights (word-aligned in the record) */
        const tc_dims in = dims_at(p), wd = dims_at(p + 4), out = dims_at(p + 8);
        const tc_window win = {p[12], p[13], p[14], p[15], p[16], p[17]};
        dsp_mark();
        tc_conv2d_wide_s8(array_at(a[0]), &in, array_at(a[1]), &wd, array_at(a[2]), output, &out, &win, &io, &rq);
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 11) {
        dsp_mark();
        tc_fully_connected_wide_s8(array_at(a[0]), p[0], p[1], array_at(a[1]), p[2], array_at(a[2]), output, &io,
                                   &rq);
        dsp_mark();
        return p[0] * p[2];
    }
    if (kind == 12) { /* FULLY_CONNECTED on its fused stream, the output p[25] bytes off a word */
        dsp_mark();
        tc_fully_connected_fused_s8(array_at(a[0]), p[0], p[1], array_at(a[1]), p[2], output, &io);
        dsp_mark();
        return p[0] * p[2];
    }
    if (kind == 16) { /* a 1x1 CONV_2D on its fused stream */
        const tc_dims in = dims_at(p), out = dims_at(p + 8);
        const tc_window win = {p[12], p[13], p[14], p[15], p[16], p[17]};
        dsp_mark();
        if (p[24] < 0 || p[24] >= HARNESS_FUSED) { /* p[24]: the blocks for its shape (0: none) */
            return -1;
        }
        tc_pointwise_fused_s8(array_at(a[0]), &in, array_at(a[1]), output, &out, &win, &io, harness_fused[p[24]]);
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 1 || kind == 2 || kind == 13) { /* 13: DEPTHWISE_CONV_2D on its channels' records */
        const tc_dims in = dims_at(p), wd = dims_at(p + 4), out = dims_at(p + 8);
        const tc_window win = {p[12], p[13], p[14], p[15], p[16], p[17]};
        const int8_t *input = array_at(a[0]);
        if (kind != 1 && p[23] > 0) { /* in place: the input p[23] bytes above the output, as planned */
            in_place_extent = p[23] + in.n * in.h * in.w * in.c;
            if (in_place_extent > OUTPUT_BYTES) {
                return -1;
            }
            memcpy(output + p[23], input, (size_t)(in_place_extent - p[23]));
            input = output + p[23];
        }
        dsp_mark();
        if (kind == 1) {
            tc_conv2d_s8(input, &in, array_at(a[1]), &wd, array_at(a[2]), output, &out, &win, &io, &rq);
        } else if (kind == 13) {
            if (p[24] < 0 || p[24] >= HARNESS_PASSES) { /* p[24]: the passes for its step (0: none) */
                return -1;
            }
            tc_depthwise_plane_stream_s8(input, &in, array_at(a[1]), output, &out, &win, &io, harness_passes[p[24]]);
        } else {
            tc_depthwise_conv2d_s8(input, &in, array_at(a[1]), &wd, array_at(a[2]), output, &out, &win, &io, &rq);
        }
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 3) {
        dsp_mark();
        tc_fully_connected_s8(array_at(a[0]), p[0], p[1], array_at(a[1]), p[2], array_at(a[2]), output, &io, &rq);
        dsp_mark();
        return p[0] * p[2];
    }
    if (kind == 4 || kind == 5) {
        const tc_dims s1 = dims_at(p), s2 = dims_at(p + 4), out = dims_at(p + 8);
        tc_add_params ap;
        memcpy(&ap, p + 12, sizeof ap);
        dsp_mark();
        if (kind == 4) {
            tc_add_s8(array_at(a[0]), &s1, array_at(a[1]), &s2, output, &out, &ap);
        } else {
            tc_sub_s8(array_at(a[0]), &s1, array_at(a[1]), &s2, output, &out, &ap);
        }
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 6) { /* p[24] 1 or 2: that input (output-shaped) copied to the output and added in place */
        const tc_dims s1 = dims_at(p), s2 = dims_at(p + 4), out = dims_at(p + 8);
        const int8_t *input1 = array_at(a[0]), *input2 = array_at(a[1]);
        const size_t size = (size_t)(out.n * out.h * out.w * out.c);
        tc_add_params ap;
        memcpy(&ap, p + 12, sizeof ap);
        if (p[24] == 1) {
            input1 = memcpy(output, input1, size);
        } else if (p[24] == 2) {
            input2 = memcpy(output, input2, size);
        }
        dsp_mark();
        tc_add_table_s8(input1, &s1, input2, &s2, output, &out, array_at(a[2]), array_at(a[3]), &ap);
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 7) {
        const tc_dims s1 = dims_at(p), s2 = dims_at(p + 4), out = dims_at(p + 8);
        tc_mul_params mp;
        memcpy(&mp, p + 12, sizeof mp);
        dsp_mark();
        tc_mul_s8(array_at(a[0]), &s1, array_at(a[1]), &s2, output, &out, &mp);
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 8 || kind == 14) {
        const tc_dims in = dims_at(p), out = dims_at(p + 8);
        const tc_window win = {p[12], p[13], p[14], p[15], p[16], p[17]};
        dsp_mark();
        (kind == 8 ? tc_max_pool2d_s8 : tc_average_pool2d_s8)(array_at(a[0]), &in, output, &out, p[4], p[5], &win,
                                                              &io);
        dsp_mark();
        return out.n * out.h * out.w * out.c;
    }
    if (kind == 15) { /* the staged weights' copy: p[0] bytes of the first array (word-aligned) to the output */
        dsp_mark();
        tc_copy_words(output, array_at(a[0]), (size_t)p[0]);
        dsp_mark();
        return p[0];
    }
    if (kind == 9) {
        const tc_dims in = dims_at(p);
        dsp_mark();
        tc_mean_hw_s8(array_at(a[0]), &in, output, p[18], p[19], p[23], p[24]);
        dsp_mark();
        return in.n * in.c;
    }
    return -1;
}

int app_main(const char *args)
{
    (void)args;
    int in = platform_file_open("cases.bin", 0);
    int out = platform_file_open("out.bin", 1);
    if (in < 0 || out < 0) {
        return 2;
    }
    for (;;) {
        if (platform_file_read(in, record, 4) != 4) {
            break; /* end of file */
        }
        if (record[0] < 4 * (2 + PARAMS + ARRAYS) || record[0] > sizeof record ||
            platform_file_read(in, record + 1, record[0] - 4) != record[0] - 4) {
            return 2;
        }
        memset(output_area, GUARD_BYTE, sizeof output_area);
        in_place_extent = 0;
        const int32_t *p = (const int32_t *)record + 2;
        int8_t *output = output_area + GUARD + (record[1] == 6 || record[1] == 12 ? p[25] : 0); /* off a word */
        int32_t size = run_case((int32_t)record[1], p, record + 2 + PARAMS, output);
        if (size < 0 || size > OUTPUT_BYTES) {
            return 2;
        }
        const int32_t end = in_place_extent > size ? in_place_extent : size;
        for (int i = 0; i < GUARD; i++) {
            if (output_area[i] != GUARD_BYTE || output[end + i] != GUARD_BYTE) {
                return 3;
            }
        }
        platform_file_write(out, output, (size_t)size);
    }
    platform_file_close(in);
    platform_file_close(out);
    return 0;
}
"""


# --- cases ---

@dataclass
class Case:
    kind: int
    params: list[int]                       # up to PARAMS int32
    arrays: list[np.ndarray | None]         # up to ARRAYS (int8 or int32), None for NULL
    misalign: list[int] = field(default_factory=list)  # bytes past a word boundary, per array
    macs: int = 0                           # multiply-accumulates (elements for ADD/SUB)
    name: str = ""

    @property
    def output_size(self) -> int:
        p = self.params
        if self.kind in (FC, FC_WIDE, FC_FUSED):
            return p[0] * p[2]
        return p[8] * p[9] * p[10] * p[11]

    @property
    def output_area_size(self) -> int:
        """What the firmware's output area must hold: the output, or for a depthwise case run in place
        (param 23) the input copied that many bytes above the output's start."""
        p = self.params
        if self.kind in (DEPTHWISE, DW_PLANES) and len(p) > 23 and p[23] > 0:
            return max(self.output_size, p[23] + p[0] * p[1] * p[2] * p[3])
        return self.output_size

    def record(self) -> bytes:
        offsets, blobs, at = [], [], 4 * HEADER_WORDS
        for i, a in enumerate(self.arrays):
            if a is None:
                offsets.append(0)
                continue
            skew = self.misalign[i] if i < len(self.misalign) and a.dtype == np.int8 else 0
            at = (at + 3) // 4 * 4 + skew
            offsets.append(at)
            blobs.append((at, a.tobytes()))
            at += a.nbytes
        total = (at + 3) // 4 * 4
        data = bytearray(total)
        header = [total, self.kind, *self.params, *[0] * (PARAMS - len(self.params)),
                  *offsets, *[0] * (ARRAYS - len(offsets))]
        data[:4 * HEADER_WORDS] = struct.pack(f"<{HEADER_WORDS}i", *header)
        for start, blob in blobs:
            data[start:start + len(blob)] = blob
        if total > RECORD_BYTES:
            raise ValueError(f"case {self.name} needs {total} B, more than the firmware's {RECORD_BYTES}")
        return bytes(data)


def _requant(rng, count: int, acc_std: float) -> tuple[np.ndarray, np.ndarray]:
    """(multiplier, shift) pairs mapping an accumulator of about acc_std to about 40 output steps."""
    pairs = [quantize_multiplier(40.0 / acc_std * float(rng.uniform(0.5, 2.0))) for _ in range(count)]
    return np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32)


def _io(rng, zero_point: int | None = None) -> list[int]:
    input_zp = int(rng.integers(-128, 128)) if zero_point is None else zero_point
    output_zp = int(rng.integers(-20, 21))
    act_min, act_max = [(-128, 127), (output_zp, 127), (-100, 90)][int(rng.integers(0, 3))]
    return [input_zp, output_zp, act_min, act_max]


def _same_pad(size: int, filt: int, stride: int, dilation: int) -> tuple[int, int]:
    out = (size + stride - 1) // stride
    span = (filt - 1) * dilation + 1
    return out, max(0, ((out - 1) * stride + span - size) // 2)


def _window_geometry(rng, h, w, fh, fw, stride, dilation, padding):
    """(out_h, out_w, pad_top, pad_left) for "same", "valid" or explicit (top, bottom, left, right)
    padding, as a PAD folded into the op gives (tinyctl.engine.pad_fusion)."""
    if padding == "same":
        (oh, pt), (ow, pl) = _same_pad(h, fh, stride, dilation), _same_pad(w, fw, stride, dilation)
        return oh, ow, pt, pl
    pt, pb, pl, pr = (0, 0, 0, 0) if padding == "valid" else padding
    oh = (h + pt + pb - ((fh - 1) * dilation + 1)) // stride + 1
    ow = (w + pl + pr - ((fw - 1) * dilation + 1)) // stride + 1
    return oh, ow, pt, pl


def conv_case(rng, h, w, cin, cout, fh, fw, stride=1, dilation=1, padding="same", bias=True,
              per_channel=True, zero_point=None, misalign=(0, 0), name="") -> Case:
    oh, ow, pt, pl = _window_geometry(rng, h, w, fh, fw, stride, dilation, padding)
    x = rng.integers(-128, 128, size=(1, h, w, cin), dtype=np.int8)
    wts = rng.integers(-128, 128, size=(cout, fh, fw, cin), dtype=np.int8)
    b = rng.integers(-5000, 5000, size=cout).astype(np.int32) if bias else None
    mult, shift = _requant(rng, cout if per_channel else 1, 80.0 * np.sqrt(fh * fw * cin) * 73)
    params = [1, h, w, cin, cout, fh, fw, cin, 1, oh, ow, cout,
              stride, stride, dilation, dilation, pt, pl, *_io(rng, zero_point), len(mult)]
    return Case(CONV, params, [x, wts, b, mult, shift], list(misalign), oh * ow * cout * fh * fw * cin, name)


def depthwise_case(rng, h, w, cin, multiplier, fh, fw, stride=1, dilation=1, padding="same", bias=True,
                   per_channel=True, zero_point=None, misalign=(0, 0), name="") -> Case:
    oh, ow, pt, pl = _window_geometry(rng, h, w, fh, fw, stride, dilation, padding)
    cout = cin * multiplier
    x = rng.integers(-128, 128, size=(1, h, w, cin), dtype=np.int8)
    wts = rng.integers(-128, 128, size=(1, fh, fw, cout), dtype=np.int8)
    b = rng.integers(-5000, 5000, size=cout).astype(np.int32) if bias else None
    mult, shift = _requant(rng, cout if per_channel else 1, 80.0 * np.sqrt(fh * fw) * 73)
    params = [1, h, w, cin, 1, fh, fw, cout, 1, oh, ow, cout,
              stride, stride, dilation, dilation, pt, pl, *_io(rng, zero_point), len(mult)]
    return Case(DEPTHWISE, params, [x, wts, b, mult, shift], list(misalign), oh * ow * cout * fh * fw, name)


def max_pool_case(rng, h, w, c, fh, fw, stride=2, padding="valid", act=None, misalign=0, name="",
                  kind=MAX_POOL) -> Case:
    """MAX_POOL_2D, or AVERAGE_POOL_2D with `kind` AVG_POOL (params: input dims, filter height and width, output
    dims, window, io); its `macs` are the output elements; `act`: the activation range, else _io's draw."""
    oh, ow, pt, pl = _window_geometry(rng, h, w, fh, fw, stride, 1, padding)
    x = rng.integers(-128, 128, size=(1, h, w, c), dtype=np.int8)
    io = _io(rng)
    params = [1, h, w, c, fh, fw, 0, 0, 1, oh, ow, c, stride, stride, 1, 1, pt, pl, *io[:2], *(act or io[2:]), 0]
    return Case(kind, params, [x], [misalign], oh * ow * c, name)


def copy_case(rng, size, name="") -> Case:
    """The staged weights' copy (params: the bytes at 0, the output dims 1x1x1xbytes); its `macs` are the bytes."""
    return Case(COPY, [size, *[0] * 7, 1, 1, 1, size], [rng.integers(-128, 128, size=size, dtype=np.int8)], [0], size,
                name)


def mean_case(rng, n, h, w, c, misalign=0, name="") -> Case:
    """MEAN over H and W (params: input dims, output dims, the zero points at 18 and 19, the multiplier and
    shift at 23 and 24, as ops/mean.py computes them from two random scales); its `macs` are the input
    elements."""
    x = rng.integers(-128, 128, size=(n, h, w, c), dtype=np.int8)
    multiplier, shift = quantize_multiplier(float(rng.uniform(0.3, 3.0)))
    params = [n, h, w, c, 0, 0, 0, 0, n, 1, 1, c, *[0] * 6, int(rng.integers(-128, 128)), int(rng.integers(-128, 128)),
              -128, 127, 0, multiplier, shift]
    return Case(MEAN, params, [x], [misalign], n * h * w * c, name)


def fc_case(rng, batches, depth, units, bias=True, per_channel=True, zero_point=None, misalign=(0, 0),
            name="") -> Case:
    x = rng.integers(-128, 128, size=(batches, depth), dtype=np.int8)
    wts = rng.integers(-128, 128, size=(units, depth), dtype=np.int8)
    b = rng.integers(-5000, 5000, size=units).astype(np.int32) if bias else None
    mult, shift = _requant(rng, units if per_channel else 1, 80.0 * np.sqrt(depth) * 73)
    params = [batches, depth, units, *[0] * 15, *_io(rng, zero_point), len(mult)]
    return Case(FC, params, [x, wts, b, mult, shift], list(misalign), batches * units * depth, name)


def requant_case(rng, fast: bool = False, name="") -> Case:
    """FULLY_CONNECTED with all-zero weights, so each unit's accumulator is its bias: the
    requantisation alone, per channel, on hand-picked edges (exact ties in both rounding steps, the
    saturating INT32_MIN * INT32_MIN, left shifts that wrap, int32 extremes) and on random (bias,
    multiplier, shift) in their whole ranges. `fast`: only accumulators below 2^30 - 2^20 and shifts
    in [-31, 0], the DSP path's faster requantisation."""
    int32_min, int32_max = -(2**31), 2**31 - 1
    big = (1 << 30) - (1 << 20) if fast else int32_max
    rows = []  # (accumulator, multiplier, shift)
    for acc in range(-9, 10):                      # x / 2 ties, then x / 2^e ties
        rows += [(acc, 1 << 30, 0), (acc, 1 << 30, -1), (acc, 1 << 30, -2), (acc * 3, 1 << 30, -3)]
    rows += [(-big, int32_min, 0), (big, int32_max, 0), (big, int32_min, 0), (-big, 1 << 30, -31),
             (big, 1 << 30, -31), (-big, int32_max, -30), (12345, 0, 0), (-7, int32_min, -1)]
    if not fast:
        rows += [(int32_min, int32_min, 0), (1, int32_min, 31), (-1, int32_min, 31), (int32_min, int32_max, 0),
                 (1 << 29, 1 << 30, 2), (-(1 << 29), 1 << 30, 3)]
    for _ in range(200):
        shift = int(rng.integers(-31, 1 if fast else 32))
        rows.append((int(rng.integers(-big, big, endpoint=True)),
                     int(rng.integers(int32_min, int32_max, endpoint=True)), shift))
    for _ in range(200):                           # results mostly inside the int8 range
        shift = int(rng.integers(-20, 1))
        rows.append((int(rng.integers(-(1 << 18), 1 << 18)), int(rng.integers(1 << 30, 1 << 31)), shift))
    acc, mult, shift = (np.array(col, dtype=np.int64).astype(np.int32) for col in zip(*rows))
    units, depth = len(rows), 3
    x = rng.integers(-128, 128, size=(1, depth), dtype=np.int8)
    params = [1, depth, units, *[0] * 15, int(rng.integers(-128, 128)), 0, -128, 127, units]
    return Case(FC, params, [x, np.zeros((units, depth), np.int8), acc, mult, shift], [1, 2], units * depth,
                name)


def fc_sum_edges_case(rng, output_zero_point: int | None = None, act: tuple[int, int] = (-100, 90),
                      name="") -> Case:
    """FULLY_CONNECTED with all-zero weights and per-channel (multiplier, shift), shifts in -31..0, so each
    unit's sum is its bias: the DSP path's choice per sum between the fast and the full requantisation
    at |sum| = 2^30 (the biases on both sides of it, the int32 extremes, random in the whole range), the
    first four at the largest multiplier and no right shift (the requantised sums just under 2^31), with the
    output zero point (random when None) and the activation range `act`."""
    int32_min, int32_max, edge = -(2**31), 2**31 - 1, 1 << 30
    biases = [edge - 2, edge - 1, edge, edge + 1, -edge + 1, -edge, -edge - 1, int32_min, int32_max, 0, -1,
              *(int(v) for v in rng.integers(int32_min, int32_max, size=60, endpoint=True)),
              *(int(v) for v in rng.integers(edge - 4096, edge + 4096, size=30) * rng.choice([-1, 1], size=30))]
    units, depth = len(biases), 3
    mult = rng.integers(int32_min, int32_max, size=units, endpoint=True).astype(np.int32)
    shift = rng.integers(-31, 1, size=units).astype(np.int32)
    mult[:4], shift[:4] = int32_max, 0
    x = rng.integers(-128, 128, size=(1, depth), dtype=np.int8)
    input_zero_point = int(rng.integers(-128, 128))
    zero_point = int(rng.integers(-20, 21)) if output_zero_point is None else output_zero_point
    params = [1, depth, units, *[0] * 15, input_zero_point, zero_point, *act, units]
    return Case(FC, params, [x, np.zeros((units, depth), np.int8), np.array(biases, np.int32), mult, shift],
                [0, 3], units * depth, name)


def fc_scale_case(rng, multiplier: int, shift: int, act: tuple[int, int], name="") -> Case:
    """FULLY_CONNECTED with all-zero weights and one per-tensor (multiplier, shift), shift in -22..-1, so
    each unit's accumulator is its bias: the hoisted per-tensor requantisation of the DSP path on exact
    ties in both rounding steps and on random biases up to 2^30 - 2^20, with the activation range `act`."""
    big = (1 << 30) - (1 << 20)
    biases = [*range(-40, 41), -big, big, *(int(v) for v in rng.integers(-big, big, size=100, endpoint=True)),
              *(int(v) for v in rng.integers(-(1 << 18), 1 << 18, size=100))]
    units, depth = len(biases), 5
    x = rng.integers(-128, 128, size=(1, depth), dtype=np.int8)
    params = [1, depth, units, *[0] * 15, int(rng.integers(-128, 128)), int(rng.integers(-20, 21)), *act, 1]
    return Case(FC, params, [x, np.zeros((units, depth), np.int8), np.array(biases, np.int32),
                             np.array([multiplier], np.int32), np.array([shift], np.int32)], [2, 1],
                units * depth, name)


def scale_case(rng, kind: int, output_zero_point: int, act: tuple[int, int], name="") -> Case:
    """A 1x1 CONV_2D or 1x1 DEPTHWISE_CONV_2D on two pixels with all-zero weights, so each output
    channel's accumulator is its bias: the requantisation of the 1x1 and depthwise paths (right shifts
    1..22, accumulators below 2^30 - 2^20) on exact ties in both rounding steps and on random
    (bias, multiplier, shift), with the output zero point folded into its rounding term."""
    big = (1 << 30) - (1 << 20)
    rows = [(acc, 1 << 30, shift) for acc in range(-24, 25) for shift in (-1, -2, -3)]
    rows += [(-big, -(2**31), -1), (big, 2**31 - 1, -1), (big, 2**31 - 1, -22), (-big, 1 << 30, -22)]
    for _ in range(150):
        rows.append((int(rng.integers(-big, big, endpoint=True)), int(rng.integers(-(2**31), 2**31)),
                     int(rng.integers(-22, 0))))
    for _ in range(150):                           # results mostly inside the int8 range
        rows.append((int(rng.integers(-(1 << 18), 1 << 18)), int(rng.integers(1 << 30, 1 << 31)),
                     int(rng.integers(-20, 0))))
    acc, mult, shift = (np.array(col, dtype=np.int64).astype(np.int32) for col in zip(*rows))
    c = len(rows)
    x = rng.integers(-128, 128, size=(1, 1, 2, 3 if kind == CONV else c), dtype=np.int8)
    weights = np.zeros((c, 1, 1, 3) if kind == CONV else (1, 1, 1, c), np.int8)
    io = [int(rng.integers(-128, 128)), output_zero_point, *act]
    params = [1, 1, 2, x.shape[3], *weights.shape[:3], weights.shape[3] if kind == CONV else c, 1, 1, 2, c,
              1, 1, 1, 1, 0, 0, *io, c]
    return Case(kind, params, [x, weights, acc, mult, shift], [1, 2], 2 * c * (3 if kind == CONV else 1), name)


def _operands(rng, shape1, shape2, extremes=False) -> tuple[list[int], list[np.ndarray], list[int]]:
    """(output shape, two random NHWC operands, their 8 broadcast strides); `extremes`: inputs only
    -128 and 127."""
    out = [max(a, b) for a, b in zip(shape1, shape2)]
    operands, strides = [], []
    for shape in (shape1, shape2):
        values = rng.choice(np.array([-128, 127], np.int8), size=shape) if extremes else \
            rng.integers(-128, 128, size=shape, dtype=np.int8)
        operands.append(values)
        dense = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1]
        strides += [0 if shape[d] == 1 and out[d] > 1 else dense[d] for d in range(4)]
    return out, operands, strides


def add_params(rng, zero_points=None, act=None) -> list[int]:
    """The 12 tc_add_params fields TFLite's scheme gives for random scales and zero points and a random clamp
    (none, ReLU, a narrower range); `zero_points` and `act` replace the random ones."""
    s1, s2, so = (float(v) for v in rng.uniform(0.02, 0.1, size=3))
    twice = 2 * max(s1, s2)
    (m1, sh1), (m2, sh2), (mo, sho) = (quantize_multiplier(r) for r in (s1 / twice, s2 / twice,
                                                                         twice / ((1 << 20) * so)))
    zp1, zp2, zpo = (int(v) for v in rng.integers(-128, 128, size=3))
    act_min, act_max = [(-128, 127), (zpo, 127), (-90, 100)][int(rng.integers(0, 3))]
    zp1, zp2, zpo = zero_points if zero_points is not None else (zp1, zp2, zpo)
    act_min, act_max = act if act is not None else (act_min, act_max)
    return [zp1, zp2, zpo, 20, m1, sh1, m2, sh2, mo, sho, act_min, act_max]


def add_case(rng, shape1, shape2, subtract=False, misalign=(0, 0), name="", params=None,
             extremes=False, tables=False) -> Case:
    """ADD/SUB of two NHWC operands, each broadcast (size-1 dims) to the output shape; `params`
    replaces the 12 tc_add_params fields TFLite's scheme would give; `extremes`: inputs only -128
    and 127; `tables`: by tc_add_table_s8, with the tables ops/binary.py writes."""
    out, operands, strides = _operands(rng, shape1, shape2, extremes)
    drawn = add_params(rng)   # drawn even when replaced, so that the cases after keep their data
    add = list(params) if params is not None else drawn
    size = out[0] * out[1] * out[2] * out[3]
    if tables:
        table_pair = add_tables("SUB" if subtract else "ADD", AddParams(*add))
        if table_pair is None:
            raise ValueError(f"{name}: no tables for {add}")
        return Case(ADD_TABLE, [*strides, *out, *add], [*operands, *table_pair], list(misalign), size, name)
    return Case(SUB if subtract else ADD, [*strides, *out, *add], operands, list(misalign), size, name)


def mul_case(rng, shape1, shape2, misalign=(0, 0), name="", params=None, extremes=False) -> Case:
    """MUL of two NHWC operands broadcast to the output shape; `params` replaces the 7 tc_mul_params
    fields TFLite's scheme would give."""
    out, operands, strides = _operands(rng, shape1, shape2, extremes)
    s1, s2, so = (float(v) for v in rng.uniform(0.02, 0.1, size=3))
    zp1, zp2, zpo = (int(v) for v in rng.integers(-128, 128, size=3))
    act_min, act_max = [(-128, 127), (zpo, 127), (-90, 100)][int(rng.integers(0, 3))]
    mul = list(params) if params is not None else [zp1, zp2, zpo, *quantize_multiplier(s1 * s2 / so), act_min,
                                                   act_max]
    return Case(MUL, [*strides, *out, *mul], operands, list(misalign), out[0] * out[1] * out[2] * out[3], name)


# --- the host reference (the engine's portable C, built with the host gcc) ---

def _int32_struct(name: str, fields) -> type:
    """A ctypes mirror of an engine struct of int32 fields, in order."""
    return type(name, (ctypes.Structure,), {"_fields_": [(f, ctypes.c_int32) for f in fields]})


Dims = _int32_struct("Dims", ("n", "h", "w", "c"))
Int8IO = _int32_struct("Int8IO", ("input_zero_point", "output_zero_point", "act_min", "act_max"))
Window = _int32_struct("Window", ("stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left"))
AddParamsStruct = _int32_struct("AddParams", (f.name for f in dataclasses.fields(AddParams)))
MulParamsStruct = _int32_struct("MulParams", (f.name for f in dataclasses.fields(MulParams)))


class Requant(ctypes.Structure):
    _fields_ = [("multiplier", ctypes.POINTER(ctypes.c_int32)), ("shift", ctypes.POINTER(ctypes.c_int32)),
                ("count", ctypes.c_int32)]


_i8p = np.ctypeslib.ndpointer(np.int8, flags="C_CONTIGUOUS")
_P = ctypes.POINTER
_CONV = [_i8p, _P(Dims), _i8p, _P(Dims), ctypes.c_void_p, _i8p, _P(Dims), _P(Window), _P(Int8IO), _P(Requant)]
_ADD_SUB = [_i8p, _P(Dims), _i8p, _P(Dims), _i8p, _P(Dims), _P(AddParamsStruct)]
_POOL = [_i8p, _P(Dims), _i8p, _P(Dims), ctypes.c_int32, ctypes.c_int32, _P(Window), _P(Int8IO)]
_MEAN = [_i8p, _P(Dims), _i8p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int]
_i32p = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
_i16p = np.ctypeslib.ndpointer(np.int16, flags="C_CONTIGUOUS")
_SIGNATURES = {
    "tc_conv2d_s8": _CONV, "tc_depthwise_conv2d_s8": _CONV, "tc_add_s8": _ADD_SUB, "tc_sub_s8": _ADD_SUB,
    "tc_add_table_s8": [*_ADD_SUB[:6], _i32p, _i32p, _P(AddParamsStruct)],
    "tc_mul_s8": [*_ADD_SUB[:6], _P(MulParamsStruct)], "tc_max_pool2d_s8": _POOL, "tc_average_pool2d_s8": _POOL,
    "tc_mean_hw_s8": _MEAN,
    "tc_fully_connected_s8": [_i8p, ctypes.c_int32, ctypes.c_int32, _i8p, ctypes.c_int32, ctypes.c_void_p, _i8p,
                              _P(Int8IO), _P(Requant)],
    "tc_conv2d_wide_s8": [*_CONV[:2], _i16p, *_CONV[3:]],
    "tc_fully_connected_wide_s8": [_i8p, ctypes.c_int32, ctypes.c_int32, _i16p, ctypes.c_int32, ctypes.c_void_p,
                                   _i8p, _P(Int8IO), _P(Requant)],
    "tc_fully_connected_fused_s8": [_i8p, ctypes.c_int32, ctypes.c_int32, _i32p, ctypes.c_int32, _i8p, _P(Int8IO)],
    "tc_depthwise_plane_stream_s8": [_i8p, _P(Dims), _i32p, _i8p, _P(Dims), _P(Window), _P(Int8IO), ctypes.c_void_p],
    "tc_pointwise_fused_s8": [_i8p, _P(Dims), _i32p, _i8p, _P(Dims), _P(Window), _P(Int8IO), ctypes.c_void_p],
    "tc_copy_words": [_i8p, _i8p, ctypes.c_size_t],
}


def host_output(lib, case: Case) -> np.ndarray:
    p, a = case.params, case.arrays
    out = np.zeros(case.output_size, dtype=np.int8)
    ptr = ctypes.POINTER(ctypes.c_int32)
    if case.kind in (CONV, DEPTHWISE, FC, CONV_WIDE, FC_WIDE):
        io = Int8IO(*p[18:22])
        rq = Requant(a[3].ctypes.data_as(ptr), a[4].ctypes.data_as(ptr), p[22])
        bias = None if a[2] is None else a[2].ctypes.data
        if case.kind in (FC, FC_WIDE):
            kernel = lib.tc_fully_connected_s8 if case.kind == FC else lib.tc_fully_connected_wide_s8
            kernel(a[0].ravel(), p[0], p[1], a[1].ravel(), p[2], bias, out, io, rq)
        else:
            kernel = {CONV: lib.tc_conv2d_s8, DEPTHWISE: lib.tc_depthwise_conv2d_s8, CONV_WIDE: lib.tc_conv2d_wide_s8}[
                case.kind]
            kernel(a[0].ravel(), Dims(*p[0:4]), a[1].ravel(), Dims(*p[4:8]), bias, out, Dims(*p[8:12]),
                   Window(*p[12:18]), io, rq)
    elif case.kind == FC_FUSED:
        lib.tc_fully_connected_fused_s8(a[0].ravel(), p[0], p[1], a[1], p[2], out, Int8IO(*p[18:22]))
    elif case.kind == CONV_FUSED:
        lib.tc_pointwise_fused_s8(a[0].ravel(), Dims(*p[0:4]), a[1], out, Dims(*p[8:12]), Window(*p[12:18]),
                                  Int8IO(*p[18:22]), None)
    elif case.kind == DW_PLANES:
        lib.tc_depthwise_plane_stream_s8(a[0].ravel(), Dims(*p[0:4]), a[1], out, Dims(*p[8:12]), Window(*p[12:18]),
                                         Int8IO(*p[18:22]), None)
    elif case.kind == COPY:
        lib.tc_copy_words(out, a[0], p[0])
    elif case.kind == MEAN:
        lib.tc_mean_hw_s8(a[0].ravel(), Dims(*p[0:4]), out, p[18], p[19], p[23], p[24])
    elif case.kind in (MAX_POOL, AVG_POOL):
        kernel = lib.tc_max_pool2d_s8 if case.kind == MAX_POOL else lib.tc_average_pool2d_s8
        kernel(a[0].ravel(), Dims(*p[0:4]), out, Dims(*p[8:12]), p[4], p[5], Window(*p[12:18]), Int8IO(*p[18:22]))
    elif case.kind == MUL:
        lib.tc_mul_s8(a[0].ravel(), Dims(*p[0:4]), a[1].ravel(), Dims(*p[4:8]), out, Dims(*p[8:12]),
                      MulParamsStruct(*p[12:19]))
    elif case.kind == ADD_TABLE:
        lib.tc_add_table_s8(a[0].ravel(), Dims(*p[0:4]), a[1].ravel(), Dims(*p[4:8]), out, Dims(*p[8:12]), a[2], a[3],
                            AddParamsStruct(*p[12:24]))
    else:
        params = AddParamsStruct(*p[12:24])
        kernel = lib.tc_add_s8 if case.kind == ADD else lib.tc_sub_s8
        kernel(a[0].ravel(), Dims(*p[0:4]), a[1].ravel(), Dims(*p[4:8]), out, Dims(*p[8:12]), params)
    return out


def host_engine(out_dir: Path) -> ctypes.CDLL:
    """The engine built for the host, with the signatures of the kernels host_output calls."""
    lib = ctypes.CDLL(str(build_engine(out_dir)))
    for name, argtypes in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = None, argtypes
    return lib


# --- the firmware ---

def build_firmware(board: Board, out_dir: Path, extra_cflags: list[str], opt: str = OPTIMISATION,
                   main_c: str = MAIN_C, buffers: tuple[int, int] = (RECORD_BYTES, OUTPUT_BYTES)) -> Path:
    """A bare-metal ELF for the board: the MAC kernels, the Cortex-M platform and main_c (its app_main), with
    buffers = (record bytes, output bytes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "main.c").write_text(main_c)
    platform = emulated_platform(board)   # the image QEMU runs: the silicon one, or the stand-in's
    (out_dir / "linker.ld").write_text(linker_script(board, platform=platform))
    write_platform(board, platform, out_dir / "platform")
    sources = [*(ENGINE_DIR / s for s in ENGINE_SOURCES), *sorted(CORTEX_M_DIR.glob("*.c")),
               *sorted((out_dir / "platform").glob("*.c")), out_dir / "main.c"]
    elf = out_dir / "firmware.elf"
    command = ["arm-none-eabi-gcc", *board_cflags(board), *firmware_cflags(opt), *APP_DEFINES,
               *board_defines(console_uart(board)), *platform_defines(board), f"-DRECORD_BYTES={buffers[0]}",
               f"-DOUTPUT_BYTES={buffers[1]}", *extra_cflags, f"-I{ENGINE_DIR}", f"-I{PLATFORMS_DIR}", f"-I{CORTEX_M_DIR}",
               f"-I{out_dir / 'platform'}", *map(str, sources),
               *link_flags(str(out_dir / "linker.ld")), *LIBC_SPECS, "-o", str(elf)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"firmware build failed for {board.name} {extra_cflags}:\n{result.stderr}")
    return elf


@dataclass
class FirmwareResult:
    outputs: list[np.ndarray]
    instructions: list[int]   # per case, between the marks around the kernel call
    cycles: list[int] | None  # the same span's estimated cycles (tinyctl.cycle_model), where the core has a table


def run_cases(board: Board, elf: Path, cases: list[Case], workdir: Path) -> FirmwareResult:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "cases.bin").write_bytes(b"".join(c.record() for c in cases))
    run = run_firmware(board, elf, [], workdir=workdir, mark_address=symbol_address(elf, "dsp_mark"), timeout_s=120)
    if run.exit_code != 0:
        raise RuntimeError(f"firmware on {board.qemu_machine} exited {run.exit_code}: {run.console[-500:]}")
    data = np.frombuffer((workdir / "out.bin").read_bytes(), dtype=np.int8)
    outputs, at = [], 0
    for c in cases:
        outputs.append(data[at:at + c.output_size])
        at += c.output_size
    if at != data.size:
        raise RuntimeError(f"out.bin has {data.size} bytes, the cases {at}")
    marks = run.class_marks
    if len(marks) != 2 * len(cases):
        raise RuntimeError(f"{len(marks)} marks for {len(cases)} cases")
    spans = [{k: after[k] - before[k] for k in after} for before, after in zip(marks[::2], marks[1::2])]
    cycles = [estimated_cycles(span, board) for span in spans] if estimates_cycles(board) else None
    return FirmwareResult(outputs, [span["instructions"] for span in spans], cycles)


def build_and_run(targets: dict[str, tuple[str, list[str]]], cases: list[Case], tmp: Path,
                  opt: str = OPTIMISATION) -> dict[str, FirmwareResult]:
    """Build every target's firmware and run the cases on it, targets in parallel; the firmware's buffers
    hold the largest case and no more, so that a board with little RAM (the micro:bit's 16 KiB) runs them."""
    buffers = (max(len(c.record()) for c in cases), max(c.output_area_size for c in cases))
    main_c = MAIN_C.replace("/* PASSES */", _passes_c())

    def one(name):
        board_name, flags = targets[name]
        board = resolve_board(board_name)
        elf = build_firmware(board, tmp / name, flags, opt, main_c=main_c, buffers=buffers)
        return name, run_cases(board, elf, cases, tmp / name / "run")
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        return dict(pool.map(one, targets))


# --- instructions per MAC ---

def in_place(case: Case) -> Case:
    """The depthwise case run as the planner places it in place: its input copied in_place_shift bytes
    above the output (param 23; the host's reference output is computed from separate buffers)."""
    p = case.params
    shift = in_place_shift(tuple(p[0:4]), tuple(p[8:12]), WindowGeometry(*p[12:18]))
    assert case.kind == DEPTHWISE and len(p) == 23 and shift is not None, f"{case.name} cannot run in place"
    case.params = [*p, shift]
    case.name += f", in place {shift} B below"
    return case


def table_layout(case: Case, in_place: int = 0, output_skew: int = 0) -> Case:
    """The ADD_TABLE case with input `in_place` (1 or 2, of the output's shape) copied to the output and added
    in place, and its output `output_skew` bytes past a word boundary (params 24 and 25)."""
    assert case.kind == ADD_TABLE and len(case.params) == 24, f"{case.name} is not a plain ADD_TABLE case"
    case.params = [*case.params, in_place, output_skew]
    case.name += (f", in place on input {in_place}" if in_place else "") + f", output +{output_skew}"
    return case


def full_range(case: Case) -> Case:
    """The case with the activation range [-128, 127] (no fused activation, or ReLU on a zero point of
    -128), which the MAC kernels clamp in one instruction."""
    case.params[20:22] = [-128, 127]
    case.name += ", full range"
    return case


def wide(case: Case) -> Case:
    """The CONV_2D or FULLY_CONNECTED case on its weights pre-widened to int16 (tinyctl.engine.wide_weights)."""
    assert case.kind in (CONV, FC), f"{case.name} has no int16 weight layout"
    rows = case.arrays[1].reshape(case.arrays[1].shape[0], -1)
    case.arrays[1] = widen(rows, CONV_BLOCK if case.kind == CONV else FC_BLOCK)
    case.kind = CONV_WIDE if case.kind == CONV else FC_WIDE
    case.name += ", int16 weights"
    return case


def fused(case: Case, output_skew: int = 0) -> Case:
    """The FULLY_CONNECTED case on one fused stream (tinyctl.engine.wide_weights.fuse_fc), its output
    `output_skew` bytes past a word; the case must be one the code generator fuses (fc_fuses)."""
    batches, depth, units = case.params[:3]
    x, rows, bias, multiplier, shift = case.arrays
    shift = np.broadcast_to(shift, (units,))
    assert depth % 4 == 0 and units % 4 == 0 and case.params[20:22] == [-128, 127], case.name
    assert np.all((shift >= -22) & (shift <= -1)), f"{case.name}: shifts outside 1..22 right"
    bias = np.zeros(units, np.int32) if bias is None else bias
    stream = fuse_fc(rows, bias, np.broadcast_to(multiplier, (units,)), -shift, case.params[19])
    case.kind, case.arrays = FC_FUSED, [x, stream]
    case.params = [*case.params[:23], 0, 0, output_skew]
    case.name += f", fused, output {output_skew} off a word"
    return case


def fused_pointwise(case: Case) -> Case:
    """The 1x1 CONV_2D case on one fused stream (tinyctl.engine.wide_weights.fuse_pointwise); the case must be one
    the code generator fuses (tinyctl.engine.ops.weighted.pointwise_fuses: asserted here on the case's numbers)."""
    x, weights, bias, multiplier, shift = case.arrays
    p, (channels, depth) = case.params, (weights.shape[0], weights.shape[3])
    shift = np.broadcast_to(shift, (channels,))
    io = IOValues(*p[18:22])
    assert weights.shape[1:3] == (1, 1) and p[16:18] == [0, 0] and p[20:22] == [-128, 127], case.name
    assert depth % 16 == 0 and 16 <= depth <= 288 and channels % 2 == 0 and p[8] * p[9] * p[10] >= 3, case.name
    assert fast_scale(shift, io.input_zero_point, bias, depth), f"{case.name}: its requantisation is not fast"
    bias = np.zeros(channels, np.int32) if bias is None else bias
    stream = fuse_pointwise(weights.reshape(channels, depth), bias, np.broadcast_to(multiplier, (channels,)), -shift,
                            io.output_zero_point)
    case.kind, case.arrays = CONV_FUSED, [x, stream]
    case.name += ", fused stream"
    return case


def planes(case: Case) -> Case:
    """The DEPTHWISE_CONV_2D case on its channels' records (tinyctl.engine.plane_stream), which the code generator
    writes for the layers the channel-plane kernel takes (plane_stream.fits: asserted); in place as before."""
    x, weights, bias, multiplier, shift = case.arrays
    p, channels = case.params, case.arrays[1].shape[3]
    io = IOValues(*p[18:22])
    fits = plane_stream.fits(tuple(p[0:4]), weights.shape, tuple(p[8:12]), WindowGeometry(*p[12:18]), io,
                             multiplier, fast_scale(shift, io.input_zero_point, bias, 9))
    assert case.kind == DEPTHWISE and fits, f"{case.name}: the channel-plane kernel does not take it"
    bias = np.zeros(channels, np.int32) if bias is None else bias
    records = plane_stream.stream(weights, bias, np.broadcast_to(multiplier, (channels,)),
                                  -np.broadcast_to(shift, (channels,)), io)
    case.kind, case.arrays = DW_PLANES, [x, records]
    case.name += ", channel records"
    return case


# The passes that cases instantiate for their output steps (plane_stream.passes), and the fused 1x1 blocks for their
# shapes (wide_weights.fused_blocks_shape), in the order they first asked.
PASS_SPECS: list[tuple[str, tuple[int, ...]]] = []
FUSED_SPECS: list[tuple[int, int, int]] = []


def specialized(case: Case, spec: tuple[str, tuple[int, ...]] | None = None) -> Case:
    """The channel-records case on passes instantiated for its output step (plane_stream.passes), as its model.c
    would, or on `spec` (param 24: their index in PASS_SPECS, plus 1)."""
    p = case.params
    spec = spec or plane_stream.passes(tuple(p[0:4]), tuple(p[8:12]), WindowGeometry(*p[12:18]), IOValues(*p[18:22]))
    assert case.kind == DW_PLANES and spec, f"{case.name}: no passes for its output step"
    if spec not in PASS_SPECS:
        PASS_SPECS.append(spec)
    case.params = [*p, *([0] * (24 - len(p))), PASS_SPECS.index(spec) + 1]
    case.name += f", its {spec[0]} passes"
    return case


def blocked(case: Case) -> Case:
    """The fused 1x1 case on blocks instantiated for its shape (conv2d_pointwise_fused.h TC_POINTWISE_FUSED_AT), as
    its model.c would (param 24: their index in FUSED_SPECS, plus 1)."""
    p = case.params
    spec = fused_blocks_shape(p[3], p[11])
    assert case.kind == CONV_FUSED, f"{case.name}: no blocks for its shape"
    if spec not in FUSED_SPECS:
        FUSED_SPECS.append(spec)
    case.params = [*p, *([0] * (24 - len(p))), FUSED_SPECS.index(spec) + 1]
    case.name += ", its blocks"
    return case


def ring_anyway(case: Case) -> tuple[str, tuple[int, ...]]:
    """The ring's walk for the case's shape (for specialized), which the code generator would not instantiate: rows
    of last outputs."""
    p = case.params
    return ("ring", plane_stream.walk_shape(tuple(p[0:4]), tuple(p[8:12]), WindowGeometry(*p[12:18])))


def _passes_c() -> str:
    """The firmware's instances of PASS_SPECS (depthwise_plane_passes.h) and FUSED_SPECS (conv2d_pointwise_fused.h)
    and their tables, NULL first."""
    lines, table = ['#include "depthwise_plane_walks.h"', '#include "conv2d_pointwise_fused.h"'], ["NULL"]
    for i, (kind, shape) in enumerate(PASS_SPECS, 1):
        name = f"harness_{kind}{i}"
        ring, small = (name, "NULL") if kind == "ring" else ("NULL", name)
        lines += [f"TC_PLANE_{kind.upper()}_AT({name}, {', '.join(map(str, shape))})",
                  f"TC_PLANE_PASSES(harness_passes{i}, {ring}, {small})"]
        table.append(f"TC_PLANE_PASSES_OF(harness_passes{i})")
    fused = ["NULL"]
    for i, shape in enumerate(FUSED_SPECS, 1):
        lines += [f"TC_POINTWISE_FUSED_AT(harness_blocks{i}, {', '.join(map(str, shape))})",
                  f"TC_POINTWISE_PASSES(harness_fused{i}, harness_blocks{i})"]
        fused.append(f"TC_POINTWISE_PASSES_OF(harness_fused{i})")
    return "\n".join([*lines, f"static const struct tc_plane_passes *const harness_passes[] = {{{', '.join(table)}}};",
                      f"#define HARNESS_PASSES {len(table)}",
                      f"static const struct tc_pointwise_passes *const harness_fused[] = {{{', '.join(fused)}}};",
                      f"#define HARNESS_FUSED {len(fused)}"])


def bench_cases() -> list[Case]:
    rng = np.random.default_rng(1)
    return [
        conv_case(rng, 18, 18, 16, 16, 3, 3, padding="valid", name="conv 3x3 16->16, 16x16 out"),
        conv_case(rng, 16, 16, 32, 32, 1, 1, padding="valid", name="conv 1x1 32->32, 16x16"),
        full_range(conv_case(rng, 16, 16, 32, 32, 1, 1, padding="valid", name="conv 1x1 32->32, 16x16")),
        full_range(conv_case(rng, 24, 24, 8, 16, 1, 1, padding="valid", name="conv 1x1 8->16, 24x24")),
        conv_case(rng, 8, 8, 128, 64, 1, 1, padding="valid", name="conv 1x1 128->64, 8x8"),
        conv_case(rng, 34, 34, 3, 8, 3, 3, padding="valid", name="conv 3x3 3->8, 32x32 out"),
        conv_case(np.random.default_rng(2), 34, 34, 1, 8, 3, 3, padding="valid",  # its own: the others keep their data
                  name="conv 3x3 1->8, 32x32 out"),
        conv_case(rng, 17, 17, 16, 16, 3, 3, stride=2, padding="same", name="conv 3x3/2 16->16 SAME, 9x9 out"),
        conv_case(np.random.default_rng(8), 8, 8, 64, 64, 3, 3, padding="same", name="conv 3x3 64->64 SAME, 8x8 (ResNet-8)"),
        depthwise_case(rng, 18, 18, 32, 1, 3, 3, padding="valid", name="depthwise 3x3 x32, 16x16 out"),
        full_range(depthwise_case(rng, 16, 16, 32, 1, 3, 3, padding="same", name="depthwise 3x3 x32 SAME, 16x16")),
        depthwise_case(rng, 12, 12, 64, 1, 5, 5, padding="valid", name="depthwise 5x5 x64, 8x8 out"),
        depthwise_case(rng, 17, 17, 32, 1, 3, 3, stride=2, padding="same", name="depthwise 3x3/2 x32 SAME, 9x9"),
        depthwise_case(rng, 18, 18, 8, 2, 3, 3, padding="valid", name="depthwise 3x3 x8 m2, 16x16 out"),
        fc_case(rng, 1, 512, 64, name="fc 512->64"),
        fc_case(rng, 1, 100, 10, name="fc 100->10"),
        wide(conv_case(np.random.default_rng(3), 18, 18, 16, 16, 3, 3, padding="valid", name="conv 3x3 16->16, 16x16 out")),
        wide(conv_case(np.random.default_rng(4), 16, 16, 32, 32, 1, 1, padding="valid", name="conv 1x1 32->32, 16x16")),
        wide(conv_case(np.random.default_rng(5), 8, 8, 128, 64, 1, 1, padding="valid", name="conv 1x1 128->64, 8x8")),
        wide(conv_case(np.random.default_rng(8), 8, 8, 64, 32, 3, 3, padding="same", name="conv 3x3 64->32 SAME, 8x8")),
        wide(fc_case(np.random.default_rng(6), 1, 256, 64, name="fc 256->64")),
        fc_case(np.random.default_rng(6), 1, 256, 64, name="fc 256->64"),
        wide(fc_case(np.random.default_rng(7), 1, 640, 32, name="fc 640->32")),
        fc_case(np.random.default_rng(7), 1, 640, 32, name="fc 640->32"),
        fused(full_range(fc_case(np.random.default_rng(6), 1, 256, 64, name="fc 256->64"))),
        fused(full_range(fc_case(np.random.default_rng(7), 1, 640, 32, name="fc 640->32"))),
        add_case(rng, (1, 16, 16, 32), (1, 16, 16, 32), name="add 16x16x32 same shape"),
        add_case(rng, (1, 16, 16, 32), (1, 1, 1, 32), name="add 16x16x32 + [32]"),
        add_case(rng, (1, 16, 16, 32), (1, 16, 16, 32), name="add 16x16x32 same shape, tables", tables=True),
        add_case(rng, (1, 16, 16, 32), (1, 1, 1, 32), name="add 16x16x32 + [32], tables", tables=True),
        add_case(rng, (1, 16, 16, 32), (1, 16, 16, 32), subtract=True, name="sub 16x16x32 same shape, tables",
                 tables=True),
        mul_case(rng, (1, 16, 16, 32), (1, 16, 16, 32), name="mul 16x16x32 same shape"),
        mul_case(rng, (1, 16, 16, 32), (1, 1, 1, 32), name="mul 16x16x32 * [32]"),
        mul_case(rng, (1, 16, 16, 32), (1, 1, 1, 1), name="mul 16x16x32 * scalar"),
        max_pool_case(rng, 32, 32, 8, 2, 2, act=(-128, 127), name="max pool 2x2/2 32x32x8"),
        max_pool_case(rng, 16, 16, 16, 2, 2, act=(-128, 127), name="max pool 2x2/2 16x16x16"),
        mean_case(rng, 1, 8, 8, 32, name="mean 8x8x32"),
    ]


def main() -> None:
    import tempfile

    targets = {k: TARGETS[k] for k in ("m4_portable", "m4_dsp", "m7_dsp")}
    cases = bench_cases()
    with tempfile.TemporaryDirectory(prefix="dsp-bench-") as tmp:
        results = build_and_run(targets, cases, Path(tmp))
        lib = host_engine(Path(tmp))
        print("instructions per MAC (per output element for ADD/SUB/MUL/MAX_POOL, per input element for MEAN), "
              "QEMU TCG plugin count between the marks around the call; M4 DSP est.: estimated cycles per MAC "
              f"(tinyctl.cycle_model, {TARGETS['m4_dsp'][0]}'s flash wait states)")
        print(f"{'case':56} {'MACs':>7} {'M4 portable':>11} {'M4 DSP':>7} {'speed-up':>8} {'M7 DSP':>7} "
              f"{'M4 DSP est.':>11}")
        for i, c in enumerate(cases):
            expected = host_output(lib, c)
            same = all(np.array_equal(r.outputs[i], expected) for r in results.values())
            port, dsp, m7 = (results[k].instructions[i] / c.macs for k in ("m4_portable", "m4_dsp", "m7_dsp"))
            cycles = results["m4_dsp"].cycles[i] / c.macs
            print(f"{c.name:56} {c.macs:7d} {port:11.2f} {dsp:7.2f} {port / dsp:7.2f}x {m7:7.2f} {cycles:11.2f}"
                  f"{'' if same else '   MISMATCH'}")


if __name__ == "__main__":
    main()
