"""report.html for each task the validation can have, from the default build's report.json with another
validation block written in, rendered as `tinyctl report BUILD` does; and the long tables' folding."""

import re

from markupsafe import escape

from report_variants import CLASSES, CLASSIFIER_DATA, variant_page
from tinyctl.report_view import FOLD_KEEP, fold_kept, validation_task


def _text(page: str) -> str:
    """The page's words without tags or line breaks."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_classifier_page_shows_top1_per_class_accuracy_and_confusion_matrices(default_build, tmp_path):
    page = variant_page(default_build[0], tmp_path / "b", "classification")
    text = _text(page)
    assert '<figure class="plot" id="plot-confusion"><svg ' in page and 'id="plot-accuracy"' not in page
    assert "AUROC" not in text and "(200 samples, 10 classes)" in text
    assert f"Data: {CLASSIFIER_DATA['description']} ( {CLASSIFIER_DATA['spec']} )" in text
    assert "float (PyTorch) 86.00 % +0.00 pp" in text and "int8 TFLite-Micro 84.50 % -1.50 pp" in text
    assert "int8 QDQ ONNX (onnxruntime)" not in text   # not run, not shown
    assert "int8 tinyctl firmware (QEMU): skipped (the board has no QEMU machine)" in text
    assert "top-1 drop 1.50 pp" in text
    for name in CLASSES:
        assert f'<td class="name" title="{escape(name)}">{escape(name)}</td>' in page
    # per class: float, int8 (LiteRT, the first int8 measured) and the device (the host engine: QEMU was skipped)
    assert "0 scratch on the left edge of the brushed-aluminium housing, seen from above 85.0 % 80.0 % 80.0 %" in text


def test_reconstruction_page_reads_auroc_of_the_reconstruction_error(default_build, tmp_path):
    text = _text(variant_page(default_build[0], tmp_path / "b", "reconstruction"))
    assert "scored by reconstruction error" in text and "threshold (error)" in text and "defective" not in text
    assert "Data: arrays in test.npz" in text and "AUROC" in text


def test_agreement_page_says_no_accuracy_and_shows_the_agreement_figures(default_build, tmp_path):
    page = variant_page(default_build[0], tmp_path / "b", "agreement")
    text = _text(page)
    assert "no accuracy measured" in text and "AUROC" not in text and "id=\"plot-accuracy\"" not in page
    assert "int8 runtime vs TFLite-Micro bit-exact elements differing largest difference RMSE cosine" in text
    assert "int8 TFLite (LiteRT reference kernels) no 3 of 400 1 LSB 0.00123 0.999991" in text
    assert "int8 tinyctl engine (host build) yes 0 of 400 0 LSB 0 1.000000" in text


def test_cost_plot_draws_estimated_cycles_when_report_has_them(default_build, tmp_path):
    as_built = (default_build[0] / "report.html").read_text()   # a Cortex-M4: the cycle model estimates it
    without = variant_page(default_build[0], tmp_path / "b", "no-cycles")
    assert as_built.count("estimated cycles") >= 3 and "estimated cycles" not in without   # plot, caption, table


def test_engine_table_gives_each_layers_weight_layout(default_build):
    page = (default_build[0] / "report.html").read_text()
    layouts = default_build[1]["engine"]["layers"]
    wide = sum(layer["weights"] == "int16" for layer in layouts)
    text = _text(page)
    assert "--optimize balanced: weights pre-widened to int16" in text
    assert f"on {wide} of {len(layouts)} conv and fully connected layers" in text
    cells = re.findall(r"<td>(int8|int16)(<br>RAM)?</td>", page)   # one per weighted layer in the per-layer table
    assert sorted(cells) == sorted((layer["weights"], "<br>RAM" if layer["staged_in_arena"] else "")
                                   for layer in layouts)
    staged = sum(layer["staged_in_arena"] for layer in layouts)
    assert staged and f"{staged} of them read their weights from RAM" in text


def test_task_of_reports_written_before_it_was_recorded(default_build):
    assert validation_task(default_build[1]["validation"]) == "anomaly"
    assert validation_task({"accuracy_measured": False}) == "agreement"
    assert validation_task({"task": "classification"}) == "classification"


def test_long_tables_keep_the_most_telling_rows_in_view(default_build):
    layers = default_build[1]["cost"]["per_layer"]
    kept = fold_kept(layers, "instructions")
    assert len(kept) == FOLD_KEEP < len(layers)
    assert min(l["instructions"] for l in layers if l["index"] in kept) >= \
        max(l["instructions"] for l in layers if l["index"] not in kept)
    rows = [{"index": i, "sqnr_db": v} for i, v in enumerate([None, 40.0, 12.5, 30.0] * 4)]
    assert fold_kept(rows, "sqnr_db", lowest=True) == {2, 6, 10, 14, 3, 7, 11, 15}
    assert fold_kept(rows[:5], "sqnr_db") == {0, 1, 2, 3, 4}   # a short table keeps every row


def test_memory_table_shows_the_arena_against_its_lower_bound(default_build):
    report = default_build[1]["engine"]
    bound, op = report["arena_lower_bound_bytes"], report["arena_lower_bound_op"]
    text = _text((default_build[0] / "report.html").read_text())
    assert (f"tinyctl engine arena {report['arena_bytes']:,} B: {report['arena_bytes'] / bound:.2f}&times; its lower "
            f"bound of {bound:,} B, the most one op holds at once (op {op['index']}, {op['opcode']} "
            f"{escape(op['layer'])}") in text
