"""The report's plots on small made-up data: inline SVG, the same bytes every time, only what the data has."""

import re

from tinyctl.report_plots import accuracy_plot, arena_plot, cost_plot, savings_plot, sqnr_plot

PLAN = [{"tensor": 0, "offset": 0, "bytes": 4096, "first": 0, "last": 1},
        {"tensor": 1, "offset": 4096, "bytes": 2048, "first": 1, "last": 2}]
CURVES = {"grid": [0.0, 0.5, 1.0], "roc_tpr": [0.2, 0.9, 1.0], "pr_precision": [1.0, 0.9, 0.5],
          "operating_point": [0.1, 0.8]}
FIGURES = {"flash_bytes": 1000, "ram_bytes": 500, "arena_bytes": 200, "instructions_per_inference": None,
           "int8_tflite_test_ap": 0.9}


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
