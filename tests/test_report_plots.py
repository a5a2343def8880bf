"""The report's plots on small made-up data: inline SVG, the same bytes every time, only what the data has."""

import re

from report_variants import MOVED_BY_INT8, classification_validation
from tinyctl.report_plots import ORANGE, accuracy_plot, arena_plot, confusion_plot, cost_plot, savings_plot, sqnr_plot

PLAN = [{"tensor": 0, "offset": 0, "bytes": 4096, "first": 0, "last": 1},
        {"tensor": 1, "offset": 4096, "bytes": 2048, "first": 1, "last": 2}]
CURVES = {"grid": [0.0, 0.5, 1.0], "roc_tpr": [0.2, 0.9, 1.0], "pr_precision": [1.0, 0.9, 0.5],
          "operating_point": [0.1, 0.8]}
FIGURES = {"flash_bytes": 1000, "ram_bytes": 500, "arena_bytes": 200, "instructions_per_inference": None,
           "int8_tflite_test_ap": 0.9}


def classifier_runtimes() -> dict:
    labels = {name: {"label": name} for name in ("float_torch", "float_onnx", "int8_tflite", "tflm", "engine_host",
                                                 "engine_qemu")}
    return classification_validation({"runtimes": labels, "agreement": {}})["runtimes"]


def all_plots() -> dict[str, str]:
    runtimes = {"float_onnx": {"label": "float ONNX", "curves": CURVES},
                "float_torch": {"label": "float (PyTorch)", "curves": CURVES},
                "int8_tflite": {"label": "int8 TFLite", "skipped": "refused"},
                "tflm": {"label": "int8 TFLite-Micro", "curves": CURVES}}
    return {"arena": arena_plot(PLAN, 6144, 8000),
            "cost": cost_plot([{"index": i, "macs": 100 * i} for i in range(3)],
                              [{"index": i, "instructions": 1000 + i} for i in range(3)]),
            "sqnr": sqnr_plot([{"index": 0, "sqnr_db": 40.0}, {"index": 1, "sqnr_db": None},
                               {"index": 2, "sqnr_db": 31.5}]),
            "accuracy": accuracy_plot(runtimes),
            "confusion": confusion_plot(classifier_runtimes()),
            "savings": savings_plot(FIGURES, {**FIGURES, "flash_bytes": 600})}


def test_plots_are_deterministic_self_contained_svg():
    first, second = all_plots(), all_plots()
    assert first == second
    for name, svg in first.items():
        assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>"), name
        assert not re.search(r'href="(?!#)', svg), name   # links only inside the SVG itself
        assert "<dc:date>" not in svg, name


def test_plots_show_what_the_data_has():
    plots = all_plots()
    assert "6,144 B" in plots["arena"] and "8,000 B" in plots["arena"]
    assert "float (PyTorch)" in plots["accuracy"] and "float ONNX" not in plots["accuracy"]   # one float curve
    assert "int8 TFLite-Micro" in plots["accuracy"] and "int8 TFLite<" not in plots["accuracy"]
    assert "60%" in plots["savings"] and "instructions" not in plots["savings"]   # no figure, no bar


def test_confusion_matrices_outline_the_cells_int8_changed():
    svg = confusion_plot(classifier_runtimes())
    assert "float_torch" in svg and "int8_tflite" in svg and "engine_host" in svg   # float, int8, device
    assert "float_onnx" not in svg and "tflm" not in svg and "engine_qemu" not in svg
    changed_per_matrix = 2 * len(MOVED_BY_INT8)   # each moved image: one cell less, one cell more
    assert svg.count(f"stroke: {ORANGE}") == 2 * changed_per_matrix   # in the int8 and the device matrix


def test_cost_plot_shows_estimated_cycles_only_when_the_build_has_them():
    operators = [{"index": i, "macs": 100 * i} for i in range(3)]
    measured = [{"index": i, "instructions": 1000 + i} for i in range(3)]
    assert "estimated cycles" not in cost_plot(operators, measured)
    with_cycles = cost_plot(operators, [{**layer, "estimated_cycles": 1500 + layer["index"]} for layer in measured])
    assert "estimated cycles" in with_cycles and "instructions (QEMU)" in with_cycles
