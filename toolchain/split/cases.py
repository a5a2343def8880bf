"""The deployments the simulation compares: local (LC), remote (RC), and split computing at each cut (SC).

Each case knows what runs on the device (instructions, RAM, flash), what it sends (the int8 tensor,
quantized with the head build's output parameters or, without a build, min/max over val), and how
the server turns a received tensor into detector scores.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from tinyctl.models.split.layers import cut_points, layer_label, sequential_layers

from ..errors import TinyctlError
from .partition_dir import read_partition

MEASURE_RUNS = 20


@dataclass
class Case:
    name: str
    head: Callable[[np.ndarray], np.ndarray]   # images -> float code (N, C, H, W) or (N, L)
    tail: Callable[[np.ndarray], np.ndarray]   # float code -> detector scores (N,)
    code_shape: tuple
    quant: tuple[float, int]                   # scale, zero point of the int8 payload
    instructions: int
    cost_source: str
    device_memory: dict                        # ram_bytes, flash_bytes, source
    server_memory_bytes: int
    threshold: float
    tail_seconds: float = 0.0
    notes: dict = field(default_factory=dict)

    @property
    def payload_bytes(self) -> int:
        return int(np.prod(self.code_shape))


def torch_fn(module: nn.Module):
    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return torch.cat([module(b) for b in torch.from_numpy(np.ascontiguousarray(x)).split(256)]).numpy()
    return run


def scores_fn(module: nn.Module):
    run = torch_fn(module)
    return lambda x: run(x).reshape(len(x), -1)[:, 0]


def seconds_per_call(fn, example: np.ndarray) -> float:
    """Median wall time of one batch-1 call on this host (the server), on one thread: steadier on a busy host."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fn(example)
        times = []
        for _ in range(MEASURE_RUNS):
            start = time.perf_counter()
            fn(example)
            times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    return float(np.median(times))


def minmax_quant(values: np.ndarray) -> tuple[float, int]:
    """Asymmetric int8 parameters covering [min, max] (and 0), as a post-training calibration gives."""
    low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    scale = max(high - low, 1e-8) / 255
    return scale, int(np.clip(round(-128 - low / scale), -128, 127))


def _layer_stats(layers: list[nn.Module], input_shape) -> list[dict]:
    """Per layer: MACs, parameters, input and output elements (from one forward pass)."""
    x, stats = torch.zeros((1, *input_shape)), []
    with torch.no_grad():
        for layer in layers:
            y = layer(x)
            macs = 0
            for m in layer.modules():
                if isinstance(m, nn.Conv2d):
                    macs += y.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                elif isinstance(m, nn.Linear):
                    macs += m.in_features * m.out_features
            params = sum(p.numel() for p in layer.parameters() if p.ndim > 1)
            biases = sum(p.shape[0] for p in layer.parameters() if p.ndim > 1)
            stats.append({"macs": macs, "weights": params, "biases": biases, "in": x.numel(), "out": y.numel()})
            x = y
    return stats


@dataclass(frozen=True)
class DeviceCost:
    """How the device's cost of a head is found: a full build's per-layer QEMU counts, or MACs x a rate."""
    per_layer: list | None = None               # report.json cost.per_layer of the full model's build
    memory: dict | None = None                  # report.json memory.engine of that build
    instructions_per_mac: float = 5.3           # the default detector's measured rate on Cortex-M4

    @classmethod
    def from_build(cls, build_dir: Path | None, instructions_per_mac: float) -> "DeviceCost":
        if build_dir is None:
            return cls(instructions_per_mac=instructions_per_mac)
        report = _read_report(build_dir)
        if not report.get("cost"):
            raise TinyctlError(f"{build_dir} has no QEMU instruction counts", "build for a board with a QEMU stand-in")
        return cls(report["cost"]["per_layer"], report["memory"]["engine"], instructions_per_mac)

    def instructions(self, stats: list[dict], units: int, head_layers: int) -> tuple[int, str]:
        """Instructions of the first `head_layers` layers, which hold `units` compute ops."""
        if self.per_layer is None:
            return round(self.instructions_per_mac * sum(s["macs"] for s in stats[:head_layers])), "MACs x rate"
        if head_layers == len(stats):
            return sum(op["instructions"] for op in self.per_layer), "QEMU count of the full build"
        ops = [op for op in self.per_layer if op["opcode"] != "PAD"]   # PAD belongs to the conv after it
        if units > len(ops):
            raise TinyctlError("the build does not match the model", "pass --build of this model's own build")
        last = ops[units - 1]["index"] if units else -1
        return sum(op["instructions"] for op in self.per_layer if op["index"] <= last), "QEMU per-layer count"

    def memory_estimate(self, stats: list[dict], head_layers: int, all_weights: int) -> dict:
        head = stats[:head_layers]
        weights = sum(s["weights"] + 4 * s["biases"] for s in head)
        arena = max((s["in"] + s["out"] for s in head), default=0)
        if self.memory is None:
            return {"ram_bytes": arena, "flash_bytes": weights, "source": "activations + int8 weights only"}
        runtime_flash = self.memory["flash_needed_bytes"] - all_weights
        runtime_ram = self.memory["ram_needed_bytes"] - self.memory["arena_bytes"]
        return {"ram_bytes": arena + runtime_ram, "flash_bytes": weights + runtime_flash,
                "source": "estimate from the full build"}


