"""The benchmark's measurements: one int8 .tflite through tinyctl's engine on each benchmarked core
(firmware built with tinyctl.pipeline.build_engine_firmware, self-test run under QEMU with the
instruction-counting plugin), next to the TFLite-Micro figures for the same model."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyctl.firmware_run import FIRMWARE_ELF
from tinyctl.graph import Graph, read_graph
from tinyctl.macs import graph_macs
from tinyctl.paths import FIRMWARE_TEMPLATES_DIR, REPO_ROOT
from tinyctl.pipeline import build_engine_firmware
from tinyctl.planner import Plan, arena_lower_bound
from tinyctl.runtimes import tflm_int8_outputs
from tinyctl.stages.engine import plan_engine_arena
from tinyctl.stages.tflm import measure_tflm_arena
from tinyctl.targets import resolve_board

# The benchmarked cores and the board (QEMU stand-in) each is measured on. The M4 is the NUCLEO-L4R5ZI, the
# board of MLPerf Tiny's best Cortex-M4 results (run_benchmarks.BEST_SILICON): its 2 MiB of flash let
# `--optimize balanced` take the int16 weights that the F446RE's 512 KiB cannot hold for the larger models.
CORES = {"M4": "nucleo-l4r5zi", "M7": "disco-f746ng", "M33": "nucleo-u575zi", "M55": "mps3-an547"}
MAC_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")   # cost per multiply-accumulate
ELEMENT_OPS = ("ADD",)                                          # cost per output element
DETECTOR_BUILD = REPO_ROOT / "build" / "default_detector-nucleo-f446re"   # `tinyctl build --target stm32`
# Output sections the image stores in flash (arm-none-eabi-size's text + data).
FLASH_SECTIONS = (".isr_vector", ".text", ".ARM.exidx", ".data")
KERNEL_OBJECTS = frozenset(f"{p.stem}.o" for p in (FIRMWARE_TEMPLATES_DIR / "engine").glob("*.c"))


@dataclass(frozen=True)
class Model:
    name: str
    tflite: bytes
    origin: str            # where the bytes came from, for the report


@dataclass
class Prepared:
    """Everything about a model that does not depend on the board."""
    model: Model
    graph: Graph
    macs: dict
    plan: Plan
    tflm_arena: int
    tflm_arena_note: str | None
    golden: tuple[np.ndarray, np.ndarray]
    arena_bound: int       # tinyctl.planner.arena_lower_bound: the most bytes one op holds at once


# --- the models ---------------------------------------------------------------------------------

def reference_model(name: str, seed: int = 0) -> Model:
    from tinyctl.reference_models import REFERENCE_MODELS, build_reference_model

    return Model(name, build_reference_model(name, seed), f"tinyctl.reference_models seed {seed}: "
                 f"{REFERENCE_MODELS[name].description}")


def _built_from(build_dir: Path, checkpoint_sha256: str) -> bool:
    import json

    try:
        manifest = json.loads((build_dir / "manifest.json").read_text())
        return (build_dir / "model_int8.tflite").is_file() and \
            manifest["inputs"]["model"]["sha256"] == checkpoint_sha256
    except (OSError, KeyError, ValueError):
        return False


def default_detector(work: Path, rebuild: bool = False, progress=None) -> Model:
    """The shipped detector's int8 TFLite: from an existing `tinyctl build --target stm32` of the
    current checkpoint when there is one, else from a fresh build into work/default_detector-build."""
    from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT
    from tinyctl.pipeline import BuildOptions, build
    from tinyctl.model_source import sha256_of

    sha = sha256_of(DEFAULT_CHECKPOINT)
    fresh = work / "default_detector-build"
    for candidate in (() if rebuild else (DETECTOR_BUILD, fresh)):
        if _built_from(candidate, sha):
            return Model("default_detector", (candidate / "model_int8.tflite").read_bytes(),
                         f"{_shown(candidate / 'model_int8.tflite')} (existing build of the current checkpoint)")
    directory, _ = build(BuildOptions(target="stm32", out=str(fresh)), progress)
    return Model("default_detector", (directory / "model_int8.tflite").read_bytes(),
                 f"{_shown(directory / 'model_int8.tflite')} (built now by tinyctl.pipeline.build)")


def split_head(work: Path, progress=None, cut: int = 19) -> Model:
    """The default detector's split-computing head cut after layer `cut`, with its bottleneck encoder
    left untrained (an int8 kernel's instruction count hardly depends on the weights' values), built
    for the M4 by tinyctl.pipeline.build like any checkpoint."""
    from tinyctl.pipeline import BuildOptions, build
    from tinyctl.split.partition import PartitionOptions, partition
    from tinyctl.datasets import labelled_split
    from tinyctl.model_source import load_source

    source = load_source(None)
    data = {split: labelled_split(source, split) for split in ("train", "val", "test")}
    split_dir, _ = partition(PartitionOptions(cut=cut, epochs=0, out=str(work / "split")), data)
    directory, _ = build(BuildOptions(target="stm32", model=str(split_dir / "head.pt"),
                                      out=str(work / "split_head-build")), progress)
    return Model("split_head", (directory / "model_int8.tflite").read_bytes(),
                 f"`tinyctl split partition --cut {cut} --epochs 0` of the default detector (head with its "
                 "bottleneck encoder), built by tinyctl.pipeline.build")


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


# --- TFLite-Micro: the oracle and its arena -----------------------------------------------------

def random_inputs(graph: Graph, count: int, seed: int) -> np.ndarray:
    """count seeded uniform int8 inputs, [count, *input shape without the batch]."""
    shape = graph.tensors[graph.inputs[0]].shape[1:]
    return np.random.default_rng(seed).integers(-128, 128, size=(count, *shape), dtype=np.int8)


def tflm_arena(model: bytes) -> tuple[int, str | None]:
    """TFLite-Micro's arena for the model (tinyctl's measure_tflm_arena) and, when its recording
    allocator's total is too small to run the model, a note saying so."""
    arena = measure_tflm_arena(model)
    if arena.bytes == arena.recorded:
        return arena.bytes, None
    return arena.bytes, (f"TFLite-Micro's recording allocator reports {arena.recorded:,} B, which does not run this "
                         f"model; shown is the smallest arena it runs in, which tinyctl's measure_arena finds")


