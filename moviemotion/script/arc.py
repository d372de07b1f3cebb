"""The audience's emotional arc: valence and arousal per second, its shape among the six basic
story arcs, and the pattern of its resonant moments.

**Valence and arousal.** Each of the 7 emotion classes sits at a point of Russell's circumplex
(Russell 1980, "A circumplex model of affect", J. Pers. Soc. Psychol. 39(6)). The coordinates
are the pleasure and arousal means measured by Russell & Mehrabian (1977, "Evidence for a
three-factor theory of emotions", J. Res. Pers. 11(3)), as tabulated for the basic emotions by
Hoffmann et al. (2012, "Mapping discrete emotions into the dimensional space: an empirical
approach", IEEE SMC), on a -1..1 scale; neutral is the origin. A second's valence (arousal) is
the probability-weighted mean of the coordinates. Smoothing: a centred, NaN-aware moving
average (``window`` seconds; default 2 % of the film, at least 3 s).

**Story arcs.** Reagan, Mitchell, Kiley, Danforth & Dodds (2016, "The emotional arcs of stories
are dominated by six basic shapes", EPJ Data Science 5:31) found six shapes: rags to riches
(rise), riches to rags (fall), man in a hole (fall-rise), Icarus (rise-fall), Cinderella
(rise-fall-rise), Oedipus (fall-rise-fall). Their SVD modes are close to the first three
half-cosines; we use those as templates (``-cos(pi x)``, ``cos(2 pi x)``, ``-cos(3 pi x)`` and
their negatives) and score each as the Pearson correlation (-1..1) with the smoothed valence
resampled to 100 points of story time.

**Resonant moments** are the audience peaks (``peaks.csv``); their pattern: count, median
spacing, share of consecutive peaks that alternate between positive and negative valence, and
peaks per act (acts: first quarter, middle half, last quarter of the film).
"""

from __future__ import annotations

import numpy as np

from moviemotion.emotion.labels import EMOTIONS

#: (valence, arousal) per emotion, Russell & Mehrabian (1977) via Hoffmann et al. (2012).
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "angry": (-0.51, 0.59),
    "disgust": (-0.60, 0.35),
    "fear": (-0.64, 0.60),
    "happy": (0.81, 0.51),
    "sad": (-0.63, -0.27),
    "surprise": (0.40, 0.67),
    "neutral": (0.0, 0.0),
}

ARCS = ("rags to riches", "riches to rags", "man in a hole", "Icarus", "Cinderella", "Oedipus")


def arc_templates(n: int = 100) -> dict[str, np.ndarray]:
    x = np.linspace(0, 1, n)
    rise, hole, cinder = -np.cos(np.pi * x), np.cos(2 * np.pi * x), -np.cos(3 * np.pi * x)
    return dict(zip(ARCS, (rise, -rise, hole, -hole, cinder, -cinder), strict=True))


def valence_arousal(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``probs``: ``(n, 7)`` in :data:`EMOTIONS` order (NaN rows stay NaN)."""
    coords = np.array([CIRCUMPLEX[e] for e in EMOTIONS])
    total = probs.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        va = (probs @ coords) / total
    return va[:, 0], va[:, 1]


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over ``window`` samples, ignoring NaN (NaN where all are)."""
    w = max(int(window), 1)
    ok = ~np.isnan(values)
    kernel = np.ones(w)
    s = np.convolve(np.where(ok, values, 0.0), kernel, mode="same")
    c = np.convolve(ok.astype(np.float64), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / c, np.nan)


def default_window(n_seconds: int) -> int:
    w = max(3, int(round(0.02 * n_seconds)))
    return w + 1 - w % 2  # odd: centred


def arc_scores(valence_smooth: np.ndarray, n: int = 100) -> dict[str, float]:
    """Pearson correlation of the arc (resampled to ``n`` points) with each story shape."""
    v = valence_smooth
    ok = ~np.isnan(v)
    if ok.sum() < 3:
        return {a: float("nan") for a in ARCS}
    t = np.flatnonzero(ok)
    x = np.linspace(0, len(v) - 1, n)
    y = np.interp(x, t, v[ok])
    if np.std(y) < 1e-9:
        return {a: 0.0 for a in ARCS}
    return {a: float(np.corrcoef(y, tpl)[0, 1]) for a, tpl in arc_templates(n).items()}


def moment_pattern(times: list[float], emotions: list[str], duration: float) -> dict:
    """Spacing, alternation and per-act counts of the resonant moments."""
    t = np.sort(np.asarray(times, np.float64))
    order = np.argsort(np.asarray(times, np.float64))
    signs = [np.sign(CIRCUMPLEX.get(emotions[i], (0.0, 0.0))[0]) for i in order]
    gaps = np.diff(t)
    pairs = [(a, b) for a, b in zip(signs, signs[1:], strict=False) if a and b]
    acts = {"act 1": 0, "act 2": 0, "act 3": 0}
    for x in t:
        f = x / duration if duration > 0 else 0.0
        acts["act 1" if f < 0.25 else ("act 2" if f < 0.75 else "act 3")] += 1
    return {
        "moments": int(t.size),
        "median_spacing_s": float(np.median(gaps)) if gaps.size else None,
        "min_spacing_s": float(gaps.min()) if gaps.size else None,
        "alternation": (float(np.mean([a != b for a, b in pairs])) if pairs else None),
        "positive": int(sum(s > 0 for s in signs)), "negative": int(sum(s < 0 for s in signs)),
        "per_act": acts,
    }
