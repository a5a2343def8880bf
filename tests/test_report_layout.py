"""report.html laid out by headless Chromium at a desktop window's width (1280 px) and a phone's (390 px): nothing
wider than the window, every number in every table visible or reachable by scrolling the table's own box (at
1280 px without scrolling), no cell clipped, every plot drawn, long tables folded, no console errors. The page's
own layout answers: a probe page holds the report once per width in iframes and, once they have loaded, writes its
findings into the DOM that `chromium --dump-dom` prints (one Chromium run per page)."""

import html as html_text
import json
import re
import shutil
import subprocess

import pytest

from report_variants import variant_page

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make setup installs it)")
DESKTOP, PHONE = 1280, 390
DEFAULT_PLOTS = {"plot-arena", "plot-accuracy", "plot-cost", "plot-sqnr"}
CLASSIFIER_PLOTS = {"plot-arena", "plot-confusion", "plot-cost", "plot-sqnr"}

# Installed first thing in each report's <head>: records uncaught errors, failed loads and console.error/warn calls.
CATCH_ERRORS = """<script>window.probeErrors = [];
for (const level of ["error", "warn"]) { const original = console[level];
  console[level] = (...args) => { window.probeErrors.push(level + ": " + args.join(" ")); original(...args); }; }
window.addEventListener("error", e => window.probeErrors.push("error: " + (e.message || e.target.outerHTML)), true);
</script>"""
# Run in the probe page once every iframe has loaded: per iframe (its window is the report's viewport) what sticks
# out of it, which table cells clip their text or hold a number out of reach, what scrolls, each plot's drawn size.
MEASURE = """<script>
function measure(w) {
  const d = w.document, width = w.innerWidth, box = el => el.getBoundingClientRect();
  const shown = el => el.getClientRects().length > 0, inView = el => box(el).right <= width + 0.5 && box(el).left >= -0.5;
  const scroller = el => { for (let p = el.parentElement; p && p !== d.body; p = p.parentElement)
    if (["auto", "scroll"].includes(w.getComputedStyle(p).overflowX)) return p; return null; };
  const reachable = el => inView(el) || (scroller(el) !== null && inView(scroller(el)));
  const name = el => el.tagName + "#" + (el.id || "") + " " + JSON.stringify(el.textContent.trim().slice(0, 40));
  const cells = [...d.querySelectorAll("td, th")].filter(shown);
  const plots = Object.fromEntries([...d.querySelectorAll("figure.plot")].map(f => {
    const svg = f.querySelector("svg");
    return [f.id, svg ? {width: box(svg).width, height: box(svg).height, shapes: svg.querySelectorAll("path").length}
                      : null]; }));
  return {width, page_width: d.documentElement.scrollWidth, plots, errors: w.probeErrors,
    overflowing: [...d.querySelectorAll("table, figure, svg, pre, details")].filter(shown).filter(el => !reachable(el))
      .map(el => name(el) + " " + Math.round(box(el).width) + " px"),
    clipped: cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(name),
    numbers_out_of_reach: [...d.querySelectorAll("table.num td:not(.name)")].filter(shown).filter(c => !reachable(c))
      .map(name),
    scrolled: [...d.querySelectorAll("*")].filter(el => ["auto", "scroll"].includes(w.getComputedStyle(el).overflowX)
      && el.scrollWidth > el.clientWidth + 1).map(el => name(el) + " " + (el.scrollWidth - el.clientWidth)),
    folds: d.querySelectorAll("details.fold").length,
    folded_rows_hidden: [...d.querySelectorAll("tr.folded")].filter(r => !shown(r)).length};
}
window.addEventListener("load", () => {
  const found = Object.fromEntries([...document.querySelectorAll("iframe")].map(f => [f.width, measure(f.contentWindow)]));
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});</script>"""


