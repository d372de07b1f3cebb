"""The movie report (``movie.html``): the film's own timeline on one self-contained page.

Sections: a summary (and the incomplete notice when the decode stopped early); the filmstrip,
one thumbnail per shot taken during the pass (never a second decode); the curves of motion,
loudness and content arousal with a marker at every cut; the look (brightness,
colorfulness) and faces on screen; every other per-second column an analyzer added
(e.g. scene classes); the shots table; the run details.

>>> from moviemotion.report.movie import write_movie_report    # doctest: +SKIP
>>> write_movie_report("out/movie.html", seconds, shots, thumbnails, record)   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from moviemotion.report.html import Section, table_html, templates, write_html_report
from moviemotion.signals import Signals, clock

#: Curves drawn in the main figure: (column, label, axis row).
_MAIN = (("motion", "motion (frame widths/s)", 1),
         ("loudness_momentary", "momentary loudness (LUFS, max)", 2),
         ("loudness_short_term", "short-term loudness (LUFS)", 2),
         ("arousal", "content arousal (0-1)", 3),
         ("arousal_motion", "  motion part", 3),
         ("arousal_rhythm", "  cutting part", 3),
         ("arousal_sound", "  sound part", 3))
_LOOK = (("brightness", "brightness (0-1)", 1), ("colorfulness", "colorfulness (M)", 2),
         ("faces", "faces on screen", 3), ("face_size", "largest face (share of height)", 3))
_DRAWN_ELSEWHERE = {"time", "shot", "cuts", "shot_length", "cut_rate", "loudness"}
_COLORS = ("#5b4bdb", "#0ea5e9", "#f59e0b", "#dc2626", "#94a3b8", "#64748b", "#a3a3a3")


def _column(seconds: Signals, name: str) -> np.ndarray | None:
    if name not in seconds.columns:
        return None
    raw = np.asarray(seconds[name])
    if raw.dtype.kind not in "biuf":  # labels (e.g. scene_1): not a curve
        return None
    v = raw.astype(np.float64)
    return v if np.isfinite(v).any() else None


def _cut_markers(fig: go.Figure, shots: Signals | None, rows: int) -> None:
    if shots is None:
        return
    for t, kind in zip(shots.time[1:], shots["transition"][1:], strict=True):
        for r in range(1, rows + 1):
            fig.add_vline(x=float(t), line_width=1, row=r, col=1,
                          line_dash="solid" if kind == "cut" else "dot",
                          line_color="rgba(30, 30, 60, 0.35)")


def _figure(seconds: Signals, shots: Signals | None, spec, titles, height: int) -> go.Figure | None:
    present = [(c, label, row) for c, label, row in spec if _column(seconds, c) is not None]
    if not present:
        return None
    rows = max(r for _, _, r in spec)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=titles)
    x = seconds.time + 0.5
    for i, (c, label, row) in enumerate(present):
        fig.add_trace(go.Scatter(x=x, y=_column(seconds, c), name=label, mode="lines",
                                 line={"width": 2 if not label.startswith(" ") else 1,
                                       "color": _COLORS[i % len(_COLORS)]}),
                      row=row, col=1)
    _cut_markers(fig, shots, rows)
    fig.update_layout(height=height, margin={"l": 50, "r": 20, "t": 40, "b": 40},
                      legend={"orientation": "h"}, hovermode="x unified")
    fig.update_xaxes(title_text="movie time (s)", row=rows, col=1)
    return fig


def _filmstrip(shots: Signals | None, thumbs: Signals | None) -> str:
    if shots is None or thumbs is None or not len(thumbs):
        return "<p class='muted'>no thumbnails (the shots analyzer did not run)</p>"
    by_shot = {int(s): j for s, j in zip(thumbs["shot"], thumbs["jpeg"], strict=True)}
    items = []
    for row in shots.to_pylist():
        jpg = by_shot.get(int(row["shot"]))
        if jpg is None:
            continue
        items.append({"shot": row["shot"], "clock": clock(row["time"]),
                      "length": row["end"] - row["time"], "transition": row["transition"],
                      "b64": base64.b64encode(jpg).decode("ascii")})
    return templates().get_template("movie_filmstrip.html.j2").render(shots=items, width=160)


def _summary(seconds: Signals, shots: Signals | None, record: dict) -> str:
    p = record.get("pass", {})
    badges = [("seconds", len(seconds))]
    if shots is not None:
        badges.append(("shots", len(shots)))
        rate = 60.0 * max(len(shots) - 1, 0) / max(seconds.duration(), 1e-9)
        badges.append(("cuts per minute", f"{rate:.1f}"))
    for col, label, fmt in (("loudness", "mean loudness (LUFS)", "{:.1f}"),
                            ("motion", "mean motion", "{:.3f}"),
                            ("arousal", "mean arousal", "{:.2f}")):
        v = _column(seconds, col)
        if v is not None:
            badges.append((label, fmt.format(float(np.nanmean(v)))))
    return templates().get_template("movie_summary.html.j2").render(
        badges=badges, incomplete="" if p.get("complete", True) else p.get("status", ""),
        until=clock(p.get("analyzed_until_s") or 0.0), warnings=record.get("warnings", []))


def write_movie_report(path: str | os.PathLike[str], seconds: Signals, shots: Signals | None,
                       thumbnails: Signals | None, record: dict) -> Path:
    """Write ``movie.html`` (self-contained) from the job's tables and run record."""
    sections = [Section("Shots", text="One frame from the middle of each shot, taken during "
                        "the analysis pass.", html=_filmstrip(shots, thumbnails),
                        anchor="filmstrip")]
    main = _figure(seconds, shots, _MAIN, ("motion", "loudness", "content arousal"), 720)
    if main is not None:
        sections.append(Section("Motion, sound and arousal", text="Per second of movie time; "
                                "vertical lines mark shot boundaries (dotted: fades and "
                                "dissolves).", figures=[main], anchor="curves"))
    look = _figure(seconds, shots, _LOOK, ("brightness", "colorfulness", "faces"), 560)
    if look is not None:
        sections.append(Section("Look and faces", figures=[look], anchor="look"))
    drawn = {c for c, _, _ in (*_MAIN, *_LOOK)} | _DRAWN_ELSEWHERE
    extra = [c for c in seconds.columns if c not in drawn and _column(seconds, c) is not None]
    if extra:
        spec = tuple((c, f"{c} ({seconds.units.get(c, '')})", i + 1) for i, c in enumerate(extra))
        fig = _figure(seconds, shots, spec, tuple(extra), 180 * len(extra) + 80)
        if fig is not None:
            sections.append(Section("More signals", figures=[fig], anchor="more"))
    if shots is not None:
        rows = [{**r, "start": clock(r["time"])} for r in shots.to_pylist()]
        sections.append(Section("Shot list", html=table_html(rows, ["shot", "start", "time", "end",
                                                                    "start_frame", "end_frame",
                                                                    "transition"]),
                                anchor="shots"))
    settings = [{"analyzer": k, "settings": ", ".join(f"{a}={b}" for a, b in v.items()),
                 "seconds": record.get("timings_s", {}).get(k, "")}
                for k, v in record.get("analyzers", {}).items()]
    sections.append(Section("Run", html=table_html(settings), anchor="run"))
    video = record.get("input", {}).get("video", {})
    subtitle = (f"{record.get('input', {}).get('movie', '')} · {video.get('width')}x"
                f"{video.get('height')} · {clock(record.get('pass', {}).get('duration_s') or 0)}")
    return write_html_report(path, "Movie timeline", sections, subtitle=subtitle,
                             summary_html=_summary(seconds, shots, record))
