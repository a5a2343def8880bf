"""`tinyctl run --emulate`: the firmware in runner mode under QEMU, over a loopback socket, checked
bit for bit against TFLite-Micro on the stm32 board (netduinoplus2) and a Cortex-M7 board
(mps2-an500); and the protocol's recovery from damaged bytes, a board reset and a silent board.

The UART model of QEMU moves one byte per main-loop turn (about 5-10 kB/s here), so a 4 KB image
takes 0.5-1 s: the two boards stream the whole test split (400 images) at the same time, one QEMU
each, and the CLI test streams a prefix."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tinyctl.cli import main
from tinyctl.datasets import labelled_split
from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.pipeline import BuildOptions, build
from tinyctl.runner import BoardSession, QemuBoard, open_link
from tinyctl.runner.board_run import RESULT_FILE, RunOptions, run_on_board
from tinyctl.runner.proxy import FaultyProxy
from tinyctl.runtimes import quantize_input, tflm_int8_outputs
from tinyctl.validate_build import read_build

IMAGES = 12        # the prefix the CLI and fault tests stream
TEST_SPLIT = 400


@pytest.fixture(scope="module")
def m7_build(default_build, tmp_path_factory):
    """The default model built for a Cortex-M7 board (QEMU stand-in mps2-an500)."""
    tflite = default_build[0] / "model_int8.tflite"
    out = tmp_path_factory.mktemp("m7") / "h743"
    return build(BuildOptions(target="nucleo-h743zi", model=str(tflite), out=str(out), synthetic_data=True))[0]


@pytest.fixture(scope="module")
def test_inputs(default_build):
    """The first IMAGES test images as int8 inputs, and TFLite-Micro's outputs for them."""
    directory = default_build[0]
    tflite = (directory / "model_int8.tflite").read_bytes()
    inp = read_graph(tflite).tensors[read_graph(tflite).inputs[0]]
    images, _ = labelled_split(read_build(directory)[1], "test")
    q = quantize_input(images[:IMAGES], inp.shape, inp.scale[0], inp.zero_point[0])
    return q, tflm_int8_outputs(tflite, q)


@pytest.fixture(scope="module")
def whole_split_runs(default_build, m7_build):
    """board -> run_on_board's result over the whole test split, both boards at once (QEMU's UART is
    the bottleneck, not the CPU)."""
    builds = {"nucleo-f446re": default_build[0], "nucleo-h743zi": m7_build}
    with ThreadPoolExecutor(len(builds)) as pool:
        futures = {board: pool.submit(run_on_board, directory, RunOptions(emulate=True))
                   for board, directory in builds.items()}
        return {board: future.result() for board, future in futures.items()}


def test_emulated_run_on_stm32_is_bit_exact_with_tflm(default_build, whole_split_runs):
    report = default_build[1]
    result = whole_split_runs["nucleo-f446re"]
    assert result["board"] == "nucleo-f446re" and result["link"] == "QEMU netduinoplus2"
    assert result["samples"] == TEST_SPLIT and result["agreement_vs_tflm"]["bit_exact"]
    assert result["agreement_vs_tflm"]["elements"] == result["samples"]
    per_inference = report["engine"]["selftest"]["instructions"]["per_inference"]
    assert result["latency"]["instructions_per_inference"] == pytest.approx(per_inference, rel=0.01)
    assert result["latency"]["cycles_per_inference"] is None   # QEMU has no cycle counter
    estimate = report["engine"]["selftest"]["estimated_cycles"]["per_inference"]
    assert result["latency"]["estimated_cycles_per_inference"] == pytest.approx(estimate, rel=0.02)
    assert result["latency"]["cycle_model"]["kind"] == "estimate"
    assert result["metrics"]["auroc"] == pytest.approx(report["validation"]["runtimes"]["tflm"]["auroc"])
    assert result["link_stats"]["rejected_results"] == 0


def test_emulated_run_on_a_cortex_m7_board_is_bit_exact_with_tflm(whole_split_runs):
    result = whole_split_runs["nucleo-h743zi"]
    assert result["board"] == "nucleo-h743zi" and result["link"] == "QEMU mps2-an500"
    assert result["agreement_vs_tflm"]["bit_exact"] and result["samples"] == TEST_SPLIT


