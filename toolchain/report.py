"""The build's record: manifest.json (reproducible: inputs, options, versions) and report.json/.html (results)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jinja2

from . import __version__
from .macs import op_macs
from .report_plots import PLOTS, float_int8_device
from .report_view import class_rows, fold_kept, validation_task
from .targets import BUILD_BOARD_FILE
from .validate import RUNTIME_LABELS

REPORT_SCHEMA_VERSION = 2
MANIFEST_SCHEMA_VERSION = 1
# What a rebuild must reproduce byte for byte (the manifest lists their sha256).
REPRODUCIBLE_ARTIFACTS = ["model.onnx", "model_int8.onnx", "model_int8.tflite", "tflm/model_data.h",
                          "tflm/model_data.cc", "tflm/op_resolver.h", "tflm/main.cc", "engine/model.c", "engine/model.h",
                          "engine/golden.c", "engine/golden.h", "firmware/linker.ld", "firmware/Makefile",
                          "firmware.bin"]

LAYER_NAME_CHARS = 40   # a layer name longer than this is shortened in tables (the full name shows on hover)


def short_layer_name(name: str) -> str:
    """A fused TFLite layer's first name (they join with ';'), its tail kept when longer than LAYER_NAME_CHARS."""
    first = name.split(";")[0]
    return first if len(first) <= LAYER_NAME_CHARS else "…" + first[-(LAYER_NAME_CHARS - 1):]


_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined)
_TEMPLATES.filters["short_layer"] = short_layer_name
_TEMPLATES.filters["task"] = validation_task
_TEMPLATES.globals.update(plots=PLOTS, fold_kept=fold_kept, class_rows=class_rows, float_int8_device=float_int8_device)


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def artifact_digests(build_dir: Path) -> dict:
    return {name: {"bytes": (build_dir / name).stat().st_size,
                   "sha256": hashlib.sha256((build_dir / name).read_bytes()).hexdigest()}
            for name in REPRODUCIBLE_ARTIFACTS if (build_dir / name).is_file()}


def _data_choice(source) -> dict:
    """The data flags a build was given (validate re-reads them); none for a model's own data."""
    choice = {"data": source.data.text if source.data else None,
              "test_data": source.test_data.text if source.test_data else None, "task": source.task}
    return {k: v for k, v in choice.items() if v is not None}


def manifest(source, board, options: dict, stages: list[str], tools: dict, build_dir: Path) -> dict:
    return {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "tinyctl_version": __version__,
        "inputs": {"model": {"path": options["model"], "kind": source.kind, "sha256": source.sha256},
                   "board_file": {"name": board.source.name, "copy": BUILD_BOARD_FILE,
                                  "sha256": hashlib.sha256(board.source.read_bytes()).hexdigest()},
                   "calibration": {"dataset": source.dataset, "split": "train",
                                   "samples": options["calibration_samples"], "seed": options["seed"],
                                   **_data_choice(source)}},
        "board": {key: board.to_dict()[key] for key in ("name", "clock_hz", "clock_source")},
        "options": options,
        "tools": tools,
        "stages": stages,
        "artifacts": artifact_digests(build_dir),
    }


def report(source, board, graph, memory: dict, engine: dict, validation: dict, timings: dict, build_dir: Path,
           compression: dict | None = None, sensitivity: dict | None = None) -> dict:
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tinyctl_version": __version__,
        "model": {"name": source.name, "kind": source.kind, "sha256": source.sha256,
                  "input_shape": list(source.input_shape), "threshold": source.threshold},
        "board": board.to_dict(),
        "graph": {"operators": [{"index": op.index, "opcode": op.opcode, "layer": graph.layer_name(op),
                                 "macs": op_macs(graph, op)}
                                for op in graph.operators],
                  "opcodes": graph.opcodes(), "tensors": len(graph.tensors)},
        "artifacts": artifact_digests(build_dir),
        "memory": memory,
        "engine": engine,
        "validation": validation,
        "cost": engine.get("selftest", {}).get("instructions"),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "compression": compression,
        "sensitivity": sensitivity,
    }


def render_html(data: dict, results: dict[str, str] | None = None) -> str:
    """The report page; `results` ({label: relative path}) are links to what `validate` and `run` wrote beside it."""
    return _TEMPLATES.get_template("report.html.j2").render(r=data, labels=RUNTIME_LABELS, results=results or {})
