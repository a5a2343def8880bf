"""report.html of the shared default build, laid out by headless Chromium at 1280 px: nothing wider than the
viewport, every plot drawn, no console errors. The page's own layout answers: a probe script, added to a copy of
the page, writes its findings into the DOM that `chromium --dump-dom` prints."""

import json
import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium")
WIDTH = 1280
EXPECTED_PLOTS = {"plot-arena", "plot-accuracy", "plot-cost", "plot-sqnr"}

# Installed first thing in <head>: records uncaught errors, failed loads and console.error/warn calls.
CATCH_ERRORS = """<script>window.probeErrors = [];
for (const level of ["error", "warn"]) { const original = console[level];
  console[level] = (...args) => { window.probeErrors.push(level + ": " + args.join(" ")); original(...args); }; }
window.addEventListener("error", e => window.probeErrors.push("error: " + (e.message || e.target.outerHTML)), true);
</script>"""
# Run after the page has loaded: the viewport, what is wider than it, and each plot's drawn size.
MEASURE = """<script>window.addEventListener("load", () => {
  const width = window.innerWidth, box = el => el.getBoundingClientRect();
  const overflowing = [...document.querySelectorAll("table, figure, svg, pre")]
    .filter(el => box(el).right > width + 0.5 || box(el).left < -0.5)
    .map(el => el.tagName + "#" + (el.id || "") + " " + Math.round(box(el).width) + " px");
  const plots = Object.fromEntries([...document.querySelectorAll("figure.plot")].map(f => {
    const svg = f.querySelector("svg");
    return [f.id, svg ? {width: box(svg).width, height: box(svg).height, shapes: svg.querySelectorAll("path").length}
                      : null]; }));
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({width, page_width: document.documentElement.scrollWidth, overflowing, plots,
                                    errors: window.probeErrors});
  document.body.appendChild(out);
});</script>"""


def probe(html: str, tmp_path) -> dict:
    page = tmp_path / "report.html"
    page.write_text(html.replace("<head>", "<head>" + CATCH_ERRORS, 1).replace("</body>", MEASURE + "</body>", 1))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--window-size={WIDTH},900", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe did not run; chromium printed: {dom[-500:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&amp;", "&"))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make setup installs it)")
def test_report_fits_1280_px_with_every_plot_drawn(default_build, tmp_path):
    html = (default_build[0] / "report.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html), "report.html must open offline"
    found = probe(html, tmp_path)
    assert found["width"] == WIDTH
    assert found["overflowing"] == [] and found["page_width"] <= WIDTH, found
    assert set(found["plots"]) >= EXPECTED_PLOTS, found["plots"]
    for name, plot in found["plots"].items():
        assert plot and plot["width"] > 300 and plot["height"] > 100 and plot["shapes"] > 10, (name, plot)
    assert found["errors"] == []


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make setup installs it)")
def test_probe_sees_an_overflowing_table_and_a_console_error(tmp_path):
    """The probe itself can fail: a table with an unbreakable long layer name and a script error are reported."""
    html = ('<!doctype html><html><head></head><body><table><tr><td>' + "conv" * 200 + '</td></tr></table>'
            '<script>console.error("broken")</script></body></html>')
    found = probe(html, tmp_path)
    assert found["overflowing"] and found["page_width"] > WIDTH
    assert found["errors"] == ["error: broken"]
