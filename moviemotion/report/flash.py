"""The photosensitivity report: one self-contained HTML page per checked video.

Sections: the verdict (and, for a video that could not be read to its end, the
incomplete notice); flash rate over time (luminance and red, with the 3 flashes/s limit
and the failing ranges shaded); flashing area over time; the frame's mean luminance and red
value; a heatmap of where on screen the flashing happened (with the incidents' boxes); the
incidents table; the settings.

Example
-------
>>> from moviemotion.flash import analyze
>>> from moviemotion.report.flash import write_flash_report
>>> # (the flash job, moviemotion.jobs.flash, writes it next to the tables)
>>> write_flash_report(analyze("clip.mp4"), "out/clip.flash.html")   # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from moviemotion.flash.result import FlashResult
from moviemotion.report.html import Section, table_html, templates, write_html_report

MAX_POINTS = 20_000
_SHADE = {"fail": "rgba(220, 38, 38, 0.18)", "warning": "rgba(234, 179, 8, 0.22)"}

# Which per-frame columns hold what, per table layout (ours, and IRIS's log).
_OURS = {"rate": ("lum_flashes", "red_flashes"), "area": ("lum_flash_area", "red_flash_area"),
         "moment": ("lum_transitions", "red_transitions"), "signal": ("luminance", "red"),
         "rate_scale": 1.0}
_IRIS = {"rate": ("LuminanceTransitions", "RedTransitions"),
         "area": ("FlashAreaLuminance", "FlashAreaRed"), "moment": (),
         "signal": ("AverageLuminance", "AverageRed"), "rate_scale": 0.5}


def _layout(result: FlashResult) -> dict:
    return _OURS if "lum_flashes" in result.frames else _IRIS


def _times(result: FlashResult) -> np.ndarray:
    if "time" in result.frames:
        return np.asarray(result.frames["time"], dtype=float)
    return np.asarray(result.extras.get("time", []), dtype=float)


def _thin(x: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """At most MAX_POINTS points per curve, keeping each bin's peak (flashes must stay seen)."""
    n = x.size
    if n <= MAX_POINTS:
        return (x, *ys)
    step = -(-n // MAX_POINTS)
    m = n // step * step
    out = [x[:m:step]]
    for y in ys:
        out.append(y[:m].reshape(-1, step).max(axis=1))
    return tuple(out)


def _shade(fig: go.Figure, result: FlashResult) -> None:
    for inc in result.incidents:
        fig.add_vrect(x0=inc.start, x1=inc.end, fillcolor=_SHADE[inc.severity], line_width=0,
                      layer="below")


def _time_figure(result: FlashResult, columns: tuple[str, ...], names: tuple[str, ...],
                 scale: float, ytitle: str, limit: float | None, limit_name: str) -> go.Figure:
    t = _times(result)
    ys = [np.asarray(result.frames[c], dtype=float) * scale for c in columns]
    t, *ys = _thin(t, *ys)
    fig = go.Figure()
    colors = ("#1f2937", "#dc2626", "#6366f1", "#f59e0b")
    for y, name, color in zip(ys, names, colors, strict=False):
        fig.add_trace(go.Scatter(x=t, y=y, name=name, mode="lines",
                                 line={"color": color, "width": 1.5, "shape": "hv"}))
    if limit is not None:
        fig.add_hline(y=limit, line_dash="dash", line_color="#dc2626",
                      annotation_text=limit_name, annotation_position="top left")
    _shade(fig, result)
    fig.update_layout(height=320, margin={"l": 60, "r": 20, "t": 30, "b": 40},
                      xaxis_title="time (s, presentation time)", yaxis_title=ytitle,
                      legend={"orientation": "h", "y": 1.12})
    return fig


def _heatmap(result: FlashResult) -> go.Figure | None:
    peak = result.extras.get("heatmap_peak_flashes")
    if peak is None:
        return None
    z = np.asarray(peak, dtype=float)
    w, h = result.extras.get("frame_size", [z.shape[1], z.shape[0]])
    rows, cols = z.shape
    xs = (np.arange(cols) + 0.5) * w / cols
    ys = (np.arange(rows) + 0.5) * h / rows
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=ys, colorscale="Inferno", zmin=0,
                               colorbar={"title": "flashes/s"},
                               hovertemplate="x %{x:.0f} px, y %{y:.0f} px: %{z} flashes/s"
                                             "<extra></extra>"))
    for inc in result.incidents:
        if inc.bbox is None:
            continue
        x, y, bw, bh = inc.bbox
        fig.add_shape(type="rect", x0=x, y0=y, x1=x + bw, y1=y + bh,
                      line={"color": "#22d3ee", "width": 2})
    fig.update_yaxes(range=[h, 0], scaleanchor="x", constrain="domain", title="y (px)")
    fig.update_xaxes(range=[0, w], constrain="domain", title="x (px)")
    fig.update_layout(height=max(260, min(620, int(700 * h / max(w, 1)))),
                      margin={"l": 60, "r": 20, "t": 20, "b": 40})
    return fig


