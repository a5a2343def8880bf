"""Link presets for the communication simulation: bit rate, one-way delay, MTU and per-frame link overhead.

Ethernet 1 Gb/s with 100 us is Split-Et-Impera's simulated link. The others are typical effective
figures for small devices (our estimates, not measurements): change them with your own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

IP_HEADER = 20
TCP_HEADER = 20
UDP_HEADER = 8
UDP_APP_HEADER = 14   # Split-Et-Impera's per-datagram header: sequence, packet number, length
TCP_MIN_RTO_S = 0.2   # Linux's minimum retransmission timeout, the paper's RTO
TCP_INITIAL_WINDOW = 10   # segments (RFC 6928)


@dataclass(frozen=True)
class Channel:
    name: str
    bitrate_bps: float
    delay_s: float        # one-way propagation and access delay
    mtu: int              # largest IP packet per link frame
    link_header: int      # link-layer bytes per frame (header + trailer)
    description: str = ""

    def __post_init__(self):
        if self.bitrate_bps <= 0 or self.delay_s < 0 or self.mtu <= IP_HEADER + TCP_HEADER + UDP_APP_HEADER:
            raise ValueError(f"channel {self.name}: bit rate > 0, delay >= 0 and an MTU above the headers, please")

    @property
    def rtt_s(self) -> float:
        return 2 * self.delay_s


PRESETS = {c.name: c for c in (
    Channel("ethernet-1g", 1e9, 100e-6, 1500, 14, "Ethernet 1 Gb/s, 100 us (Split-Et-Impera's simulation)"),
    Channel("wifi", 50e6, 2e-3, 1500, 36, "Wi-Fi 802.11n, 50 Mb/s effective, 2 ms"),
    Channel("lte-m", 1e6, 15e-3, 1500, 8, "LTE-M (Cat-M1) uplink, 1 Mb/s, 15 ms"),
    Channel("ble", 0.8e6, 7.5e-3, 251, 10, "Bluetooth LE 1M PHY with data length extension, 0.8 Mb/s, 7.5 ms interval"),
    Channel("802.15.4", 250e3, 5e-3, 102, 31, "IEEE 802.15.4 (2.4 GHz O-QPSK), 250 kb/s, 102-byte frames, 5 ms"),
)}


def channel(name: str) -> Channel:
    if name not in PRESETS:
        raise KeyError(name)
    return PRESETS[name]