def test_cli_run_emulate_prints_the_verdict_and_writes_the_result(default_build, capsys):
    directory = default_build[0]
    assert main(["run", str(directory), "--emulate", "--limit", str(IMAGES)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "bit-exact" in printed and "instructions per inference" in printed
    assert "estimated: " in printed and "cycles per inference" in printed and "DDI 0439B" in printed
    # QEMU's STM32F405 models no RCC: the F446 image's PLL never locks and its handshake reports HSI 16 MHz,
    # the clock its milliseconds then use, with a warning; never the planned 180 MHz.
    assert "ms at 16 MHz" in printed and "clock: 16 MHz, reported by the firmware" in printed
    assert "warning: the firmware runs at 16 MHz, not the build's planned 180 MHz" in printed
    result = json.loads((directory / RESULT_FILE).read_text())
    assert result["samples"] == IMAGES and result["agreement_vs_tflm"]["bit_exact"]
    assert result["latency"]["clock"]["reported_hz"] == 16_000_000 == result["latency"]["clock"]["clock_hz"]


def test_cli_run_with_out_leaves_the_build_as_built(build_copy, tmp_path, capsys):
    (build_copy / RESULT_FILE).unlink(missing_ok=True)   # another test's run of the shared build
    as_built = {name: (build_copy / name).read_bytes() for name in ("report.json", "report.html")}
    out = tmp_path / "runs" / "first.json"
    assert main(["run", str(build_copy), "--emulate", "--limit", "2", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["samples"] == 2 and not (build_copy / RESULT_FILE).exists()
    assert {name: (build_copy / name).read_bytes() for name in as_built} == as_built
    assert f"written:{out}" in "".join(capsys.readouterr().out.split())


def _infer_all(session, inputs):
    return np.stack([np.frombuffer(session.infer(x.tobytes())[0], np.int8) for x in inputs])


def test_damaged_bytes_are_recovered_and_never_accepted(default_build, test_inputs):
    inputs, expected = (a[:12] for a in test_inputs)
    qemu = QemuBoard(default_build[0], count_instructions=False)
    proxy = FaultyProxy(qemu.url, rate=0.05, seed=3)
    try:
        session = BoardSession(open_link(proxy.url), timeout_s=0.5)
        outputs = _infer_all(session, inputs)
        session.close()
    finally:
        proxy.close()
        qemu.stop(timeout_s=2)
    assert outputs.tolist() == expected.tolist()
    assert sum(proxy.faults.values()) >= 3
    assert session.stats.retries + session.stats.bad_frames >= 3


def test_a_board_reset_mid_run_and_a_silent_board(default_build, test_inputs):
    inputs, expected = test_inputs
    qemu = QemuBoard(default_build[0], count_instructions=False)
    proxy = FaultyProxy(qemu.url, rate=0.0)
    reset_at = 3 * 4096 + 1500      # during the fourth image's upload

    def reset_once(forwarded):
        if forwarded >= reset_at and proxy.on_forward:
            proxy.on_forward = None
            qemu.monitor("system_reset")

    proxy.on_forward = reset_once
    try:
        session = BoardSession(open_link(proxy.url), timeout_s=0.5, tries=3)
        outputs = _infer_all(session, inputs[:6])
        assert outputs.tolist() == expected[:6].tolist()
        assert session.stats.restarts >= 1
        qemu.monitor("stop")            # the board goes silent
        with pytest.raises(TinyctlError, match="did not answer"):
            session.infer(inputs[0].tobytes())
    finally:
        proxy.close()
        qemu.stop(timeout_s=0)


def test_a_board_without_a_debugger_boots_into_runner_mode(default_build, test_inputs):
    """No semihosting (as on a board on its own): the BKPT faults are stepped over, runner mode starts."""
    inputs, expected = test_inputs
    qemu = QemuBoard(default_build[0], semihosting=False, count_instructions=False)
    try:
        session = BoardSession(qemu.open())
        assert session.handshake().board == "nucleo-f446re"
        assert _infer_all(session, inputs[:2]).tolist() == expected[:2].tolist()
        session.close(goodbye=False)
    finally:
        qemu.stop(timeout_s=0)


def test_run_needs_a_port_or_emulate(default_build, capsys):
    assert main(["run", str(default_build[0])]) == 2
    assert "give either --port or --emulate" in capsys.readouterr().err
