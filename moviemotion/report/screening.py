"""The screening report: one offline page joining the audience, the words, the scenes, the
arc, the movie and the flash check (``screening.html``; see docs/script.md).

Sections: the audience timeline with scene bands and the words spoken at each second on
hover; the emotional arc and its story shape; the resonant moments (line, scene, thumbnail);
a sortable per-scene table; the movie's signals beside the audience's; the flash verdict;
the run.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.report.audience import EMOTION_COLORS, _thumbnails
from moviemotion.report.html import Section, table_html, templates, write_html_report
from moviemotion.script.arc import ARCS
from moviemotion.script.screening import Screening
from moviemotion.signals import clock

MAX_SCENE_LABELS = 40
MAX_TABLE_ROWS = 400
STRIP = 12


def _layout(fig: go.Figure, title: str, ytitle: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": 50, "b": 45},
                      xaxis_title="movie time (s)", yaxis_title=ytitle,
                      legend={"orientation": "h", "y": -0.22}, template="plotly_white")
    return fig


def _f32(x) -> np.ndarray:
    return np.round(np.asarray(x, np.float64), 4).astype(np.float32)


def _scene_bands(fig: go.Figure, r: Screening) -> None:
    sc = r.scenes
    shapes = []
    for k, (a, b) in enumerate(zip(sc["time"], sc["end"], strict=True)):
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b, "y0": 0,
                       "y1": 1, "layer": "below", "line": {"width": 0},
                       "fillcolor": "#eef0ff" if k % 2 else "#ffffff"})
    fig.update_layout(shapes=shapes)
    if len(sc["time"]) <= MAX_SCENE_LABELS:
        for a, b, h in zip(sc["time"], sc["end"], sc["heading"], strict=True):
            fig.add_annotation(x=(a + b) / 2, y=1.0, yref="paper", yanchor="bottom",
                               text=h[:18], showarrow=False, font={"size": 9, "color": "#555"})


def timeline_figure(r: Screening) -> go.Figure:
    """The audience's stacked emotions per second, scene bands, words on hover."""
    aud = r.audience
    t = aud.timeline.time
    fig = go.Figure()
    for e in EMOTIONS:
        fig.add_trace(go.Scatter(x=t, y=_f32(aud.timeline.column(e)), name=e, stackgroup="one",
                                 mode="lines", line={"width": 0.5, "color": EMOTION_COLORS[e]},
                                 hoverinfo="skip"))
    heading = dict(zip(r.scenes["scene"], r.scenes["heading"], strict=True))
    words = [f"scene {s}: {heading.get(s, '')}<br>{_wrap(w)}" for s, w in
             zip(r.arc["scene"], r.arc["text"], strict=True)]
    fig.add_trace(go.Scatter(x=r.arc["time"], y=np.full(len(words), 1.0, np.float32),
                             name="words", mode="lines", line={"width": 0}, showlegend=False,
                             customdata=np.array(words, dtype=object),
                             hovertemplate="%{x:.0f} s<br>%{customdata}<extra></extra>"))
    _layout(fig, "What the audience felt, second by second (hover: the words spoken)",
            "mean probability (stacked)", 440)
    fig.update_layout(yaxis={"range": [0, 1.02]}, hovermode="x")
    _scene_bands(fig, r)
    return fig


def _wrap(text: str, width: int = 70) -> str:
    if not text:
        return "<i>(no words)</i>"
    out, line = [], ""
    for w in str(text).replace("<", "&lt;").split():
        if line and len(line) + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "<br>".join(out + [line])


def arc_figure(r: Screening) -> go.Figure:
    a = r.arc
    fig = go.Figure()
    for name, color in (("valence", "#5b4bdb"), ("arousal", "#e4572e")):
        fig.add_trace(go.Scatter(x=a["time"], y=_f32(a[name]), name=f"{name} (per second)",
                                 mode="lines", line={"width": 0.6, "color": color},
                                 opacity=0.35))
        fig.add_trace(go.Scatter(x=a["time"], y=_f32(a[f"{name}_smooth"]),
                                 name=f"{name} (smoothed)", mode="lines",
                                 line={"width": 2.5, "color": color}))
    m = r.moments
    if m["time"]:
        idx = np.clip(np.round(m["time"]).astype(int), 0, len(a["time"]) - 1)
        fig.add_trace(go.Scatter(
            x=m["time"], y=_f32(np.asarray(a["valence_smooth"])[idx]), mode="markers",
            name="resonant moments", marker={"size": 11, "symbol": "star",
                                             "color": [EMOTION_COLORS.get(e, "#333")
                                                       for e in m["emotion"]]},
            customdata=np.array([f"{e}: {_wrap(t, 50)}" for e, t in
                                 zip(m["emotion"], m["text"], strict=True)], dtype=object),
            hovertemplate="%{x:.0f} s %{customdata}<extra></extra>"))
    _layout(fig, "The emotional arc: valence and arousal of the room", "-1 .. 1", 400)
    fig.update_layout(hovermode="x unified")
    _scene_bands(fig, r)
    return fig


