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

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

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


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def table_html(rows: list[dict], columns: list[str] | None = None, max_rows: int = 200) -> str:
    """A simple HTML table from a list of dicts (values escaped; ``templates/table.html.j2``)."""
    columns = columns or (list(rows[0].keys()) if rows else [])
    body = [[_cell(r.get(c, "")) for c in columns] for r in rows[:max_rows]]
    return templates().get_template("table.html.j2").render(
        rows=body, columns=columns, more=max(len(rows) - max_rows, 0))


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The Jinja2 environment over ``moviemotion/report/templates/`` (autoescaping on)."""
    return Environment(loader=PackageLoader("moviemotion.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()




def write_html_report(
    path: str | os.PathLike[str],
    title: str,
    sections: list[Section],
    subtitle: str = "",
    summary_html: str = "",
) -> Path:
    """Render ``sections`` into one self-contained HTML file at ``path`` (atomically)."""
    tpl = templates().get_template("page.html.j2")
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
