"""`tinyctl split simulate` as a function: read the inputs, build the cases, simulate them, match the QoS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tinyctl.models.split.layers import cut_points, sequential_layers

from ..clocks import firmware_clock_hz
from ..errors import TinyctlError
from ..targets import resolve_board
from .cases import DeviceCost, model_cases, partition_case
from .channels import PRESETS
from .partition_dir import read_partition
from .simulate import SimOptions, case_summary, qos_match, simulate_case


@dataclass(frozen=True)
class SimulationInputs:
    target: str = "stm32"
    build_dir: Path | None = None
    partitions: list = field(default_factory=list)
    cuts: str | None = None
    rank_json: Path | None = None
    channels: str = ",".join(PRESETS)
    losses: str = "0,1,2,3,4,5"
    trials: int = 500
    min_accuracy: float | None = None
    max_latency_ms: float | None = None
    instructions_per_mac: float = 5.3

    def __post_init__(self):
        """A damaged partition directory fails now, not after minutes of data and cut measurements."""
        for directory in self.partitions:
            read_partition(Path(directory))


def _numbers(text: str, what: str, cast=float) -> list:
    try:
        return [cast(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise TinyctlError(f"--{what} must be comma-separated numbers, got {text!r}", "for example 0,1,5") from None


def _cuts(inputs: SimulationInputs, model) -> list[int]:
    if inputs.rank_json is not None:
        if not Path(inputs.rank_json).is_file():
            raise TinyctlError(f"{inputs.rank_json} does not exist", "run `tinyctl split rank` first")
        return json.loads(Path(inputs.rank_json).read_text())["candidates"]
    if inputs.cuts is not None:
        return _numbers(inputs.cuts, "cuts", int)
    return cut_points(sequential_layers(model))


def options_of(inputs: SimulationInputs) -> SimOptions:
    channels = tuple(c.strip() for c in inputs.channels.split(",") if c.strip())
    unknown = [c for c in channels if c not in PRESETS]
    if unknown or not channels:
        raise TinyctlError(f"unknown channel {', '.join(unknown) or '(none)'}", f"choose from {', '.join(PRESETS)}")
    losses = tuple(v / 100 for v in _numbers(inputs.losses, "losses"))
    if any(not 0 <= v < 0.5 for v in losses):
        raise TinyctlError("--losses must lie in [0, 50) percent", "the paper sweeps 0 to 5")
    board = resolve_board(inputs.target)
    clock_hz = firmware_clock_hz(board)
    if clock_hz is None:
        raise TinyctlError(f"the firmware for board {board.name} sets no clock, so no latency can be given in ms",
                           "pick a board whose firmware sets its clock (a MHz figure in `tinyctl targets`)")
    return SimOptions(clock_hz=clock_hz, channels=channels, losses=losses, trials=inputs.trials,
                      min_accuracy=inputs.min_accuracy, max_latency_ms=inputs.max_latency_ms,
                      notes={"board": board.name})


def run_simulation(inputs: SimulationInputs, source, data: dict, progress=None, task=None) -> dict:
    """data = {"val": (x, y), "test": (x, y)}: val calibrates the payload's int8 range, test scores it."""
    options = options_of(inputs)
    cost = DeviceCost.from_build(inputs.build_dir, inputs.instructions_per_mac)
    (calibration, _), (images, labels) = data["val"], data["test"]
    cases = model_cases(source.torch_model, source.input_shape, _cuts(inputs, source.torch_model), cost,
                        calibration, source.threshold)
    cases += [partition_case(Path(p), calibration) for p in inputs.partitions]
    if progress:
        progress.update(task, description="simulating", total=len(cases), completed=0)
    rows = []
    for case in cases:
        rows += simulate_case(case, images, labels, options)
        if progress:
            progress.advance(task)
    return {"board": options.notes["board"], "clock_hz": options.clock_hz, "model": str(source.path),
            "options": {"channels": list(options.channels), "losses": list(options.losses),
                        "policies": list(options.policies), "trials": options.trials, "rto_s": options.rto_s},
            "channels": {name: vars(PRESETS[name]) for name in options.channels},
            "cases": [case_summary(c, options.clock_hz) for c in cases], "rows": rows,
            "qos": qos_match(rows, options.min_accuracy, options.max_latency_ms)}