def probe(page: str, tmp_path, widths=(DESKTOP, PHONE)) -> dict[int, dict]:
    """{window width: what the page's layout showed at it}, from one Chromium run."""
    report = page.replace("<head>", "<head>" + CATCH_ERRORS, 1)
    frames = "".join(f'<iframe width="{w}" height="900" srcdoc="{html_text.escape(report)}"></iframe>' for w in widths)
    holder = tmp_path / "probe.html"
    holder.write_text(f"<!doctype html><html><head></head><body style='margin:0'>{frames}{MEASURE}</body></html>")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--window-size={max(widths) + 20},1900", "--virtual-time-budget=5000", "--dump-dom",
                          holder.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe did not run; chromium printed: {dom[-500:]}"
    return {int(width): result for width, result in json.loads(html_text.unescape(found.group(1))).items()}


def assert_fits(found: dict[int, dict], plots: set[str]) -> None:
    for width, page in found.items():
        assert page["width"] == width
        assert page["overflowing"] == [] and page["page_width"] <= width, (width, page["overflowing"])
        assert page["clipped"] == [] and page["numbers_out_of_reach"] == [], (width, page)
        assert set(page["plots"]) == plots, (width, page["plots"])
        for name, plot in page["plots"].items():
            assert plot and plot["width"] > 0.7 * min(width, 900) and plot["height"] > 80 and plot["shapes"] > 10, \
                (width, name, plot)
        assert page["errors"] == [], (width, page["errors"])
    assert found[DESKTOP]["scrolled"] == [], "at 1280 px every table fits without scrolling"


@needs_chromium
def test_default_report_fits_desktop_and_phone_with_long_tables_folded(default_build, tmp_path):
    page = (default_build[0] / "report.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', page), "report.html must open offline"
    found = probe(page, tmp_path)
    assert_fits(found, DEFAULT_PLOTS)
    report = default_build[1]
    hidden = sum(len(rows) - 8 for rows in (report["cost"]["per_layer"], report["sensitivity"]["layers"],
                                            report["graph"]["operators"]) if len(rows) > 12)
    assert found[DESKTOP]["folds"] == 3 and found[DESKTOP]["folded_rows_hidden"] == hidden > 0
    assert found[PHONE]["scrolled"], "the metrics table is wider than a phone: it scrolls in place (so the check " \
                                     "that its numbers stay reachable had work to do)"


@needs_chromium
def test_classifier_report_fits_desktop_and_phone(default_build, tmp_path):
    page = variant_page(default_build[0], tmp_path / "classifier", "classification")
    assert_fits(probe(page, tmp_path), CLASSIFIER_PLOTS)


@needs_chromium
def test_probe_sees_overflow_clipped_numbers_and_a_console_error(tmp_path):
    """The probe itself can fail: a table with an unbreakable long layer name pushes its number off the page, a
    fixed-width cell clips its number, a script logs an error; a wide table in its own scrolling box is fine."""
    page = ('<!doctype html><html><head></head><body>'
            '<table class="num"><tr><td class="name">' + "conv" * 200 + '</td><td id="pushed">42</td></tr></table>'
            '<table class="num" style="table-layout: fixed; width: 4rem"><tr><td class="name">a</td>'
            '<td style="overflow: hidden; white-space: nowrap">123,456,789,012</td></tr></table>'
            '<div style="overflow-x: auto"><table class="num" id="scrolls"><tr><td>' + "pool" * 200 + '</td><td>7</td>'
            '</tr></table></div><script>console.error("broken")</script></body></html>')
    found = probe(page, tmp_path, widths=(PHONE,))[PHONE]
    assert found["page_width"] > PHONE and [o.split()[0] for o in found["overflowing"]] == ["TABLE#"]
    assert found["numbers_out_of_reach"] == ['TD#pushed "42"']
    assert found["clipped"] == ['TD# "123,456,789,012"']
    assert [box.rsplit(" ", 1)[0] for box in found["scrolled"]] == ['DIV# ' + json.dumps(("pool" * 200 + "7")[:40])]
    assert found["errors"] == ["error: broken"]
