"""Stage `uncompressed baseline`: the model as it was before pruning and QAT, converted, planned, linked and
self-tested for the same board in a scratch directory, so that a compressed build's report shows what the
compression saved on the device, measured rather than estimated."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..errors import TinyctlError
from ..graph import read_graph
from .data import labelled_split
from .engine import engine_support, golden_io, plan_engine_arena
from .export import export_float_onnx
from .firmware import build_engine_firmware
from .quantize import convert_int8_tflite
from .runtimes import run_tflite
from .source import ModelSource
from .tflm import measure_arena

FIGURES = ("flash_bytes", "ram_bytes", "arena_bytes", "instructions_per_inference", "int8_tflite_test_ap")


def int8_test_ap(model_bytes: bytes, source: ModelSource) -> float:
    from tinyctl.models.metrics import average_precision

    x_test, y_test = labelled_split(source, "test")
    return average_precision(run_tflite(model_bytes, x_test).values.ravel(), y_test)


def measure_uncompressed(source: ModelSource, board, calibration: np.ndarray, percentile: float | None) -> dict:
    """FIGURES of `source` built as this build builds (same calibration set and ranges); a figure is None
    where it cannot be had: the engine cannot run the model, or its firmware does not fit the board
    (`fits` false and `error` say why; that is often the reason to compress)."""
    with tempfile.TemporaryDirectory(prefix="tinyctl-baseline-") as tmp:
        work = Path(tmp)
        export_float_onnx(source, work / "model.onnx", calibration[:16])
        tflite = work / "model_int8.tflite"
        convert_int8_tflite(work / "model.onnx", tflite, calibration, work / "onnx2tf.log", work / "onnx2tf.log",
                            percentile)
        model_bytes, graph = tflite.read_bytes(), read_graph(tflite)
        figures = dict.fromkeys(FIGURES) | {"int8_tflite_test_ap": int8_test_ap(model_bytes, source), "fits": None}
        if engine_support(graph) is not None:
            return figures
        plan = plan_engine_arena(graph)
        figures["arena_bytes"] = plan.peak_bytes
        golden = golden_io(source, graph, model_bytes, measure_arena(model_bytes))
        try:
            built = build_engine_firmware(graph, plan, golden, source.name, board, work)
        except TinyctlError as exc:
            return figures | {"fits": False, "error": exc.message}
    figures["instructions_per_inference"] = _instructions(built["selftest"])
    if built["budget"] is not None:
        figures.update(flash_bytes=built["budget"]["flash_needed_bytes"], ram_bytes=built["budget"]["ram_needed_bytes"],
                       fits=built["budget"]["fits"])
    return figures


def compressed_figures(memory: dict, engine: dict, validation: dict) -> dict:
    """The same FIGURES for the build itself."""
    budget = memory.get("engine") or {}
    return {"flash_bytes": budget.get("flash_needed_bytes"), "ram_bytes": budget.get("ram_needed_bytes"),
            "arena_bytes": engine.get("arena_bytes"),
            "instructions_per_inference": _instructions(engine.get("selftest") or {}),
            "int8_tflite_test_ap": validation["runtimes"]["int8_tflite"]["ap"], "fits": budget.get("fits")}


def _instructions(selftest: dict) -> int | None:
    """Per inference under QEMU; None on the host, which counts nothing."""
    return selftest.get("instructions", {}).get("per_inference")
