"""Transfer time of one tensor over a channel, TCP or UDP, with packetisation, headers and loss.

TCP: the frame's bytes go out as MSS-sized segments (MSS = MTU - IP - TCP headers), paced by slow
start from an initial window of 10 segments (a round waits for the ACKs, one RTT, when the window
does not fill the pipe). A lost segment costs one RTT when at least three segments follow it (fast
retransmit on duplicate ACKs) and the RTO otherwise; a lost retransmission costs the RTO, doubling
each time. Recoveries are counted one after another (conservative).
UDP: datagrams of MTU - IP - UDP - 14 bytes of app header, sent back to back, never retransmitted;
the frame arrives when its last datagram does and a lost datagram leaves a hole in the tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .channels import (IP_HEADER, TCP_HEADER, TCP_INITIAL_WINDOW, TCP_MIN_RTO_S, UDP_APP_HEADER, UDP_HEADER,
                       Channel)


@dataclass(frozen=True)
class Packets:
    count: int
    payload: int          # bytes of payload per full packet
    wire_bytes: int       # every byte on the link, headers included

    def seconds(self, channel: Channel) -> float:
        return self.wire_bytes * 8 / channel.bitrate_bps


def packetise(size: int, channel: Channel, protocol: str) -> Packets:
    """How `size` bytes travel: packet count, payload per packet, bytes on the link."""
    headers = IP_HEADER + (TCP_HEADER if protocol == "tcp" else UDP_HEADER + UDP_APP_HEADER)
    payload = channel.mtu - headers
    count = max(1, math.ceil(size / payload))
    return Packets(count, payload, size + count * (headers + channel.link_header))


def tcp_rounds(count: int, initial_window: int = TCP_INITIAL_WINDOW) -> list[int]:
    """Segments sent in each slow-start round (the window doubles every round)."""
    rounds, window, left = [], initial_window, count
    while left > 0:
        rounds.append(min(window, left))
        left -= rounds[-1]
        window *= 2
    return rounds


def transfer_time(size: int, channel: Channel, protocol: str, initial_window: int = TCP_INITIAL_WINDOW) -> float:
    """Seconds from the first bit sent to the last bit received, without loss."""
    packets = packetise(size, channel, protocol)
    if protocol == "udp":
        return packets.seconds(channel) + channel.delay_s
    per_segment = packets.seconds(channel) / packets.count
    rounds = tcp_rounds(packets.count, initial_window)
    stalls = sum(max(n * per_segment, channel.rtt_s) for n in rounds[:-1])
    return stalls + rounds[-1] * per_segment + channel.delay_s


def _first_loss_cost(index: int, count: int, channel: Channel, rto: float) -> float:
    return channel.rtt_s if count - index - 1 >= 3 else rto


def tcp_expected_time(size: int, channel: Channel, loss: float, rto: float = TCP_MIN_RTO_S,
                      initial_window: int = TCP_INITIAL_WINDOW) -> float:
    """Mean TCP transfer time at segment loss probability `loss` (< 0.5) under the model above."""
    count = packetise(size, channel, "tcp").count
    later = rto * loss ** 2 / (1 - 2 * loss)   # retransmissions lost again: RTO, 2 RTO, ...
    extra = sum(loss * _first_loss_cost(i, count, channel, rto) + later for i in range(count))
    return transfer_time(size, channel, "tcp", initial_window) + extra


def tcp_sampled_times(size: int, channel: Channel, loss: float, trials: int, rng: np.random.Generator,
                      rto: float = TCP_MIN_RTO_S, initial_window: int = TCP_INITIAL_WINDOW) -> np.ndarray:
    """Monte Carlo TCP transfer times: per-segment Bernoulli loss, retransmissions may be lost too."""
    count = packetise(size, channel, "tcp").count
    base = transfer_time(size, channel, "tcp", initial_window)
    first = np.array([_first_loss_cost(i, count, channel, rto) for i in range(count)])
    times = np.full(trials, base)
    losses = rng.geometric(1 - loss, (trials, count)) - 1 if loss > 0 else np.zeros((trials, count), int)
    for k in range(1, int(losses.max(initial=0)) + 1):
        cost = first if k == 1 else np.full(count, rto * 2 ** (k - 2))
        times += ((losses >= k) * cost).sum(1)
    return times


def udp_lost_packets(count: int, loss: float, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Which datagrams were lost: bool (trials, count), i.i.d. Bernoulli."""
    return rng.random((trials, count)) < loss


def udp_frame_loss_probability(count: int, loss: float) -> float:
    return 1 - (1 - loss) ** count