def _summary_html(result: FlashResult) -> str:
    """The verdict badges and, for a video not read to its end, the incomplete notice
    (``templates/flash_summary.html.j2``)."""
    fails = sum(i.severity == "fail" for i in result.incidents)
    warns = len(result.incidents) - fails
    badges = [
        {"value": result.verdict.upper(), "label": "verdict", "css": result.verdict},
        {"value": result.profile, "label": "profile", "css": ""},
        {"value": f"{result.duration:.2f} s", "label": "duration", "css": ""},
        {"value": f"{result.n_frames}", "label": f"frames ({result.fps:.3g} fps)", "css": ""},
        {"value": f"{fails} / {warns}", "label": "failures / warnings", "css": ""},
    ]
    return templates().get_template("flash_summary.html.j2").render(
        badges=badges, incomplete=result.incomplete_reason)


def _bbox_text(bbox: tuple[int, int, int, int] | None) -> str:
    if bbox is None:
        return ""
    x, y, w, h = bbox
    return f"x {x}, y {y}, {w} x {h} px"


def flash_sections(result: FlashResult) -> list[Section]:
    """The report's sections for one result (any profile)."""
    lay = _layout(result)
    iris = lay is _IRIS
    sections = [
        Section("Flash rate", anchor="rate", figures=[_time_figure(
            result, lay["rate"], ("luminance flashes/s", "red flashes/s"), lay["rate_scale"],
            "flashes per second", 3.0, "limit: 3 flashes/s")],
            text=("Flashes (pairs of opposing transitions) counted in the last "
                  + ("IRIS 'second' (round(fps) frames)" if iris else
                     "second of presentation time, over more than the threshold area")
                  + ". Shaded: failing (red) and warning (yellow) ranges.")),
        Section("Flashing area", anchor="area", figures=[_time_figure(
            result, lay["area"] + lay["moment"],
            ("luminance: area over the limit", "red: area over the limit",
             "luminance: in transition now", "red: in transition now") if not iris else
            ("luminance: changing area", "red: changing area"),
            1.0, "share of screen" + (" / 10-degree field" if result.profile == "wcag" else ""),
            result.settings.get("area_threshold", 0.25), "area threshold")],
            text="Share of the screen (wcag: of the worst 10-degree field) flashing faster than "
                 "the limit, and the share in transition at each frame."),
        Section("Luminance and red", anchor="signal", figures=[_time_figure(
            result, lay["signal"][:1], ("mean relative luminance",), 1.0,
            "relative luminance (0-1)", None, ""), _time_figure(
            result, lay["signal"][1:], ("mean red value (R-G-B)*320",), 1.0, "red value",
            None, "")],
            text="Frame means of the linear relative luminance and of the saturated-red value."),
    ]
    heat = _heatmap(result)
    if heat is not None:
        sections.append(Section("Where on screen", anchor="where", figures=[heat],
                                text="Peak flash rate per cell over the whole video; boxes: "
                                     "the incidents' bounding boxes."))
    rows = [{**i.as_dict(), "bbox": _bbox_text(i.bbox)}
            for i in result.incidents]
    if not result.complete:
        sections.insert(0, Section("Incomplete check", anchor="incomplete",
                                   text=f"{result.incomplete_reason}. The file could not be "
                                        "read to its end (truncated or damaged); the verdict is "
                                        "at least a warning."))
    sections.append(Section("Incidents", anchor="incidents", html=table_html(rows)))
    settings = [{"setting": k, "value": str(v)} for k, v in result.settings.items()]
    sections.append(Section("Settings", anchor="settings", html=table_html(settings)))
    return sections


def write_flash_report(result: FlashResult, path: str | os.PathLike[str]) -> Path:
    """Write the HTML report of ``result`` to ``path`` (atomically)."""
    return write_html_report(
        path, f"Photosensitivity check: {Path(result.path).name}", flash_sections(result),
        subtitle=f"profile {result.profile} · verdict {result.verdict}",
        summary_html=_summary_html(result))
