"""The shared HTML page: self-contained, escapes text, renders plots in a real browser."""

from __future__ import annotations

import plotly.graph_objects as go

from moviemotion.report import Section, table_html, write_html_report


def test_report_is_self_contained_and_escapes(tmp_path):
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[3, 1, 2]))
    out = write_html_report(tmp_path / "r.html", "A <title>", [
        Section("Plot", text="<script>alert(1)</script>", figures=[fig]),
        Section("Table", html=table_html([{"a": 1, "b": "<b>x</b>"}])),
    ])
    page = out.read_text()
    assert '<script src="http' not in page and "<script src='http" not in page  # no internet needed
    assert page.count("<script") >= 2 and "Plotly.newPlot" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert not list(tmp_path.glob(".r.html.tmp-*")), "temporary file left behind"


def test_report_renders_in_chromium(tmp_path, browser):
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[3, 1, 2]))
    out = write_html_report(tmp_path / "r.html", "Chromium check", [Section("Plot", figures=[fig])])
    dom, errors = browser.load(out)
    assert "main-svg" in dom, "plotly did not draw the figure"
    assert errors == []