def arc_scores_figure(r: Screening) -> go.Figure:
    vals = [r.arc_scores[a] for a in ARCS]
    fig = go.Figure(go.Bar(x=list(ARCS), y=[0 if not math.isfinite(v) else v for v in vals],
                           marker_color=["#5b4bdb" if v == max(vals) else "#b8b8e0"
                                         for v in vals]))
    _layout(fig, "Which of the six story arcs (Reagan et al. 2016) the room's valence follows",
            "correlation", 320)
    fig.update_layout(xaxis_title="", yaxis={"range": [-1, 1]})
    return fig


def scenes_figure(r: Screening) -> go.Figure:
    sc = r.scenes
    a, b = np.asarray(sc["time"]), np.asarray(sc["end"])
    fig = go.Figure(go.Bar(
        x=(a + b) / 2, width=np.maximum(b - a, 0.1), y=_f32(sc["intensity"]),
        marker_color=[EMOTION_COLORS.get(d, "#ccc") for d in sc["dominant"]],
        customdata=np.array([f"scene {s}: {h}<br>dominant {d}, confidence {c:.0%}" for s, h, d, c
                             in zip(sc["scene"], sc["heading"], sc["dominant"], sc["confidence"],
                                    strict=True)], dtype=object),
        hovertemplate="%{customdata}<br>intensity %{y:.2f}<extra></extra>"))
    _layout(fig, "Scenes: intensity (1 - neutral), colored by the dominant feeling",
            "intensity", 320)
    return fig


def movie_figure(r: Screening) -> go.Figure | None:
    mv = r.movie
    if mv is None or mv.signals is None or not len(mv.signals):
        return None
    fig = go.Figure()

    def z(x):
        x = np.asarray(x, np.float64)
        ok = np.isfinite(x)
        sd = np.std(x[ok]) if ok.sum() > 1 else 0
        return _f32((x - np.nanmean(x)) / sd) if sd > 0 else None

    for c in mv.signals.columns:
        col = mv.signals.column(c)
        if c == "time" or col.dtype == object:
            continue
        y = z(col)
        if y is not None:
            fig.add_trace(go.Scatter(x=mv.signals.time, y=y, name=f"movie: {c}", mode="lines",
                                     line={"width": 1}))
    y = z(r.arc["arousal_smooth"])
    if y is not None:
        fig.add_trace(go.Scatter(x=r.arc["time"], y=y, name="audience arousal (smoothed)",
                                 mode="lines", line={"width": 3, "color": "#e4572e"}))
    _layout(fig, "The movie's signals beside the audience (each standardized)", "z-score", 380)
    fig.update_layout(hovermode="x unified")
    return fig


def _num(v, fmt="{:.2f}") -> str:
    return fmt.format(v) if isinstance(v, (int, float)) and math.isfinite(v) else ""


def scenes_table(r: Screening) -> str:
    sc = r.scenes
    cols = ["scene", "heading", "time", "end", "placed_by", "confidence", "dominant",
            "intensity", "valence", "arousal", "viewers", "peaks"]
    cols = [c for c in cols if c in sc]
    rows = []
    for i in range(min(len(sc["scene"]), MAX_TABLE_ROWS)):
        row = []
        for c in cols:
            v = sc[c][i]
            if c in ("time", "end"):
                row.append((clock(v), v))
            elif isinstance(v, float):
                row.append((_num(v), v if math.isfinite(v) else -1e9))
            else:
                row.append((v, v))
        rows.append(row)
    return templates().get_template("screening_table.html.j2").render(
        table_id="scenes-table", columns=["start" if c == "time" else c for c in cols],
        rows=rows, more=max(len(sc["scene"]) - MAX_TABLE_ROWS, 0))


def _video(r: Screening) -> Path | None:
    if r.movie is not None and r.movie.video is not None:
        return r.movie.video
    mv = (r.audience.run or {}).get("movie") if r.audience else None
    p = mv.get("path") if isinstance(mv, dict) else None
    return Path(p) if p and Path(p).is_file() else None


