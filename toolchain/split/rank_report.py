"""The I-SPLIT report: the log-CUI curve (overall and per class) beside the CDE output-size curve."""

from __future__ import annotations

from pathlib import Path

from .report import figure, write_report


def _plots(result: dict) -> dict:
    rows = result["layers"]
    labels = ["input"] + [r["label"] for r in rows]
    x = range(len(labels))
    fig, ax = figure()
    log = result["curve"]["log10_cui"]
    ax.plot(x, [log[0]] + log, marker="o", label="all images")
    for cls, curve in result["per_class"].items():
        ax.plot(x, [curve["log10_cui"][0]] + curve["log10_cui"], marker=".", linestyle="--", label=f"class {cls}")
    for layer in result["candidates"]:
        position = next(r["position"] for r in rows if r["layer"] == layer) + 1
        ax.axvline(position, color="grey", alpha=0.3)
    ax.set(xticks=list(x), ylabel="log10 CUI", title=f"I-SPLIT (target: {result['target']} class)")
    ax.set_xticklabels(labels, rotation=60, fontsize=7)
    ax.legend(fontsize=8)
    cde, ax2 = figure()
    ax2.plot(x, [result["cde"]["input_bytes"]] + result["cde"]["int8_bytes"], marker="s", color="tab:red")
    ax2.set(xticks=list(x), ylabel="bytes sent (int8)", title="CDE: output size per cut point", yscale="log")
    ax2.set_xticklabels(labels, rotation=60, fontsize=7)
    return {"cui": fig, "cde": cde}


def write_rank_report(result: dict, out_dir: Path) -> Path:
    rank = {layer: i + 1 for i, layer in enumerate(result["candidates"])}
    rows = [(r["label"], "x".join(map(str, r["shape"])), r["int8_bytes"], f"{r['cui']:.4g}",
             rank.get(r["layer"], "")) for r in result["layers"]]
    table = ("cut points", ("layer", "output (CxHxW)", "int8 bytes", "CUI", "I-SPLIT rank"), rows)
    notes = (f"{result['images']} images; best split after layer {result['best']}; "
             f"I-SPLIT candidates {result['candidates']}; CDE candidates {result['cde']['candidates']}.",)
    return write_report(out_dir, "rank", "I-SPLIT split ranking", result, _plots(result), [table], notes)