def prepare(model: Model, golden_count: int, seed: int) -> Prepared:
    """Graph, MACs, our arena plan, TFLite-Micro's arena, and the self-test's golden data (seeded
    random int8 inputs and TFLite-Micro's outputs for them)."""
    graph = read_graph(model.tflite)
    arena, note = tflm_arena(model.tflite)
    inputs = random_inputs(graph, golden_count, seed)
    golden = (inputs.reshape(golden_count, -1), tflm_int8_outputs(model.tflite, inputs))
    return Prepared(model, graph, graph_macs(graph), plan_engine_arena(graph), arena, note, golden,
                    arena_lower_bound(graph)[0])


# --- one model on one core ----------------------------------------------------------------------

def run_on_core(prepared: Prepared, core: str, work: Path) -> dict:
    """Build the engine firmware for the core's board into work/<model>/<board>, self-test it under
    QEMU, and return its instruction counts, estimated cycles, per-op-type costs and flash breakdown."""
    board = resolve_board(CORES[core])
    build_dir = work / prepared.model.name / board.name
    shutil.rmtree(build_dir, ignore_errors=True)
    result = build_engine_firmware(prepared.graph, prepared.plan, prepared.golden, prepared.model.name,
                                   board, build_dir)
    counts = result["selftest"]["instructions"]
    estimate = result["selftest"].get("estimated_cycles") or {}   # cores without a cycle table: M33, M55
    return {"board": board.name, "qemu_machine": board.qemu_machine, "elf": str(build_dir / FIRMWARE_ELF),
            "instructions": counts["per_inference"], "inferences": counts["inferences"],
            "estimated_cycles": estimate.get("per_inference"), "estimated_ms": estimate.get("ms_at_board_clock"),
            "cycle_model": estimate.get("model"),
            "instructions_min": counts["min"], "instructions_max": counts["max"],
            "ops": op_costs(counts["per_layer"], prepared.macs["per_op"]),
            "sizes": result["sizes"],
            "flash": flash_breakdown(build_dir / "firmware" / "firmware.map", result["sizes"]["flash_bytes"])}


