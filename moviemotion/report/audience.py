"""The audience report: one offline HTML page for a screening's timeline of feels.

Sections: the audience's stacked emotion timeline (smoothed mean probabilities), the
reaction strength per emotion with the detected peaks, a per-viewer heatmap, the peaks
table (with movie thumbnails when the movie is given), face coverage, and the run
(recordings, failures, warnings, settings).

Example
-------
>>> from moviemotion.report.audience import write_audience_report          # doctest: +SKIP
>>> write_audience_report("out/report.html", timeline, run_info, movie=Path("movie.mp4"))
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from moviemotion.emotion.labels import EMOTIONS, NEUTRAL_INDEX
from moviemotion.report.html import Section, table_html, templates, write_html_report
from moviemotion.signals import clock

EMOTION_COLORS = {
    "angry": "#d62728", "disgust": "#8c564b", "fear": "#9467bd", "happy": "#f5b800",
    "sad": "#1f77b4", "surprise": "#17becf", "neutral": "#b8b8c0",
}
MAX_THUMBNAILS = 12


def _layout(fig: go.Figure, title: str, ytitle: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": 50, "b": 45},
                      xaxis_title="movie time (s)", yaxis_title=ytitle, hovermode="x unified",
                      legend={"orientation": "h", "y": -0.2}, template="plotly_white")
    return fig


def timeline_figure(aud) -> go.Figure:
    """Stacked area of the audience's smoothed mean probability of each emotion."""
    fig = go.Figure()
    x = aud["time"]
    for e in EMOTIONS:
        fig.add_trace(go.Scatter(x=x, y=aud[f"{e}_smooth"], name=e, stackgroup="one", mode="lines",
                                 line={"width": 0.5, "color": EMOTION_COLORS[e]}))
    fig.add_trace(go.Scatter(x=x, y=aud["viewers"], name="viewers present", yaxis="y2", mode="lines",
                             line={"color": "#333", "dash": "dot", "width": 1}))
    _layout(fig, "What the audience felt, second by second", "mean probability (stacked)", 420)
    fig.update_layout(yaxis={"range": [0, 1]},
                      yaxis2={"overlaying": "y", "side": "right", "title": "viewers", "rangemode": "tozero",
                              "showgrid": False, "dtick": 1})
    return fig


def reaction_figure(aud, peaks: list[dict]) -> go.Figure:
    """Mean rise above each viewer's baseline, per emotion, with the peaks marked."""
    fig = go.Figure()
    for i, e in enumerate(EMOTIONS):
        if i == NEUTRAL_INDEX:
            continue
        fig.add_trace(go.Scatter(x=aud["time"], y=aud[f"{e}_rise"], name=e, mode="lines",
                                 line={"color": EMOTION_COLORS[e]}))
    if peaks:
        fig.add_trace(go.Scatter(
            x=[p["time"] for p in peaks], y=[p["strength"] for p in peaks], mode="markers+text",
            name="peaks", text=[p["emotion"] for p in peaks], textposition="top center",
            marker={"size": 11, "symbol": "star", "color": [EMOTION_COLORS[p["emotion"]] for p in peaks],
                    "line": {"width": 1, "color": "#222"}}))
    return _layout(fig, "Reactions: rise above each viewer's own baseline (smoothed)", "mean rise")


def viewer_heatmap(vw, n_seconds: int) -> go.Figure:
    """Per-viewer heatmap of the distance from their baseline; hover shows the reaction."""
    ids = list(dict.fromkeys(vw["viewer"].tolist()))
    row = {v: i for i, v in enumerate(ids)}
    z = np.full((len(ids), n_seconds), np.nan)
    text = np.full((len(ids), n_seconds), "", object)
    r = np.array([row[v] for v in vw["viewer"]], np.int64)
    s = vw["time"].astype(np.int64)
    ok = (s < n_seconds) & (vw["faces"] > 0)
    z[r[ok], s[ok]] = vw["intensity_delta"][ok]
    text[r[ok], s[ok]] = vw["reaction"][ok]
    fig = go.Figure(go.Heatmap(z=z, x=np.arange(n_seconds), y=ids, text=text, colorscale="Magma",
                               zmin=0, zmax=1, colorbar={"title": "distance"},
                               hovertemplate="%{y} at %{x} s: %{z:.2f} (%{text})<extra></extra>"))
    _layout(fig, "Each viewer: distance from their own neutral baseline", "viewer",
            max(260, 60 + 28 * len(ids)))
    fig.update_layout(hovermode="closest")
    return fig


def coverage_figure(vw) -> go.Figure:
    """Share of samples with the viewer's face, per viewer and second."""
    fig = go.Figure()
    for v in dict.fromkeys(vw["viewer"].tolist()):
        m = vw["viewer"] == v
        fig.add_trace(go.Scatter(x=vw["time"][m], y=vw["coverage"][m], name=v, mode="lines"))
    _layout(fig, "Face coverage (share of samples with the face)", "coverage", 320)
    fig.update_layout(yaxis={"range": [0, 1.05]})
    return fig


