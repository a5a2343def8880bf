"""UDP loss on a transmitted int8 tensor: which elements a lost datagram takes, and how the receiver fills them.

The head sends its tensor in NHWC order (the device layout), so element k of the flat stream is
channel k % C and travels in datagram k // payload. Policies: "zeros" (the real value 0),
"channel-mean" (the mean of the received elements of that channel), "nearest" (the closest received
element in stream order).
"""

from __future__ import annotations

import numpy as np

POLICIES = ("zeros", "channel-mean", "nearest")


def missing_elements(lost_packets: np.ndarray, elements: int, payload: int) -> np.ndarray:
    """bool (N, elements) from bool (N, packets)."""
    return np.repeat(lost_packets, payload, axis=1)[:, :elements]


def _channel_mean(row: np.ndarray, gone: np.ndarray, channels: int) -> np.ndarray:
    by_channel = row.reshape(-1, channels)
    kept = ~gone.reshape(-1, channels)
    counts = kept.sum(0)
    means = np.where(counts > 0, (by_channel * kept).sum(0) / np.maximum(counts, 1), 0.0)
    return np.where(kept, by_channel, means).reshape(-1)


def _nearest(row: np.ndarray, gone: np.ndarray) -> np.ndarray:
    kept = np.flatnonzero(~gone)
    if not len(kept):
        return np.zeros_like(row)
    at = np.clip(np.searchsorted(kept, np.arange(len(row))), 1, max(1, len(kept) - 1))
    left, right = kept[np.maximum(at - 1, 0)], kept[np.minimum(at, len(kept) - 1)]
    pick = np.where(np.abs(np.arange(len(row)) - left) <= np.abs(right - np.arange(len(row))), left, right)
    return np.where(gone, row[pick], row)


def reconstruct(flat: np.ndarray, gone: np.ndarray, channels: int, policy: str) -> np.ndarray:
    """Fill the missing elements of dequantized NHWC-flat tensors (N, L)."""
    if policy == "zeros":
        return np.where(gone, 0.0, flat).astype(np.float32)
    if policy not in POLICIES:
        raise ValueError(f"unknown reconstruction policy {policy!r}; use one of {', '.join(POLICIES)}")
    fill = (lambda r, g: _channel_mean(r, g, channels)) if policy == "channel-mean" else _nearest
    return np.stack([fill(r, g) if g.any() else r for r, g in zip(flat, gone)]).astype(np.float32)


def to_stream(code: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H*W*C) in NHWC order."""
    return code.transpose(0, 2, 3, 1).reshape(len(code), -1) if code.ndim == 4 else code.reshape(len(code), -1)


def from_stream(flat: np.ndarray, shape: tuple) -> np.ndarray:
    """Inverse of to_stream for a per-image shape (C, H, W) or (L,)."""
    if len(shape) == 3:
        c, h, w = shape
        return flat.reshape(len(flat), h, w, c).transpose(0, 3, 1, 2).copy()
    return flat.reshape(len(flat), *shape)
