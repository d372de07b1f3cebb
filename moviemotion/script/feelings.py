"""What the audience (and the movie) did while each subtitle line and each scene played.

Every interval ``[start, end)`` (movie seconds) is moved by ``lag`` seconds (faces react after
the words: default 1 s) and averaged over the per-second timeline, each second weighted by its
overlap with the interval (seconds nobody watched are skipped). Columns: see docs/script.md.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.script.arc import valence_arousal
from moviemotion.script.inputs import AudienceRun, MovieRun

REACTIONS = tuple(e for e in EMOTIONS if e != "neutral")


def _weights(n: int, a: float, b: float) -> tuple[int, np.ndarray]:
    lo = max(int(np.floor(a)), 0)
    hi = min(int(np.ceil(b)), n)
    if hi <= lo:  # shorter than a second or outside: the second it starts in
        lo = min(max(int(np.floor(a)), 0), n - 1)
        return lo, np.ones(1)
    s = np.arange(lo, hi, dtype=np.float64)
    w = np.minimum(s + 1, b) - np.maximum(s, a)
    return lo, np.maximum(w, 1e-3)


def _wmean(x: np.ndarray, lo: int, w: np.ndarray) -> np.ndarray:
    seg = x[lo:lo + w.size]
    ok = ~np.isnan(seg)
    ww = w.reshape(-1, *([1] * (seg.ndim - 1))) * ok
    tot = ww.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, np.nansum(np.where(ok, seg, 0.0) * ww, axis=0) / tot, np.nan)


def summarize(aud: AudienceRun, start: np.ndarray, end: np.ndarray, lag: float = 1.0,
              movie: MovieRun | None = None) -> dict[str, list]:
    """Columns of audience (and movie) values for each interval."""
    tl = aud.timeline
    n = int(tl.time.max()) + 1
    sec = np.round(tl.time).astype(np.int64)

    def per_second(values) -> np.ndarray:
        out = np.full((n,) + np.shape(values)[1:], np.nan)
        out[sec] = values
        return out

    probs = per_second(aud.probabilities())
    val, aro = valence_arousal(probs)
    optional = {c: per_second(np.asarray(tl.column(c), np.float64))
                for c in ("viewers", "agreement", "intensity", "intensity_delta") if c in tl.columns}
    if "intensity" not in optional:
        optional["intensity"] = 1 - probs[:, EMOTIONS.index("neutral")]
    rises = [f"{e}_rise" for e in REACTIONS if f"{e}_rise" in tl.columns]
    rise = per_second(np.column_stack([tl.column(c) for c in rises])) if rises else None
    peak_t = np.array([p["time"] for p in aud.peaks], np.float64)
    peak_e = [p["emotion"] for p in aud.peaks]
    mv = _movie_columns(movie)
    out: dict[str, list] = {k: [] for k in (*EMOTIONS, "dominant", "intensity", "valence",
                                            "arousal")}
    for k in ("intensity_delta", "agreement", "viewers"):
        if k in optional:
            out[k] = []
    if rise is not None:
        out["rise"], out["rise_emotion"] = [], []
    out["peaks"], out["peak_emotions"] = [], []
    for k in mv:
        out[k] = []
    for a, b in zip(start, end, strict=True):
        lo, w = _weights(n, a + lag, b + lag)
        p = _wmean(probs, lo, w)
        for i, e in enumerate(EMOTIONS):
            out[e].append(float(p[i]))
        out["dominant"].append(EMOTIONS[int(np.nanargmax(p))] if np.isfinite(p).any() else "")
        out["valence"].append(float(_wmean(val, lo, w)))
        out["arousal"].append(float(_wmean(aro, lo, w)))
        for k, x in optional.items():
            out[k].append(float(_wmean(x, lo, w)))
        if rise is not None:
            r = _wmean(rise, lo, w)
            ok = np.isfinite(r).any()
            out["rise"].append(float(np.nanmax(r)) if ok else float("nan"))
            out["rise_emotion"].append(rises[int(np.nanargmax(r))].removesuffix("_rise")
                                       if ok else "")
        inside = np.flatnonzero((peak_t >= a + lag) & (peak_t < b + lag)) if peak_t.size \
            else np.zeros(0, np.int64)
        out["peaks"].append(int(inside.size))
        out["peak_emotions"].append(" ".join(peak_e[i] for i in inside))
        for k, (x, is_text) in mv.items():
            seg = x[max(int(np.floor(a)), 0):max(int(np.ceil(b)), int(np.floor(a)) + 1)]
            if is_text:
                vals = [v for v in seg if v not in (None, "")]
                out[k].append(Counter(vals).most_common(1)[0][0] if vals else "")
            else:
                out[k].append(float(np.nanmean(seg)) if np.isfinite(seg).any() else float("nan"))
    if movie is not None and movie.cuts.size:
        out["movie_cuts"] = [int(((movie.cuts > a) & (movie.cuts < b)).sum())
                             for a, b in zip(start, end, strict=True)]
    return out


def _movie_columns(movie: MovieRun | None) -> dict[str, tuple[np.ndarray, bool]]:
    """``movie_<column>`` -> (per-second values, is text) for every column but ``time``."""
    if movie is None or movie.signals is None or not len(movie.signals):
        return {}
    s = movie.signals
    n = int(s.time.max()) + 1
    sec = np.round(s.time).astype(np.int64)
    out = {}
    for c in s.columns:
        if c == "time":
            continue
        col = s.column(c)
        if col.dtype == object:
            x = np.full(n, None, dtype=object)
            x[sec] = [None if v is None else str(v) for v in col]
            out[f"movie_{c}"] = (x, True)
        else:
            x = np.full(n, np.nan)
            x[sec] = np.asarray(col, np.float64)
            out[f"movie_{c}"] = (x, False)
    return out
