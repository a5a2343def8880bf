"""The communication simulation: transfer times against hand-computed values, loss, reconstruction, QoS."""

import json

import numpy as np
import pytest

from split_support import tiny_checkpoint
from tinyctl.cli import main
from tinyctl.split import netsim
from tinyctl.split.cases import DeviceCost, _layer_stats, _units
from tinyctl.split.channels import PRESETS
from tinyctl.split.reconstruct import missing_elements, reconstruct
from tinyctl.split.simulate import qos_match

ETH, BLE = PRESETS["ethernet-1g"], PRESETS["ble"]


def test_udp_time_is_bits_over_rate_plus_delay():
    # 1 MB in 1500-byte IP packets: 1458 B of payload each (IP 20 + UDP 8 + app 14), 14 B of Ethernet each.
    packets = netsim.packetise(1_000_000, ETH, "udp")
    assert packets.count == 686 and packets.wire_bytes == 1_000_000 + 686 * (42 + 14)
    assert netsim.transfer_time(1_000_000, ETH, "udp") == pytest.approx(1_038_416 * 8 / 1e9 + 100e-6)   # 8.41 ms


def test_tcp_time_with_slow_start_by_hand():
    # VGG16 pool5 (25,088 floats = 100,352 B) over 1 Gb/s: 69 segments of MSS 1460, rounds of 10, 20, 39.
    size = 100_352
    per_segment = (size + 69 * (40 + 14)) * 8 / 1e9 / 69
    rtt = 200e-6
    expected = max(10 * per_segment, rtt) + max(20 * per_segment, rtt) + 39 * per_segment + 100e-6
    assert netsim.tcp_rounds(69) == [10, 20, 39]
    assert netsim.transfer_time(size, ETH, "tcp") == pytest.approx(expected)
    assert netsim.transfer_time(size, ETH, "tcp") == pytest.approx(1.01196e-3, rel=1e-4)
    # One small segment over BLE: 32 B + TCP/IP 40 B + link 10 B at 0.8 Mb/s, plus 7.5 ms.
    assert netsim.transfer_time(32, BLE, "tcp") == pytest.approx(82 * 8 / 0.8e6 + 7.5e-3)


def test_tcp_loss_costs_rto_or_rtt_and_monte_carlo_agrees():
    base = netsim.transfer_time(100, ETH, "tcp")
    p, rto = 0.05, 0.2
    # A single segment has no duplicate ACKs: each loss is a timeout, RTO then RTO again (and doubling).
    assert netsim.tcp_expected_time(100, ETH, p) == pytest.approx(base + p * rto + rto * p * p / (1 - 2 * p))
    size = 20 * 1460   # 20 segments: the first 17 have 3 later ones (duplicate ACKs: one RTT), the last 3 an RTO
    extra = p * (17 * ETH.rtt_s + 3 * rto) + 20 * rto * p * p / (1 - 2 * p)
    assert netsim.tcp_expected_time(size, ETH, p) == pytest.approx(netsim.transfer_time(size, ETH, "tcp") + extra)
    sampled = netsim.tcp_sampled_times(size, ETH, p, 40_000, np.random.default_rng(0))
    assert sampled.mean() == pytest.approx(netsim.tcp_expected_time(size, ETH, p), rel=0.05)
    assert netsim.tcp_sampled_times(size, ETH, 0.0, 10, np.random.default_rng(0)).max() == pytest.approx(
        netsim.transfer_time(size, ETH, "tcp"))
    assert netsim.udp_frame_loss_probability(3, 0.05) == pytest.approx(1 - 0.95 ** 3)


def test_lost_datagrams_and_reconstruction_policies():
    lost = np.array([[False, True, False]])
    gone = missing_elements(lost, 8, 3)
    assert gone.tolist() == [[False, False, False, True, True, True, False, False]]
    flat = np.arange(1, 9, dtype=np.float32)[None]
    assert reconstruct(flat, gone, 1, "zeros").tolist() == [[1, 2, 3, 0, 0, 0, 7, 8]]
    assert reconstruct(flat, gone, 1, "nearest").tolist() == [[1, 2, 3, 3, 3, 7, 7, 8]]
    # Channels interleave in NHWC order: with 2 channels, elements 0, 2, 4, 6 are channel 0.
    np.testing.assert_allclose(reconstruct(flat, gone, 2, "channel-mean"), [[1, 2, 3, 5, 11 / 3, 5, 7, 8]])


def test_qos_picks_the_fastest_configuration_that_is_accurate_enough():
    rows = [{"case": "LC", "latency_ms": 30.0, "accuracy": 0.95}, {"case": "SC", "latency_ms": 12.0, "accuracy": 0.90},
            {"case": "RC", "latency_ms": 8.0, "accuracy": 0.80}]
    assert qos_match(rows, 0.85, 40)["recommended"]["case"] == "SC"
    assert qos_match(rows, 0.94, 20)["recommended"] is None
    assert qos_match(rows, None, None)["matches"] == 3


def test_per_layer_counts_of_the_default_build_sum_to_the_whole(default_build):
    from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
    from tinyctl.models.split.layers import sequential_layers

    directory, report = default_build
    layers = sequential_layers(load_checkpoint(DEFAULT_CHECKPOINT).model)
    stats = _layer_stats(layers, (1, 64, 64))
    cost = DeviceCost.from_build(directory, 5.3)
    whole = report["cost"]["per_inference"]
    assert cost.instructions(stats, _units(layers, len(layers)), len(layers))[0] == whole
    head, _ = cost.instructions(stats, _units(layers, 20), 20)      # through the second max pool
    assert head == sum(op["instructions"] for op in report["cost"]["per_layer"][:9])
    assert 0 < head < whole


def test_simulate_cli_on_a_tiny_model(tmp_path):
    out = tmp_path / "sim"
    code = main(["split", "simulate", "-m", str(tiny_checkpoint()), "--cuts", "5,9", "--channels", "ethernet-1g,ble",
                 "--losses", "0,5", "--samples", "32", "--trials", "50", "--min-accuracy", "0", "-o", str(out)])
    assert code == 0
    data = json.loads((out / "simulate.json").read_text())
    assert [c["case"] for c in data["cases"]] == ["RC", "SC@5:ReLU", "SC@9:MaxPool2d", "LC"]
    assert [c["payload_bytes"] for c in data["cases"]] == [256, 256, 64, 1]
    assert len(data["rows"]) == 4 * 2 * (2 + 2 * 3)
    assert data["qos"]["recommended"] is not None
    assert (out / "simulate-latency.png").is_file() and (out / "simulate.html").is_file()
    assert main(["split", "simulate", "-m", str(tiny_checkpoint()), "--channels", "carrier-pigeon"]) == 2