def _read_report(build_dir: Path) -> dict:
    path = Path(build_dir) / "report.json"
    if not path.is_file():
        raise TinyctlError(f"{build_dir} is not a tinyctl build (no report.json)", "run `tinyctl build` first")
    return json.loads(path.read_text())


def _server_bytes(stats: list[dict]) -> int:
    """Float32 weights plus the largest input + output activation."""
    return 4 * (sum(s["weights"] + s["biases"] for s in stats) + max((s["in"] + s["out"] for s in stats), default=0))


def model_cases(model: nn.Module, input_shape, cuts: list[int], cost: DeviceCost, calibration: np.ndarray,
                threshold: float) -> list[Case]:
    """LC, RC and SC after each of `cuts` (no bottleneck: the layer's own output is sent)."""
    layers = sequential_layers(model)
    points = cut_points(layers)
    stats = _layer_stats(layers, input_shape)
    all_weights = sum(s["weights"] + 4 * s["biases"] for s in stats)
    cases = []
    for cut in [-1, *cuts, len(layers) - 1]:
        if 0 <= cut < len(layers) - 1 and cut not in points:
            raise TinyctlError(f"layer {cut} is not a cut point", f"choose from {points}")
        head, tail = nn.Sequential(*layers[:cut + 1]), nn.Sequential(*layers[cut + 1:])
        code = torch_fn(head)(calibration)
        instructions, source = cost.instructions(stats, _units(layers, cut + 1), cut + 1)
        name = "RC" if cut < 0 else "LC" if cut == len(layers) - 1 else f"SC@{layer_label(layers, cut)}"
        case = Case(name, torch_fn(head), scores_fn(tail), tuple(code.shape[1:]), minmax_quant(code), instructions,
                    source, cost.memory_estimate(stats, cut + 1, all_weights), _server_bytes(stats[cut + 1:]),
                    threshold)
        case.tail_seconds = seconds_per_call(case.tail, code[:1]) if len(tail) else 0.0
        cases.append(case)
    return cases


def _units(layers: list[nn.Module], count: int) -> int:
    """Compute ops (conv, linear, pool) in the first `count` layers: one engine op each after folding."""
    kinds = (nn.Conv2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d)
    return sum(1 for layer in layers[:count] for m in layer.modules() if isinstance(m, kinds))


def partition_case(directory: Path, calibration: np.ndarray) -> Case:
    """SC with the bottleneck of a `tinyctl split partition` directory; its head build gives the device cost."""
    partition = read_partition(directory)
    directory, summary, head, tail = partition.directory, partition.summary, partition.head, partition.tail
    run_head = torch_fn(head)
    code = run_head(calibration)
    quant, instructions, source = minmax_quant(code), 0, "no head build"
    memory = {"ram_bytes": None, "flash_bytes": None, "source": "no head build"}
    if (directory / "head-build" / "report.json").is_file():
        report = _read_report(directory / "head-build")
        instructions = report["engine"]["selftest"]["instructions"]["per_inference"]
        source, budget = "QEMU count of the head build", report["memory"]["engine"]
        memory = {"ram_bytes": budget["ram_needed_bytes"], "flash_bytes": budget["flash_needed_bytes"],
                  "source": "linked head firmware"}
        quant = _output_quant(directory / "head-build" / "model_int8.tflite")
    scores = lambda x: tail.run(np.ascontiguousarray(x, np.float32))[0].reshape(len(x), -1)[:, 0]
    tail_params = sum(int(np.prod(t.dims)) for t in _onnx_initializers(directory / "tail.onnx"))
    case = Case(f"SC@{summary['cut_label']}+bottleneck", run_head, scores, tuple(summary["code_shape"]), quant,
                instructions, source, memory, 4 * tail_params, summary["threshold"], notes={"partition": str(directory)})
    case.tail_seconds = seconds_per_call(scores, code[:1])
    return case


def _output_quant(tflite: Path) -> tuple[float, int]:
    from ..graph import read_graph

    graph = read_graph(tflite)
    out = graph.tensors[graph.outputs[0]]
    return float(out.scale[0]), int(out.zero_point[0])


def _onnx_initializers(path: Path):
    import onnx

    return onnx.load(str(path)).graph.initializer
