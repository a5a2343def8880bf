"""Searches over pruning ratios: the least pruning that meets a device target (MACs, arena or weight
bytes), and the most pruning whose int8 accuracy stays within a drop budget. Both quantities move
monotonically with the ratio, so a bisection over a grid of ratios finds the answer in a few steps."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TinyctlError

TARGET_GRID = tuple(round(0.05 * i, 2) for i in range(19))            # 0 .. 0.9
BUDGET_GRID = (0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0)               # strongest first
TARGET_KINDS = {"macs": "multiply-accumulates per inference", "arena": "engine arena bytes (planner peak)",
                "flash": "int8 weight and bias bytes"}


@dataclass(frozen=True)
class Target:
    kind: str    # macs | arena | flash
    limit: int

    @classmethod
    def parse(cls, text: str) -> "Target":
        kind, _, value = text.partition("=")
        if kind not in TARGET_KINDS or not value.strip().isdigit():
            raise TinyctlError(f"cannot read the pruning target {text!r}",
                               "write KIND=NUMBER with KIND one of " + ", ".join(TARGET_KINDS) + ", e.g. arena=12000")
        return cls(kind, int(value))


def first_passing(candidates, passes) -> tuple[object | None, dict]:
    """The first candidate for which `passes` holds, given that it fails on a prefix of `candidates` and
    holds on the rest; evaluates O(log n) of them. Returns it (None if none passes) and {candidate: result}."""
    tried = {}
    low, high = 0, len(candidates)
    while low < high:
        middle = (low + high) // 2
        tried[candidates[middle]] = passes(candidates[middle])
        if tried[candidates[middle]]:
            high = middle
        else:
            low = middle + 1
    return (candidates[low] if low < len(candidates) else None), tried
