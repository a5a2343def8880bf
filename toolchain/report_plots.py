"""The report's plots: one small function per plot, from report.json's data to an inline SVG string.

matplotlib's Figure with the SVG backend (no pyplot state); a fixed hash salt, text kept as text and no date make
the same report render the same bytes."""

from __future__ import annotations

import io

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

_STYLE = {"svg.hashsalt": "tinyctl", "svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
          "axes.spines.right": False}
BLUE, ORANGE, GREY = "#3a7bd5", "#e07b39", "#888888"


def _svg(fig: Figure) -> str:
    """The figure as an <svg> element (no XML prologue), deterministic."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()[out.getvalue().index("<svg"):]


def _figure(height: float) -> Figure:
    return Figure(figsize=(9, height), layout="constrained")


def _layer_bars(ax, indices: list[int], values: list[float], color: str, label: str) -> None:
    """Bars per op index, each labelled with its share of the total (for shares of at least 5 %)."""
    total = sum(values) or 1
    bars = ax.bar(indices, values, color=color)
    ax.bar_label(bars, [f"{100 * v / total:.0f}%" if v / total >= 0.05 else "" for v in values], fontsize=7)
    ax.set_ylabel(label)


def arena_plot(plan: list[dict], engine_arena: int, tflm_arena: int) -> str:
    """The engine's memory plan: each activation a box over its live ops x its bytes in the arena."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(3.6)
        ax = fig.add_subplot()
        for box in plan:
            ax.add_patch(Rectangle((box["first"] - 0.4, box["offset"] / 1024), box["last"] - box["first"] + 0.8,
                                   box["bytes"] / 1024, facecolor=BLUE, edgecolor="white", alpha=0.8))
        ax.axhline(engine_arena / 1024, color=BLUE, linestyle="--", label=f"engine arena peak {engine_arena:,} B")
        ax.axhline(tflm_arena / 1024, color=ORANGE, label=f"TFLite-Micro arena {tflm_arena:,} B")
        ax.set_xlim(-1, max(b["last"] for b in plan) + 1)
        ax.set_ylim(0, max(engine_arena, tflm_arena) / 1024 * 1.08)
        ax.set_xlabel("op index")
        ax.set_ylabel("arena offset (KiB)")
        ax.legend(loc="upper right", fontsize=8)
        return _svg(fig)


def cost_plot(operators: list[dict], per_layer: list[dict] | None) -> str:
    """MACs per op (from the graph) and, when measured, QEMU instructions per op and the cycles estimated
    from them, with each one's share."""
    estimated = bool(per_layer) and "estimated_cycles" in per_layer[0]
    rows = 1 + bool(per_layer) + estimated
    with matplotlib.rc_context(_STYLE):
        fig = _figure(2.4 * rows)
        axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
        _layer_bars(axes[0], [op["index"] for op in operators], [op["macs"] for op in operators], GREY, "MACs")
        if per_layer:
            _layer_bars(axes[1], [l["index"] for l in per_layer], [l["instructions"] for l in per_layer], BLUE,
                        "instructions (QEMU)")
        if estimated:
            _layer_bars(axes[2], [l["index"] for l in per_layer], [l["estimated_cycles"] for l in per_layer], ORANGE,
                        "estimated cycles")
        axes[-1].set_xlabel("op index")
        return _svg(fig)


def sqnr_plot(layers: list[dict]) -> str:
    """Int8 SQNR per op against the float TFLite (ops without a float twin left out)."""
    measured = [l for l in layers if l["sqnr_db"] is not None]
    with matplotlib.rc_context(_STYLE):
        fig = _figure(2.6)
        ax = fig.add_subplot()
        ax.plot([l["index"] for l in measured], [l["sqnr_db"] for l in measured], marker="o", color=BLUE)
        ax.set_xlabel("op index")
        ax.set_ylabel("int8 SQNR (dB)")
        ax.grid(axis="y", alpha=0.3)
        return _svg(fig)


# float vs int8 vs device: the first of each group that the build measured.
ACCURACY_RUNTIMES = [("float_torch", "float_onnx"), ("int8_tflite", "tflm"), ("engine_qemu", "engine_host")]


def accuracy_plot(runtimes: dict) -> str:
    """ROC and PR curves of float, int8 and the device on the same axes, each runtime's operating point (its own
    threshold) marked on the ROC: the threshold drift is the distance between the points."""
    shown = [next(runtimes[n] for n in group if "curves" in runtimes.get(n, {}))
             for group in ACCURACY_RUNTIMES if any("curves" in runtimes.get(n, {}) for n in group)]
    with matplotlib.rc_context(_STYLE):
        fig = _figure(3.2)
        roc, pr = fig.subplots(1, 2)
        for runtime, color, style in zip(shown, (GREY, ORANGE, BLUE), ("-", "--", ":")):
            c = runtime["curves"]
            roc.plot(c["grid"], c["roc_tpr"], color=color, linestyle=style, label=runtime["label"])
            roc.plot(*c["operating_point"], marker="o", color=color)
            pr.plot(c["grid"], c["pr_precision"], color=color, linestyle=style, label=runtime["label"])
        roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (dot: threshold)")
        pr.set(xlabel="recall", ylabel="precision", title="precision-recall")
        pr.legend(loc="lower left", fontsize=7)
        return _svg(fig)


SAVINGS = [("flash", "flash_bytes"), ("RAM", "ram_bytes"), ("arena", "arena_bytes"),
           ("instructions", "instructions_per_inference"), ("int8 AP", "int8_tflite_test_ap")]


def savings_plot(before: dict, after: dict) -> str:
    """Compressed against uncompressed, each figure as a percentage of the uncompressed one."""
    shown = [(label, key) for label, key in SAVINGS if before.get(key) and after.get(key) is not None]
    with matplotlib.rc_context(_STYLE):
        fig = _figure(2.4)
        ax = fig.add_subplot()
        x = range(len(shown))
        ax.bar([i - 0.2 for i in x], [100] * len(shown), width=0.4, color=GREY, label="uncompressed")
        bars = ax.bar([i + 0.2 for i in x], [100 * after[k] / before[k] for _, k in shown], width=0.4,
                      color=BLUE, label="this build")
        ax.bar_label(bars, fmt="%.0f%%", fontsize=7)
        ax.set_xticks(list(x), [label for label, _ in shown])
        ax.set_ylabel("% of uncompressed")
        ax.legend(loc="lower right", fontsize=8)
        return _svg(fig)


PLOTS = {"arena": arena_plot, "accuracy": accuracy_plot, "cost": cost_plot, "sqnr": sqnr_plot, "savings": savings_plot}