def _thumbnails(movie: Path, seconds: list[int]) -> dict[int, str]:
    """JPEG data URIs of the movie half-way through the given seconds (one seek each)."""
    import cv2

    from moviemotion.errors import MovieMotionError
    from moviemotion.video import open_video

    want = sorted(set(seconds))[:MAX_THUMBNAILS]
    out: dict[int, str] = {}
    if not want:
        return out
    try:
        with open_video(movie) as v:
            w, h = v.info.width, v.info.height  # the scaler works before rotation
            size = (160, max(2, int(round(160 * h / max(w, 1))) // 2 * 2))
            if v.info.rotation in (90, 270):
                size = (max(2, int(round(160 * w / max(h, 1))) // 2 * 2), 160)
            for s in want:
                for _t, img in v.frames(mode="bgr", start=s + 0.5, end=s + 1, size=size):
                    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
                    if ok:
                        out[s] = "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()
                    break
    except MovieMotionError:
        return out
    return out


def _peaks_html(peaks: list[dict], thumbs: dict[int, str]) -> str:
    rows = [{**p, "second": int(p["time"]), "clock": clock(p["time"]), "color": EMOTION_COLORS[p["emotion"]],
             "thumbnail": thumbs.get(int(p["time"]), "")} for p in peaks]
    return templates().get_template("audience_peaks.html.j2").render(peaks=rows)


def _badges(items: list[tuple[str, object, str]]) -> str:
    return templates().get_template("audience_badges.html.j2").render(
        badges=[{"label": label, "value": value, "cls": cls} for label, value, cls in items])


def write_audience_report(
    path: str | os.PathLike[str], timeline, run_info: dict, movie: Path | None = None
) -> Path:
    """Write the audience report for a :class:`~moviemotion.audience.timeline.Timeline`
    (its tables are :class:`~moviemotion.signals.Signals`; times are formatted here only)."""
    aud, vw, peaks = timeline.audience, timeline.viewers, timeline.peaks.to_pylist()
    failures = run_info.get("failures") or {}
    warnings = run_info.get("warnings") or []
    cover = [s["coverage"] for s in timeline.summaries]
    summary = _badges([
        ("viewers", len({s["viewer"] for s in timeline.summaries}), ""),
        ("recordings", len(run_info.get("recordings", [])), ""),
        ("seconds of movie", timeline.seconds, ""),
        ("peaks", len(peaks), ""),
        ("mean face coverage", f"{np.mean(cover):.0%}" if cover else "-", ""),
        ("failed recordings", len(failures), "fail" if failures else "pass"),
    ])
    thumbs = _thumbnails(movie, [int(p["time"]) for p in peaks]) if movie else {}
    viewer_rows = [{"viewer": s["viewer"], "recording": s["recording"], "offset (s)": s["offset"],
                    "coverage": s["coverage"], "first second": s["first_second"],
                    "last second": s["last_second"],
                    "baseline": max(s["baseline"], key=s["baseline"].get)} for s in timeline.summaries]
    rec_rows = [{"recording": r["label"], "file": Path(r["path"]).name, "offset (s)": r["offset"],
                 "status": r["status"], "message": r["error"] or ""} for r in run_info.get("recordings", [])]
    run_html = templates().get_template("audience_run.html.j2").render(
        recordings_table=table_html(rec_rows), problems=[*failures.values(), *warnings])
    sections = [
        Section("Audience timeline", "Mean probability of each emotion across the viewers present, "
                "smoothed; the dotted line counts the viewers whose face was seen.",
                figures=[timeline_figure(aud)], anchor="timeline"),
        Section("Reactions and peaks", "How far the audience moved above their own baselines; stars "
                "mark moments when many viewers reacted together.",
                figures=[reaction_figure(aud, peaks)], html=_peaks_html(peaks, thumbs), anchor="peaks"),
        Section("Viewers", "One row per anonymous viewer; hover for the reaction.",
                figures=[viewer_heatmap(vw, timeline.seconds)], html=table_html(viewer_rows), anchor="viewers"),
        Section("Coverage", "How often each viewer's face was found.", figures=[coverage_figure(vw)],
                anchor="coverage"),
        Section("Run", "Recordings, problems and settings (details in run.json).",
                html=run_html, anchor="run"),
    ]
    subtitle = f"{len({s['viewer'] for s in timeline.summaries})} viewers, {timeline.seconds} s of movie"
    if run_info.get("privacy", {}).get("crops_in_folder"):
        subtitle += (f" - {run_info['privacy']['crops_in_folder']} face crop images are in the output "
                     "folder (--keep-crops, debugging only)")
    return write_html_report(path, "Audience timeline of feels", sections, subtitle=subtitle,
                             summary_html=summary)
