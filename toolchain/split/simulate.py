"""Split-Et-Impera's communication-aware simulation and QoS matching, per deployment case.

Latency of one frame = head on the device (instructions at the board clock, one per cycle) + the
tensor's transfer (netsim) + the tail on this host (measured) + the answer's transfer back. Accuracy
is the detector's on the test images with the int8 payload; over UDP with loss, lost datagrams are
filled by each reconstruction policy before the tail runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinyctl.models.metrics import accuracy_at, average_precision

from . import netsim
from .cases import Case
from .channels import PRESETS, TCP_MIN_RTO_S
from .reconstruct import POLICIES, from_stream, missing_elements, reconstruct, to_stream
from .wire import CRC, DIM, HEADER

RESULT_FRAME = HEADER.size + DIM.size + 4 + CRC.size   # one float32 logit back


@dataclass(frozen=True)
class SimOptions:
    clock_hz: int
    channels: tuple = tuple(PRESETS)
    losses: tuple = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05)
    policies: tuple = POLICIES
    trials: int = 500
    rto_s: float = TCP_MIN_RTO_S
    seed: int = 0
    min_accuracy: float | None = None
    max_latency_ms: float | None = None
    notes: dict = field(default_factory=dict)


def frame_bytes(case: Case) -> int:
    """The payload plus the wire format's header, dimensions and CRC."""
    return case.payload_bytes + HEADER.size + DIM.size * len(case.code_shape) + CRC.size


def quantize(code: np.ndarray, quant: tuple[float, int]) -> np.ndarray:
    """What the receiver gets: the code rounded to int8 and dequantized (float, stream order)."""
    scale, zero = quant
    q = np.clip(np.round(to_stream(code) / scale) + zero, -128, 127)
    return ((q - zero) * scale).astype(np.float32)


def _score(case: Case, stream: np.ndarray, labels: np.ndarray) -> dict:
    scores = case.tail(from_stream(stream, case.code_shape))
    return {"accuracy": accuracy_at(scores, labels, case.threshold), "ap": average_precision(scores, labels)}


def udp_accuracy(case: Case, stream: np.ndarray, labels: np.ndarray, payload: int, loss: float,
                 policies, rng: np.random.Generator) -> dict:
    """Accuracy per policy when each datagram of each image is lost with probability `loss`."""
    count = -(-stream.shape[1] // payload)
    gone = missing_elements(netsim.udp_lost_packets(count, loss, len(stream), rng), stream.shape[1], payload)
    channels = case.code_shape[0] if len(case.code_shape) == 3 else 1
    return {policy: _score(case, reconstruct(stream, gone, channels, policy), labels) for policy in policies}


def _latency(case: Case, options: SimOptions, seconds_up: float, channel, protocol: str) -> float:
    head = case.instructions / options.clock_hz
    back = 0.0 if case.name == "LC" else netsim.transfer_time(RESULT_FRAME, channel, protocol)
    return 1e3 * (head + seconds_up + case.tail_seconds + back)


def simulate_case(case: Case, images: np.ndarray, labels: np.ndarray, options: SimOptions) -> list[dict]:
    """One row per (channel, protocol, loss[, policy])."""
    rng = np.random.default_rng(options.seed)
    stream = quantize(case.head(images), case.quant)
    lossless = _score(case, stream, labels)
    size, rows, udp_cache = frame_bytes(case), [], {}
    for name in options.channels:
        channel = PRESETS[name]
        for protocol in ("tcp", "udp"):
            packets = netsim.packetise(size, channel, protocol)
            base = {"case": case.name, "channel": name, "protocol": protocol, "frame_bytes": size,
                    "packets": packets.count, "wire_bytes": packets.wire_bytes}
            for loss in options.losses:
                if protocol == "tcp":
                    times = netsim.tcp_sampled_times(size, channel, loss, options.trials, rng, options.rto_s)
                    rows.append({**base, "loss": loss, "policy": None, **lossless, "frames_incomplete": 0.0,
                                 "latency_ms": _latency(case, options, float(times.mean()), channel, protocol),
                                 "latency_p95_ms": _latency(case, options, float(np.percentile(times, 95)), channel,
                                                            protocol)})
                    continue
                up = netsim.transfer_time(size, channel, "udp")
                key = (packets.payload, loss)
                if loss and key not in udp_cache:
                    udp_cache[key] = udp_accuracy(case, stream, labels, packets.payload, loss, options.policies, rng)
                for policy in options.policies:
                    accuracy = udp_cache[key][policy] if loss else lossless
                    rows.append({**base, "loss": loss, "policy": policy, **accuracy,
                                 "frames_incomplete": netsim.udp_frame_loss_probability(packets.count, loss),
                                 "latency_ms": _latency(case, options, up, channel, "udp"),
                                 "latency_p95_ms": _latency(case, options, up, channel, "udp")})
    return rows


def qos_match(rows: list[dict], min_accuracy: float | None, max_latency_ms: float | None) -> dict:
    """The configurations meeting accuracy >= A and latency <= L, fastest first (then most accurate)."""
    ok = [r for r in rows if (min_accuracy is None or r["accuracy"] >= min_accuracy)
          and (max_latency_ms is None or r["latency_ms"] <= max_latency_ms)]
    ok.sort(key=lambda r: (r["latency_ms"], -r["accuracy"]))
    return {"min_accuracy": min_accuracy, "max_latency_ms": max_latency_ms, "matches": len(ok),
            "recommended": ok[0] if ok else None}


def case_summary(case: Case, clock_hz: int) -> dict:
    return {"case": case.name, "code_shape": list(case.code_shape), "payload_bytes": case.payload_bytes,
            "head_instructions": int(case.instructions), "head_ms": 1e3 * case.instructions / clock_hz,
            "cost_source": case.cost_source, "device_memory": case.device_memory,
            "server_memory_bytes": case.server_memory_bytes, "tail_ms": 1e3 * case.tail_seconds,
            "quant": {"scale": case.quant[0], "zero_point": case.quant[1]}, **case.notes}
