"""What report.html shows that report.json does not hold as such: the validation's task for reports written before
it was recorded, which rows of a long table stay in view, a classifier's per-class rows."""

from __future__ import annotations

from .report_plots import float_int8_device

FOLD_AFTER = 12   # a table with more rows than this folds ...
FOLD_KEEP = 8     # ... to its this many most telling rows; the rest open on demand


def validation_task(validation: dict) -> str:
    """report.json's `validation.task`; a report written before it is a detector's, unless it measured no
    accuracy (a model with no known data)."""
    if "task" in validation:
        return validation["task"]
    return "anomaly" if validation.get("accuracy_measured", True) else "agreement"


def fold_kept(rows: list[dict], key: str, lowest: bool = False) -> set[int]:
    """The `index` of each row that stays in view: every row of a short table, else the FOLD_KEEP rows with the
    largest `key` (smallest with `lowest`); rows without a value are never among them."""
    if len(rows) <= FOLD_AFTER:
        return {row["index"] for row in rows}
    ranked = sorted((row for row in rows if row.get(key) is not None), key=lambda row: row[key], reverse=not lowest)
    return {row["index"] for row in ranked[:FOLD_KEEP]}


def class_rows(validation: dict) -> tuple[list[dict], list[dict]]:
    """(the float, int8 and device runtimes that measured per-class accuracy, one row per class:
    `index`, `name`, `accuracy` per shown runtime (None for a class with no test input) and `worst` of them)."""
    shown = float_int8_device(validation["runtimes"], "per_class_accuracy")
    rows = []
    for index, name in enumerate(validation["classes"]):
        accuracy = [runtime["per_class_accuracy"][index] for runtime in shown]
        rows.append({"index": index, "name": name, "accuracy": accuracy, "worst": min((a for a in accuracy if a is not None), default=None)})
    return shown, rows
