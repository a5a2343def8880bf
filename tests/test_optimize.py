"""`tinyctl build --optimize`: int16 pre-widened weights trade flash for instructions. On a small model
(two convolutions and a fully-connected layer) built for the Cortex-M4 and self-tested under QEMU against
TFLite-Micro's outputs: speed takes more flash and fewer instructions than size; balanced on a board
whose flash holds the int8 firmware but not all the int16 weights keeps int8 on some layers, fits, and
lands between the two in instructions."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from board_files import stm32_with_flash
from kernel_harness import convert
from tinyctl.engine.optimize import WIDE_CODE_BYTES, wide_layers
from tinyctl.engine.registry import wide_gains
from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl import pipeline
from tinyctl.pipeline import BuildOptions, build_engine_firmware
from tinyctl.runtimes import tflm_int8_outputs
from tinyctl.stages.memory import DoesNotFit
from tinyctl.stages.engine import plan_engine_arena
from tinyctl.targets import resolve_board

needs_firmware = pytest.mark.skipif(not all(shutil.which(t) for t in ("arm-none-eabi-gcc", "qemu-system-arm")),
                                    reason="needs arm-none-eabi-gcc and qemu-system-arm")


def _layers(tf, x):
    rng = np.random.default_rng(5)
    k1, k2, k3 = (rng.normal(size=s).astype(np.float32) for s in ((3, 3, 8, 16), (3, 3, 16, 24), (216, 128)))
    y = tf.nn.relu(tf.nn.conv2d(x, k1, 1, "SAME"))
    y = tf.nn.relu(tf.nn.conv2d(y, k2, 2, "SAME"))
    return tf.matmul(tf.reshape(y, (1, 216)), k3)


@pytest.fixture(scope="module")
def model():
    """(graph, plan, golden): the model, its plan, and 2 inputs with TFLite-Micro's outputs for them."""
    tflite = convert(_layers, (1, 6, 6, 8), seed=3)
    graph = read_graph(tflite)
    inputs = np.random.default_rng(4).integers(-128, 128, size=(2, 6, 6, 8), dtype=np.int8)
    return graph, plan_engine_arena(graph), (inputs.reshape(2, -1), tflm_int8_outputs(tflite, inputs))


@pytest.fixture(scope="module")
def built(model, tmp_path_factory):
    """(mode, flash bytes or None for the F446's own) -> build_engine_firmware's result, self-tested."""
    cache = {}

    def get(mode: str, flash: int | None = None):
        if (mode, flash) not in cache:
            tmp = tmp_path_factory.mktemp(f"{mode}-{flash}")
            board = resolve_board(str(stm32_with_flash(tmp, flash)) if flash else "nucleo-f446re")
            cache[(mode, flash)] = build_engine_firmware(*model, "optimize", board, tmp / "build", optimize=mode)
        return cache[(mode, flash)]
    return get


def _flash(result) -> int:
    return result["sizes"]["flash_bytes"]


def _instructions(result) -> int:
    return result["selftest"]["instructions"]["per_inference"]


def test_modes_choose_layers(model):
    graph = model[0]
    gains = wide_gains(graph)
    assert sorted(op.opcode for op in graph.operators if op.index in gains) == ["CONV_2D", "CONV_2D",
                                                                               "FULLY_CONNECTED"]
    assert wide_layers(graph, "speed", dsp=True) == frozenset(gains)
    assert wide_layers(graph, "balanced", dsp=True) == frozenset(gains)   # room not measured: it fits
    assert wide_layers(graph, "size", dsp=True) == wide_layers(graph, "speed", dsp=False) == frozenset()
    assert wide_layers(graph, "balanced", dsp=True, flash_room=WIDE_CODE_BYTES) == frozenset()
    best = max(gains, key=lambda i: gains[i].instructions_saved / gains[i].extra_bytes)
    room = WIDE_CODE_BYTES + gains[best].extra_bytes
    assert wide_layers(graph, "balanced", dsp=True, flash_room=room) == {best}


def test_an_unknown_mode_is_refused():
    with pytest.raises(TinyctlError, match="unknown --optimize mode 'fast'"):
        BuildOptions(optimize="fast")


@needs_firmware
def test_speed_trades_flash_for_instructions(built, model):
    size, speed = built("size"), built("speed")
    assert size["wide"] == [] and speed["wide"] == sorted(wide_gains(model[0]))
    assert _flash(speed) > _flash(size)   # less than the extra weights: the int8 kernels are no longer linked
    assert _instructions(speed) < 0.95 * _instructions(size)
    assert size["selftest"]["passed"] and speed["selftest"]["passed"]


@needs_firmware
def test_balanced_keeps_int8_where_flash_is_short(built, model):
    """A flash that holds the int8 firmware, the wide kernels and half the extra weight bytes, but not the
    all-int16 firmware (which, without the int8 conv code, can need less): balanced widens some layers, not
    all, and the firmware fits."""
    size, speed = built("size"), built("speed")
    flash = _flash(size) + WIDE_CODE_BYTES + sum(g.extra_bytes for g in wide_gains(model[0]).values()) // 2
    flash = min(flash, _flash(speed) - 1024)
    balanced = built("balanced", flash)
    assert 0 < len(balanced["wide"]) < len(speed["wide"])
    # not above size's flash necessarily: with every conv widened, the int8 conv code is no longer linked
    assert _flash(balanced) <= flash
    assert _instructions(speed) < _instructions(balanced) < _instructions(size)
    assert balanced["selftest"]["passed"]


def test_balanced_retries_a_choice_that_overshoots(model, monkeypatch):
    """Where the wide kernels' code is larger than balanced keeps room for, its first choice of layers does not fit:
    the build is retried in the room less the shortfall, with fewer layers, until one fits, and the int8 firmware is
    rebuilt where none does. The firmware builds here are stand-ins that size a choice as the int8 firmware plus
    its extra weight bytes plus 6 kB of code, 4 kB more than is kept (a real overshoot needs a model the size of
    MobileNet on the M55: benchmarks/run_benchmarks.py builds it)."""
    graph, gains, int8_flash, board_flash, builds = model[0], wide_gains(model[0]), 50_000, 0, []

    def firmware(*args):
        wide = args[-1]
        flash = int8_flash + sum(gains[i].extra_bytes for i in wide) + (6144 if wide else 0)
        budget = {"flash_margin_bytes": board_flash - flash}
        builds.append(sorted(wide))
        if flash > board_flash:
            raise DoesNotFit("does not fit", "", budget)
        return {"sizes": {"flash_bytes": flash}, "budget": budget}

    monkeypatch.setattr(pipeline, "_engine_firmware", firmware)
    monkeypatch.setattr("tinyctl.engine.optimize.WIDE_CODE_BYTES", 2048)
    extras = [g.extra_bytes for g in gains.values()]
    for board_flash in (int8_flash + 2048 + sum(extras), int8_flash + 2048 + min(extras)):   # all, or one on paper
        builds.clear()
        int8 = {"sizes": {"flash_bytes": int8_flash}, "budget": {"flash_margin_bytes": board_flash - int8_flash}}
        result, wide = pipeline._balanced_firmware(graph, None, None, "m", None, None, None, int8)
        assert builds[0] == sorted(wide_layers(graph, "balanced", dsp=True, flash_room=board_flash - int8_flash))
        assert len(builds) >= 2 and len(wide) < len(builds[0]) and builds[-1] == sorted(wide)
        assert result["sizes"]["flash_bytes"] <= board_flash
    assert wide == frozenset() and builds[-1] == []   # one layer on paper, none in fact: int8 rebuilt