def op_costs(per_layer: list[dict], per_op: list[dict]) -> dict:
    """{opcode: {"layers", "instructions", "macs", "elements"}}, summed over the model's layers."""
    costs: dict[str, dict] = {}
    for layer, work in zip(per_layer, per_op, strict=True):
        assert layer["index"] == work["index"] and layer["opcode"] == work["opcode"]
        entry = costs.setdefault(layer["opcode"], {"layers": 0, "instructions": 0, "macs": 0, "elements": 0})
        entry["layers"] += 1
        entry["instructions"] += layer["instructions"]
        entry["macs"] += work["macs"]
        entry["elements"] += work["elementwise_elements"]
    return costs


# One line of the link map that places bytes: an optional input-section name, address, size, object.
_PLACED = re.compile(r"^ (\S+)?\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)(?:\s+(\S.*))?$")


def flash_by_object(map_file: Path) -> dict[str, int]:
    """Flash bytes per input object (e.g. "model.o", "libc_nano.a(lib_a-memcpy.o)", "*fill*") read
    off the linker's map: the input sections of the output sections stored in flash. Each input
    section counts up to where the next one starts (merged string sections report the pool's size
    more than once), so the parts add up to the output sections' sizes."""
    body = map_file.read_text().split("Linker script and memory map", 1)[1]
    placed: dict[str, list[tuple[int, int, str]]] = {}   # output section -> (address, size, object)
    ends: dict[str, int] = {}
    section, name = None, None
    for line in body.splitlines():
        line = line.rstrip()
        if line[:1] not in ("", " "):            # an output section starts in column 0
            section, name = line.split()[0], None
            parts = line.split()
            if len(parts) >= 3 and parts[1].startswith("0x"):
                ends[section] = int(parts[1], 16) + int(parts[2], 16)
            continue
        if section not in FLASH_SECTIONS:
            continue
        match = _PLACED.match(line)
        if not match:                             # an input section's name alone: its place follows
            name = line.split()[0] if line.startswith(" .") and len(line.split()) == 1 else None
            continue
        first, address, size, obj = match.groups()
        first, name = first or name, None
        address, size = int(address, 16), int(size, 16)
        if first == "*fill*":
            obj = "*fill*"
        elif not obj:                             # the output section's own address and size
            ends.setdefault(section, address + size)
            continue
        key = Path(obj.split("(")[0]).name + (f"({obj.split('(', 1)[1]}" if "(" in obj else "")
        placed.setdefault(section, []).append((address, size, key))
    sizes: dict[str, int] = {}
    for section, entries in placed.items():
        limits = [address for address, _, _ in entries[1:]] + [ends[section]]
        for (address, size, key), limit in zip(entries, limits):
            sizes[key] = sizes.get(key, 0) + max(0, min(size, limit - address))
    return sizes


def flash_breakdown(map_file: Path, flash_bytes: int) -> dict:
    """The firmware's flash in parts: model.o (the generated model: its code and constant weights),
    the engine's kernels, the self-test's golden data, and the rest (app, platform, C library, padding)."""
    by_object = flash_by_object(map_file)
    parts = {"model": by_object.pop("model.o", 0), "selftest_data": by_object.pop("golden.o", 0),
             "kernels": sum(by_object.pop(o) for o in list(by_object) if o in KERNEL_OBJECTS)}
    parts["runtime"] = sum(by_object.values())
    if sum(parts.values()) != flash_bytes:
        raise AssertionError(f"{map_file}: the map's parts add up to {sum(parts.values())} bytes, "
                             f"arm-none-eabi-size says {flash_bytes}")
    parts["total"] = flash_bytes
    return parts
