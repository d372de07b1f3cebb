"""One self-contained HTML page per report: Plotly's JavaScript embedded once, no internet.

Example
-------
>>> import plotly.graph_objects as go
>>> from moviemotion.report import Section, write_html_report
>>> fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 1, 0]))
>>> write_html_report("out/report.html", "My report",
...                   [Section("Timeline", figures=[fig], text="What happened when.")])  # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, select_autoescape

from moviemotion import __version__
from moviemotion.io.atomic import atomic_write_text


@dataclass
class Section:
    """A titled block of the report: an optional paragraph, figures, and raw HTML (tables)."""

    title: str
    text: str = ""
    figures: list = field(default_factory=list)  # plotly.graph_objects.Figure
    html: str = ""  # trusted HTML made by our own code (e.g. a table)
    anchor: str = ""


def figure_html(fig) -> str:
    """A Plotly figure as a ``<div>`` without the library (the page embeds it once)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False,
                                                                       "responsive": True})


def table_html(rows: list[dict], columns: list[str] | None = None, max_rows: int = 200) -> str:
    """A simple HTML table from a list of dicts (values escaped)."""
    if not rows:
        return "<p class='muted'>none</p>"
    columns = columns or list(rows[0].keys())
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for r in rows[:max_rows]:
        cells = []
        for c in columns:
            v = r.get(c, "")
            if isinstance(v, float):
                v = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
            cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p class='muted'>{len(rows) - max_rows} more rows in the table files</p>" if len(rows) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
 :root { --fg:#1d2230; --muted:#6b7280; --accent:#5b4bdb; --bg:#fafafc; --card:#fff; }
 body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
        background: var(--bg); margin: 0; }
 header { background: linear-gradient(120deg, #2b2160, #5b4bdb); color: #fff; padding: 28px 40px; }
 header h1 { margin: 0 0 6px 0; font-size: 28px; } header p { margin: 0; opacity: .85; }
 nav { padding: 10px 40px; background: #fff; border-bottom: 1px solid #e5e7eb; position: sticky; top: 0; z-index: 5; }
 nav a { margin-right: 18px; color: var(--accent); text-decoration: none; font-size: 14px; }
 main { padding: 20px 40px 60px; max-width: 1300px; }
 section { background: var(--card); border-radius: 10px; padding: 18px 24px; margin: 18px 0;
           box-shadow: 0 1px 3px rgba(0,0,0,.08); }
 section h2 { margin-top: 0; font-size: 20px; }
 .muted { color: var(--muted); font-size: 13px; }
 .badges { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0; }
 .badge { padding: 10px 16px; border-radius: 8px; background: #eef; font-size: 15px; }
 .badge b { display: block; font-size: 22px; }
 .pass { background: #e3f6e8; color: #145c2a; } .warning { background: #fff4d6; color: #7a5200; }
 .fail { background: #fde2e2; color: #8a1c1c; }
 table { border-collapse: collapse; font-size: 13px; width: 100%; }
 th, td { border-bottom: 1px solid #eee; padding: 5px 8px; text-align: left; }
 th { background: #f5f5fa; position: sticky; top: 40px; }
 footer { color: var(--muted); font-size: 12px; padding: 0 40px 30px; }
</style>
<script type="text/javascript">{{ plotly_js | safe }}</script>
</head><body>
<header><h1>{{ title }}</h1>{% if subtitle %}<p>{{ subtitle }}</p>{% endif %}</header>
<nav>{% for s in sections %}<a href="#{{ s.anchor }}">{{ s.title }}</a>{% endfor %}</nav>
<main>
{% if summary_html %}{{ summary_html | safe }}{% endif %}
{% for s in sections %}
<section id="{{ s.anchor }}"><h2>{{ s.title }}</h2>
{% if s.text %}<p>{{ s.text }}</p>{% endif %}
{% for f in s.figure_divs %}{{ f | safe }}{% endfor %}
{% if s.html %}{{ s.html | safe }}{% endif %}
</section>
{% endfor %}
</main>
<footer>Made by moviemotion {{ version }} on {{ when }}. Self-contained: opens without internet.</footer>
</body></html>
"""


def write_html_report(
    path: str | os.PathLike[str],
    title: str,
    sections: list[Section],
    subtitle: str = "",
    summary_html: str = "",
) -> Path:
    """Render ``sections`` into one self-contained HTML file at ``path`` (atomically)."""
    env = Environment(autoescape=select_autoescape(default=True))
    tpl = env.from_string(_TEMPLATE)
    secs = []
    for i, s in enumerate(sections):
        secs.append({
            "title": s.title,
            "text": s.text,
            "html": s.html,
            "anchor": s.anchor or f"s{i}",
            "figure_divs": [figure_html(f) for f in s.figures],
        })
    page = tpl.render(
        title=title, subtitle=subtitle, sections=secs, summary_html=summary_html,
        plotly_js=_plotly_js(), version=__version__,
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return atomic_write_text(path, page)
