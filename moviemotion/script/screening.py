"""One screening joined: the audience timeline, the words, the scenes, the arc, the movie.

:func:`build_screening` computes every table of the screening report in memory (nothing is
written here; :mod:`moviemotion.jobs.screening` writes them). Columns: docs/script.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.script import arc as arcs
from moviemotion.script.align import align
from moviemotion.script.feelings import summarize
from moviemotion.script.inputs import AudienceRun, MovieRun
from moviemotion.script.screenplay import Screenplay
from moviemotion.signals import Signals

WINDOW_S = 60.0  # scene-less reports summarize fixed windows of this length


@dataclass
class Screening:
    duration: float
    lines: dict[str, list] | None  # one row per subtitle line
    scenes: dict[str, list]  # one row per scene (or window)
    scene_source: str  # "screenplay" | "scenes csv" | "windows"
    arc: dict[str, np.ndarray]  # one row per second
    arc_scores: dict[str, float]
    moments: dict[str, list]  # one row per resonant moment
    pattern: dict
    coupling: list[dict]  # movie column vs audience arousal
    settings: dict = field(default_factory=dict)
    audience: AudienceRun | None = None
    movie: MovieRun | None = None
    flashes: dict | None = None


def build_screening(aud: AudienceRun, *, subtitles: Signals | None = None,
                    screenplay: Screenplay | None = None, scenes: Signals | None = None,
                    movie: MovieRun | None = None, flashes: dict | None = None, lag: float = 1.0,
                    window: int | None = None) -> Screening:
    duration = aud.duration
    cuts = movie.cuts if movie is not None else None
    alignment = None
    if screenplay is not None:
        alignment = align(screenplay, subtitles, duration, cuts)
        sc, source = alignment.scenes, "screenplay"
    elif scenes is not None:
        sc, source = scenes.with_columns(placed_by=["scenes csv"] * len(scenes),
                                         confidence=np.ones(len(scenes))), "scenes csv"
    else:
        starts = np.arange(0.0, max(duration, 1.0), WINDOW_S)
        ends = np.minimum(starts + WINDOW_S, duration)
        sc = Signals.from_columns("scenes", "events", {
            "time": starts, "end": ends, "scene": np.arange(1, starts.size + 1),
            "heading": [f"{_mmss(a)}-{_mmss(b)}" for a, b in zip(starts, ends, strict=True)],
            "placed_by": ["window"] * starts.size, "confidence": np.ones(starts.size)})
        source = "windows"
    s_start, s_end = sc.time, sc.end
    scene_no = np.asarray(sc.column("scene"), np.int64)
    headings = [str(h) for h in sc.column("heading")]
    scene_rows: dict[str, list] = {"scene": scene_no.tolist(), "heading": headings,
                                   "time": s_start.tolist(), "end": s_end.tolist(),
                                   "duration": (s_end - s_start).tolist(),
                                   "placed_by": list(sc.column("placed_by")),
                                   "confidence": [float(c) for c in sc.column("confidence")]}
    for c in ("dialogue_lines", "matched_lines"):
        if c in sc.columns:
            scene_rows[c] = [int(x) for x in sc.column(c)]
    lines = None
    if subtitles is not None and len(subtitles):
        c_start, c_end = subtitles.time, subtitles.end
        mid = (c_start + c_end) / 2
        by_time = np.clip(np.searchsorted(s_start, mid, side="right") - 1, 0, len(s_start) - 1)
        scene_of = scene_no[by_time]
        character = [""] * len(subtitles)
        script_line = np.full(len(subtitles), -1, np.int64)
        sim = np.full(len(subtitles), np.nan)
        if alignment is not None and screenplay is not None:
            for k, li in enumerate(alignment.line_of_cue):
                if li >= 0:
                    line = screenplay.lines[li]
                    character[k], script_line[k] = line.character, li
                    sim[k] = alignment.similarity[k]
        lines = {"line": [int(x) for x in subtitles.column("line")],
                 "time": c_start.tolist(), "end": c_end.tolist(),
                 "text": [str(t) for t in subtitles.column("text")],
                 "scene": scene_of.tolist(), "character": character,
                 "script_line": script_line.tolist(), "similarity": sim.tolist()}
        lines.update(summarize(aud, c_start, c_end, lag, movie))
        scene_rows["subtitle_lines"] = np.bincount(by_time, minlength=len(s_start)).tolist()
    scene_rows.update(summarize(aud, s_start, s_end, lag, movie))
    # the arc, one row per second
    n = int(np.ceil(duration))
    sec = np.round(aud.timeline.time).astype(np.int64)
    keep = sec < n
    probs = np.full((n, len(EMOTIONS)), np.nan)
    probs[sec[keep]] = aud.probabilities()[keep]
    val, aro = arcs.valence_arousal(probs)
    w = window or arcs.default_window(n)
    vs, as_ = arcs.smooth(val, w), arcs.smooth(aro, w)
    t = np.arange(n, dtype=np.float64)
    arc = {"time": t, "valence": val, "arousal": aro, "valence_smooth": vs, "arousal_smooth": as_,
           "intensity": 1 - probs[:, EMOTIONS.index("neutral")],
           "dominant": np.array([EMOTIONS[int(np.nanargmax(p))] if np.isfinite(p).any() else ""
                                 for p in probs], dtype=object)}
    if "viewers" in aud.timeline.columns:
        v = np.full(n, np.nan)
        v[sec[keep]] = np.asarray(aud.timeline.column("viewers"), np.float64)[keep]
        arc["viewers"] = v
    idx = np.clip(np.searchsorted(s_start, t + 0.5, side="right") - 1, 0, len(s_start) - 1)
    arc["scene"] = scene_no[idx]
    spoken = np.full(n, "", dtype=object)
    if lines is not None:
        for a, b, text in zip(lines["time"], lines["end"], lines["text"], strict=True):
            lo, hi = max(int(np.floor(a)), 0), min(max(int(np.ceil(b)), int(np.floor(a)) + 1), n)
            for s in range(lo, hi):
                spoken[s] = f"{spoken[s]} / {text}" if spoken[s] else text
    arc["text"] = spoken
    # resonant moments
    peaks = sorted(aud.peaks, key=lambda p: p["time"])
    mom: dict[str, list] = {k: [] for k in ("time", "emotion", "strength", "share", "viewers",
                                            "valence", "scene", "heading", "line", "text")}
    for p in peaks:
        tt = float(p["time"])
        mom["time"].append(tt)
        mom["emotion"].append(str(p["emotion"]))
        for k in ("strength", "share", "viewers"):
            mom[k].append(float(p[k]) if p.get(k) is not None else float("nan"))
        mom["valence"].append(arcs.CIRCUMPLEX.get(str(p["emotion"]), (np.nan, 0))[0])
        k = int(np.clip(np.searchsorted(s_start, tt, side="right") - 1, 0, len(s_start) - 1))
        mom["scene"].append(int(scene_no[k]))
        mom["heading"].append(headings[k])
        li, text = _line_before(lines, tt, lag)
        mom["line"].append(li)
        mom["text"].append(text)
    pattern = arcs.moment_pattern(mom["time"], mom["emotion"], duration)
    return Screening(duration, lines, scene_rows, source, arc, arcs.arc_scores(vs), mom, pattern,
                     coupling(movie, as_), {"lag_s": lag, "smooth_window_s": w},
                     aud, movie, flashes)


def _line_before(lines: dict | None, t: float, lag: float, reach: float = 3.0) -> tuple[int, str]:
    """The subtitle line the audience was reacting to at ``t``: the one playing at ``t - lag``,
    else the last one that ended within ``reach`` seconds before."""
    if lines is None:
        return -1, ""
    start, end = np.asarray(lines["time"]), np.asarray(lines["end"])
    u = t - lag
    on = np.flatnonzero((start <= u + 0.5) & (end >= u - 0.5))
    if on.size:
        k = on[-1]
    else:
        past = np.flatnonzero((end <= u) & (end >= u - reach))
        if not past.size:
            return -1, ""
        k = past[-1]
    return int(lines["line"][k]), lines["text"][k]


def coupling(movie: MovieRun | None, arousal: np.ndarray, max_lag: int = 5) -> list[dict]:
    """Pearson r between each numeric movie signal and the audience's smoothed arousal, at lag 0
    and at the best lag in ``[0, max_lag]`` s (the audience after the movie)."""
    if movie is None or movie.signals is None or not len(movie.signals):
        return []
    s = movie.signals
    n = min(int(s.time.max()) + 1, arousal.size)
    sec = np.round(s.time).astype(np.int64)
    out = []
    for c in s.columns:
        col = s.column(c)
        if c == "time" or col.dtype == object:
            continue
        x = np.full(int(s.time.max()) + 1, np.nan)
        x[sec] = np.asarray(col, np.float64)
        best = (np.nan, 0)
        r0 = np.nan
        for lag in range(max_lag + 1):
            a, b = x[:n - lag], arousal[lag:n]
            ok = np.isfinite(a) & np.isfinite(b)
            if ok.sum() < 5 or np.std(a[ok]) < 1e-12 or np.std(b[ok]) < 1e-12:
                continue
            r = float(np.corrcoef(a[ok], b[ok])[0, 1])
            if lag == 0:
                r0 = r
            if not abs(r) <= abs(best[0]):
                best = (r, lag)
        out.append({"signal": c, "r": r0, "best_r": best[0], "best_lag_s": best[1]})
    return sorted(out, key=lambda d: -abs(d["best_r"]) if np.isfinite(d["best_r"]) else 0)


def _mmss(t: float) -> str:
    from moviemotion.signals import clock

    return clock(t)
