"""Arousal from content: Hanjalic & Xu (2005), "Affective video content representation and
modeling", IEEE Trans. Multimedia 7(1), on our per-second signals.

Three components, each per second ``k``:

* motion ``m(k)``: the ``motion`` analyzer's mean optical-flow magnitude;
* rhythm ``c(k) = exp((1 - L(k)) / delta)``, their exponential shot-length term with ``L(k)``
  the length of the shot on screen in frames (``n(k) - p(k)``, next minus previous cut) and
  ``delta`` = 300 frames; here ``L`` and ``delta`` are in seconds (``delta`` = 12 s, their
  300 frames at 25 fps; the ``1`` is one frame, ``1 / fps`` s);
* sound ``e(k)``: the ``audio`` analyzer's loudness of the second (LUFS, i.e. K-weighted
  energy on a log scale; the paper takes the energy itself, whose peaks would swamp the rest).

Each component is smoothed with a Kaiser window (length ``window_s`` = 41 s, shape
``beta`` = 5, their smoothing), scaled to 0..1 over the film (min to max), and the curve is
the weighted sum, smoothed again with the same window and scaled to 0..1::

    a(k) = N(K * (w_m N(K * m) + w_c N(K * c) + w_e N(K * e)) / (w_m + w_c + w_e))

with ``*`` the (edge-normalised) convolution, ``N`` the min-max scaling and equal weights
``w_m = w_c = w_e = 1`` (their choice). A component that is missing (no audio stream) drops out
of the sum. Seconds after an incomplete pass ended are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from moviemotion.content.base import ANALYZERS, DerivedAnalyzer
from moviemotion.signals import Signals
from moviemotion.video.source import PassInfo


def kaiser_smooth(x: np.ndarray, length: int, beta: float) -> np.ndarray:
    """Convolve with a normalised Kaiser window; NaNs and the edges are left out of the
    average (each output is the window-weighted mean of the values present)."""
    x = np.asarray(x, np.float64)
    length = max(1, int(length) | 1)  # odd: centred
    win = np.kaiser(length, beta)
    ok = ~np.isnan(x)
    half = length // 2  # "full" convolution, centred slice: also for a window longer than x
    num = np.convolve(np.where(ok, x, 0.0), win)[half:half + x.size]
    den = np.convolve(ok.astype(np.float64), win)[half:half + x.size]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-9, num / den, np.nan)


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale to 0..1 over the finite values (a constant curve reads 0)."""
    x = np.asarray(x, np.float64)
    if not np.isfinite(x).any():
        return x
    lo, hi = np.nanmin(x), np.nanmax(x)
    return (x - lo) / (hi - lo) if hi > lo else np.where(np.isnan(x), np.nan, 0.0)


def rhythm(shot_length_s: np.ndarray, fps: float, delta_s: float = 12.0) -> np.ndarray:
    """Hanjalic & Xu's cut-density term ``exp((1 - L) / delta)`` with ``L`` in seconds."""
    return np.exp((1.0 / fps - np.asarray(shot_length_s, np.float64)) / delta_s)


def arousal_curve(motion: np.ndarray, shot_length_s: np.ndarray, loudness: np.ndarray, *,
                  fps: float, window_s: int = 41, beta: float = 5.0, delta_s: float = 12.0,
                  weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
                  ) -> dict[str, np.ndarray]:
    """The arousal curve and its three smoothed, scaled components (see the module)."""
    parts = {
        "arousal_motion": minmax(kaiser_smooth(motion, window_s, beta)),
        "arousal_rhythm": minmax(kaiser_smooth(rhythm(shot_length_s, fps, delta_s),
                                               window_s, beta)),
        "arousal_sound": minmax(kaiser_smooth(loudness, window_s, beta)),
    }
    total = np.zeros(len(motion))
    wsum = 0.0
    for w, v in zip(weights, parts.values(), strict=True):
        if np.isfinite(v).any() and w:
            total += w * np.nan_to_num(v, nan=0.0)
            wsum += w
    known = np.zeros(len(motion), bool)
    for v in parts.values():
        known |= np.isfinite(v)
    curve = np.where(known, total / wsum, np.nan) if wsum else np.full(len(motion), np.nan)
    return {"arousal": minmax(kaiser_smooth(curve, window_s, beta)), **parts}


@ANALYZERS.register("arousal", help="arousal from content after Hanjalic & Xu 2005: motion, "
                    "cut density, sound; Kaiser-smoothed weighted sum, 0-1")
class ArousalAnalyzer(DerivedAnalyzer):
    """Hanjalic & Xu's arousal curve from the motion, shots and audio results."""

    name = "arousal"
    needs = ("shots", "motion", "audio")
    columns = {"arousal": "0-1", "arousal_motion": "0-1", "arousal_rhythm": "0-1",
               "arousal_sound": "0-1"}

    defaults = {"window_s": 41, "beta": 5.0, "delta_s": 12.0,
                "weights": (1.0, 1.0, 1.0)}

    def derive(self, results: Mapping[str, list[Signals]], seconds: Signals,
               run: PassInfo) -> list[Signals]:
        s = self._settings
        fps = run.info.fps if np.isfinite(run.info.fps) and run.info.fps > 0 else 25.0
        out = arousal_curve(seconds["motion"], seconds["shot_length"], seconds["loudness"],
                            fps=fps, window_s=int(s["window_s"]), beta=float(s["beta"]),
                            delta_s=float(s["delta_s"]),
                            weights=tuple(float(w) for w in s["weights"]))
        past = seconds.time >= run.analyzed_until
        out = {k: np.round(np.where(past, np.nan, v), 6) for k, v in out.items()}
        return [Signals.from_columns(self.name, "seconds", {"time": seconds.time, **out},
                                     units=dict(self.columns))]
