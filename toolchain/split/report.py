"""Reports of the split verbs: JSON, a PNG per plot and a self-contained HTML page with the tables."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("Agg")   # files only, no display
from matplotlib import pyplot as plt  # noqa: E402

from ..report import write_json  # noqa: E402

_PAGE = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:72em;margin:2em auto}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}img{max-width:100%}</style></head>
<body><h1>{{ title }}</h1>{% for line in notes %}<p>{{ line }}</p>{% endfor %}
{% for name, png in figures %}<h2>{{ name }}</h2><img alt="{{ name }}" src="data:image/png;base64,{{ png }}">{% endfor %}
{% for caption, header, rows in tables %}<h2>{{ caption }}</h2><table><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}
</body></html>
""")


def figure(width: float = 7.0, height: float = 4.0):
    return plt.subplots(figsize=(width, height), dpi=100)


def write_report(out_dir: Path, stem: str, title: str, data: dict, figures: dict, tables: list,
                 notes: tuple[str, ...] = ()) -> Path:
    """Write <stem>.json, <stem>-<plot>.png per figure and <stem>.html; returns the HTML path.

    `tables` holds (caption, header, rows) triples."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / f"{stem}.json", data)
    encoded = []
    for name, fig in figures.items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(fig)
        (out_dir / f"{stem}-{name}.png").write_bytes(buffer.getvalue())
        encoded.append((name, base64.b64encode(buffer.getvalue()).decode()))
    html = out_dir / f"{stem}.html"
    html.write_text(_PAGE.render(title=title, figures=encoded, tables=tables, notes=notes))
    return html