def render_screening(r: Screening, inputs: dict) -> dict:
    """``write_html_report`` keyword arguments for the screening page."""
    video = _video(r)
    peak_secs = [int(t) for t in r.moments["time"]]
    strip_secs = [int(x) for x in np.linspace(0, max(r.duration - 1, 0), STRIP)] if video else []
    thumbs = _thumbnails(video, peak_secs) if video else {}
    strip_thumbs = _thumbnails(video, strip_secs) if video else {}
    best = max(r.arc_scores, key=lambda k: r.arc_scores[k]) \
        if all(math.isfinite(v) for v in r.arc_scores.values()) else None
    aud = r.audience
    dominant_counts = {e: int(np.sum(r.arc["dominant"] == e)) for e in EMOTIONS if e != "neutral"}
    badges = [
        {"label": "film", "value": clock(r.duration), "cls": ""},
        {"label": "viewers", "value": len(aud.run.get("viewers") or []) or
         int(np.nanmax(r.arc.get("viewers", [0])) if len(r.arc.get("viewers", [])) else 0),
         "cls": ""},
        {"label": "scenes", "value": f"{len(r.scenes['scene'])} ({r.scene_source})", "cls": ""},
        {"label": "subtitle lines", "value": len(r.lines["line"]) if r.lines else 0, "cls": ""},
        {"label": "resonant moments", "value": len(r.moments["time"]), "cls": ""},
        {"label": "story arc", "value": f"{best} ({r.arc_scores[best]:.2f})" if best else "n/a",
         "cls": ""},
        {"label": "most felt", "value": max(dominant_counts, key=dominant_counts.get)
         if any(dominant_counts.values()) else "neutral", "cls": ""},
    ]
    if r.flashes is not None:
        v = str(r.flashes.get("verdict", "?"))
        badges.append({"label": "flash check", "value": v,
                       "cls": {"pass": "pass", "fail": "fail"}.get(v.lower(), "warning")})
    summary = templates().get_template("screening_summary.html.j2").render(
        badges=badges, strip=[{"src": strip_thumbs[s], "clock": clock(s)} for s in strip_secs
                              if s in strip_thumbs])
    m = r.moments
    mom_rows = [{"clock": clock(t), "emotion": e, "color": EMOTION_COLORS.get(e, "#333"),
                 "strength": _num(st), "share": _num(sh, "{:.0%}"),
                 "scene": f"{s}: {h}", "text": tx, "thumb": thumbs.get(int(t))}
                for t, e, st, sh, s, h, tx in zip(m["time"], m["emotion"], m["strength"],
                                                  m["share"], m["scene"], m["heading"], m["text"],
                                                  strict=True)]
    p = r.pattern
    pattern = (f"{p['moments']} moments ({p['positive']} positive, {p['negative']} negative); "
               + (f"median spacing {p['median_spacing_s']:.0f} s; " if p["median_spacing_s"]
                  is not None else "")
               + (f"{p['alternation']:.0%} of consecutive moments switch between positive and "
                  "negative; " if p["alternation"] is not None else "")
               + "per act (quarter, half, quarter): "
               + ", ".join(f"{k} {v}" for k, v in p["per_act"].items()) + ".")
    sections = [
        Section("Timeline", figures=[timeline_figure(r)], anchor="timeline",
                text="Mean probability of each emotion over the viewers present, per movie "
                     "second; bands are the scenes. Hover to read the words spoken."),
        Section("Emotional arc", figures=[arc_figure(r), arc_scores_figure(r)], anchor="arc",
                text="Valence and arousal from the circumplex coordinates of the emotions "
                     "(Russell & Mehrabian 1977), smoothed over "
                     f"{r.settings.get('smooth_window_s')} s; the arc's shape correlated with "
                     "the six story arcs of Reagan et al. (2016)."),
        Section("Resonant moments", anchor="moments",
                html=templates().get_template("screening_moments.html.j2").render(
                    rows=mom_rows, pattern=pattern)),
        Section("Scenes", figures=[scenes_figure(r)], html=scenes_table(r), anchor="scenes",
                text=f"Scenes from the {r.scene_source}; audience values lag the picture by "
                     f"{r.settings.get('lag_s')} s. Click a column to sort."),
    ]
    mf = movie_figure(r)
    if mf is not None:
        rows = [{"movie signal": c["signal"], "r (same second)": c["r"],
                 "best r": c["best_r"], "audience lag (s)": c["best_lag_s"]} for c in r.coupling]
        sections.append(Section("Movie and audience", figures=[mf], html=table_html(rows),
                                anchor="movie",
                                text="How strongly each movie signal follows the audience's "
                                     "arousal (Pearson r; the audience may lag the picture)."))
    if r.flashes is not None:
        inc = r.flashes.get("incidents") or []
        sections.append(Section(
            "Flash check", anchor="flashes",
            text=f"Verdict: {r.flashes.get('verdict')} ({len(inc)} incidents; profile "
                 f"{r.flashes.get('profile', '?')}).",
            html=table_html([{k: v for k, v in i.items() if not isinstance(v, (list, dict))}
                             for i in inc][:50])))
    run_rows = [{"input": k, "path": v} for k, v in inputs.items() if v]
    run_rows += [{"input": f"setting {k}", "path": v} for k, v in r.settings.items()]
    sections.append(Section("Run", html=table_html(run_rows), anchor="run"))
    return {"title": "Screening report",
            "subtitle": f"{clock(r.duration)} of film; audience from {inputs.get('audience')}",
            "sections": sections, "summary_html": summary}


def write_screening_report(path: str | Path, r: Screening, inputs: dict) -> Path:
    return write_html_report(path, **render_screening(r, inputs))
