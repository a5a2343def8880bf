"""Stage `uncompressed baseline`: the figures that show what compression saved on the device, measured rather
than estimated. `tinyctl.pipeline.measure_uncompressed` builds the uncompressed model with the same pipeline
in a scratch directory; these read the figures from a build's results."""

from __future__ import annotations

FIGURES = ("flash_bytes", "ram_bytes", "arena_bytes", "instructions_per_inference", "int8_tflite_test_ap")


def build_figures(memory: dict, engine: dict, validation: dict) -> dict:
    """FIGURES (and `fits`) of one build, from its report's memory, engine and validation sections; a figure
    is None where the build has none (no engine, or the host, which counts no instructions)."""
    budget = memory.get("engine") or {}
    return {"flash_bytes": budget.get("flash_needed_bytes"), "ram_bytes": budget.get("ram_needed_bytes"),
            "arena_bytes": engine.get("arena_bytes"),
            "instructions_per_inference": (engine.get("selftest") or {}).get("instructions", {}).get("per_inference"),
            "int8_tflite_test_ap": validation["runtimes"]["int8_tflite"]["ap"], "fits": budget.get("fits")}


def unfit_figures(host_report: dict, error: str) -> dict:
    """FIGURES of a model whose build does not fit the board: what does not depend on the board (the engine's
    arena, the int8 AP) from its host build, the device figures None, and the reason."""
    host = build_figures(host_report["memory"], host_report["engine"], host_report["validation"])
    return dict.fromkeys(FIGURES) | {"arena_bytes": host["arena_bytes"],
                                     "int8_tflite_test_ap": host["int8_tflite_test_ap"],
                                     "fits": False, "error": error}
