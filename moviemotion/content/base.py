"""The movie-side analyzers: one registry, one base class, one per-second table.

Every signal of the film itself is an *analyzer* registered by name in :data:`ANALYZERS`
(``shots``, ``motion``, ``look``, ``audio``, ``faces``, ``flashes``, ``arousal`` ...).
There are two sorts, both plain classes built with their settings as keyword arguments:

* **pass analyzers** follow :class:`moviemotion.video.source.Analyzer`: they say what frames
  (and audio) they need with ``request(info)``, take them with ``push`` / ``push_audio`` during
  the one decode pass, and hand on :class:`~moviemotion.signals.Signals` from ``finish(run)``;
* **derived analyzers** (no ``request``) read the other analyzers' results after the pass:
  ``derive(results, seconds, run)`` gets every table made so far and the joined per-second
  table, and returns more tables (the content arousal curve; later the trainable affect heads).

``needs`` names the analyzers whose results an analyzer reads; :func:`resolve` adds them to a
selection and orders it. Each analyzer's **per-second** table (``kind="seconds"``) holds columns
with names unique across analyzers; the movie job joins them into ``movie.parquet``. Other
tables (events such as shots, per-shot thumbnails) are written or drawn by the job and report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from moviemotion.errors import InputError
from moviemotion.registry import Registry
from moviemotion.signals import TIME, Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo

#: Every movie analyzer, by name (filled by :mod:`moviemotion.content.analyzers`).
ANALYZERS: Registry[type] = Registry("movie analyzer")


class MovieAnalyzer:
    """Base of the pass analyzers: settings as keyword arguments, recorded by :meth:`settings`.

    Subclasses set ``name``, ``columns`` (per-second column -> unit) and implement ``request``,
    ``push`` and ``finish``; ``push_audio`` when their request asks for audio.
    """

    name: ClassVar[str] = ""
    #: Analyzers whose results this one reads (they are added to a selection that lacks them).
    needs: ClassVar[tuple[str, ...]] = ()
    #: Per-second columns this analyzer adds to the movie table, with their units.
    columns: ClassVar[Mapping[str, str]] = {}
    #: Whether the analyzer takes part in a default run (``--analyzers`` not given).
    default: ClassVar[bool] = True
    #: Setting name -> default value (``run.json`` records the values used).
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **settings: Any):
        unknown = sorted(set(settings) - set(self.defaults))
        if unknown:
            raise InputError(f"unknown setting(s) {', '.join(unknown)} for the {self.name!r} "
                             f"analyzer; it takes {', '.join(sorted(self.defaults)) or 'none'}")
        self._settings = {**self.defaults, **settings}


    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    @classmethod
    def applies(cls, info: VideoInfo, has_audio: bool) -> str:
        """Why this analyzer does not apply to a source ("" when it does); a default run skips
        analyzers that do not apply, an explicit ``--analyzers`` still runs them."""
        return ""

    def request(self, info: VideoInfo) -> FrameRequest:  # pragma: no cover - abstract
        raise NotImplementedError

    def push(self, t: float, frame: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self, run: PassInfo) -> list[Signals]:  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Whole-film results for ``run.json`` (``results.<name>``), e.g. a verdict."""
        return {}

    # -- helpers for subclasses ---------------------------------------------------------------
    def seconds_table(self, run: PassInfo, times: Sequence[float] | np.ndarray,
                      values: Mapping[str, Sequence[float] | np.ndarray],
                      how: str | Mapping[str, str] = "mean", decimals: int = 6) -> Signals:
        """Per-second table of samples ``values`` at ``times`` over the analyzed span
        (rounded to ``decimals``)."""
        s = per_second(self.name, run, times, values, dict(self.columns), how)
        return s.with_columns(**{c: np.round(s[c], decimals) for c in values})


class DerivedAnalyzer(MovieAnalyzer):
    """Base of the analyzers that work on other analyzers' results after the pass."""

    def derive(self, results: Mapping[str, list[Signals]], seconds: Signals,
               run: PassInfo) -> list[Signals]:  # pragma: no cover - abstract
        raise NotImplementedError


def scaled_size(info: VideoInfo, width: int) -> tuple[int, int]:
    """``(w, h)`` at most ``width`` wide with the frame's aspect and an even height (a
    :class:`FrameRequest` size: before rotation)."""
    w = min(int(width), info.width)
    return w, max(2, int(round(info.height * w / info.width / 2)) * 2)


def shared_request(info: VideoInfo, fps: float | None, width: int) -> FrameRequest:
    """RGB frames for an analyzer that wants about ``width`` px (it resizes them itself).

    Every frame is converted once for all analyzers that ask for the same thing, and the
    flash check's analysis raster (area-averaged RGB, 480 x 272 at 1080p) is converted on
    every frame anyway when it runs: so the raster is asked for whenever it is at least
    ``width`` px wide (or the whole frame is narrower); else ``width`` px of its own.
    """
    from moviemotion.flash.cells import CellGrid

    rotated = info.rotation in (90, 270)
    dw, dh = (info.height, info.width) if rotated else (info.width, info.height)
    rw, rh = CellGrid.for_frame(dw, dh).raster_size
    if rw >= min(width, dw):
        size = None if (rw, rh) == (dw, dh) else ((rh, rw) if rotated else (rw, rh))
    else:
        size = scaled_size(info, width)
    return FrameRequest(fps=fps, mode="rgb", size=size, interpolation="AREA")


def fit_width(frame: np.ndarray, width: int) -> np.ndarray:
    """``frame`` shrunk by the whole factor that brings it nearest ``width`` px wide (area
    average over k x k blocks: OpenCV's fast path, 5-10 x faster than a fractional one)."""
    import cv2

    k = int(round(frame.shape[1] / width))
    if k <= 1:
        return frame
    h, w = frame.shape[0] // k, frame.shape[1] // k
    return cv2.resize(frame[: h * k, : w * k], (w, h), interpolation=cv2.INTER_AREA)


def n_seconds(run: PassInfo) -> int:
    """Rows of a per-second table for a pass: whole or partial seconds analyzed."""
    end = run.analyzed_until if not run.complete else max(run.duration, run.analyzed_until)
    return max(int(math.ceil(end - 1e-6)), 1)


def per_second(source: str, run: PassInfo, times: Sequence[float] | np.ndarray,
               values: Mapping[str, Sequence[float] | np.ndarray], units: Mapping[str, str],
               how: str | Mapping[str, str] = "mean") -> Signals:
    """Samples at ``times`` -> one row per second of the pass (seconds without a sample: NaN)."""
    n = n_seconds(run)
    t = np.asarray(times, np.float64)
    if how == "median":  # robust to a single odd sample (e.g. optical flow across a cut)
        sec = np.floor(t + 1e-9).astype(np.int64)
        cols = {TIME: np.arange(n, dtype=np.float64)}
        for k, v in values.items():
            v = np.asarray(v, np.float64)
            out = np.full(n, np.nan)
            ok = (sec >= 0) & (sec < n) & ~np.isnan(v)
            order = np.lexsort((v[ok], sec[ok]))
            s_sorted, v_sorted = sec[ok][order], v[ok][order]
            bounds = np.searchsorted(s_sorted, np.arange(n + 1))
            for i in np.flatnonzero(np.diff(bounds)):
                out[i] = np.median(v_sorted[bounds[i]:bounds[i + 1]])
            cols[k] = out
        return Signals.from_columns(source, "seconds", cols, units=units)
    cols = {TIME: t}
    cols.update({k: np.asarray(v, np.float64) for k, v in values.items()})
    s = Signals.from_columns(source, "frames", cols, units=units)
    return s.per_second(n, how=how)


def is_derived(cls: type) -> bool:
    return issubclass(cls, DerivedAnalyzer)


def resolve(names: Iterable[str]) -> list[str]:
    """Names plus the analyzers they need, each after what it needs (order otherwise kept)."""
    out: list[str] = []

    def add(name: str, chain: tuple[str, ...]) -> None:
        if name in out:
            return
        if name in chain:
            raise InputError(f"movie analyzers need each other in a loop: {' -> '.join(chain)}")
        cls = ANALYZERS.get(name)
        for dep in cls.needs:
            add(dep, (*chain, name))
        out.append(name)

    for n in names:
        add(n, ())
    return out


def default_names(info: VideoInfo, has_audio: bool) -> list[str]:
    """Every registered analyzer that is on by default and applies to the source."""
    return [n for n, cls in ANALYZERS.items() if cls.default and not cls.applies(info, has_audio)]


def build(names: Iterable[str], options: Mapping[str, Mapping[str, Any]] | None = None
          ) -> list[MovieAnalyzer]:
    """Analyzers for ``names`` (plus what they need), each made with ``options[name]``."""
    options = dict(options or {})
    stray = sorted(set(options) - set(ANALYZERS.names()))
    if stray:
        ANALYZERS.get(stray[0])  # one-line InputError naming the unknown analyzer
    chosen = resolve(names)
    unused = sorted(set(options) - set(chosen))
    if unused:
        raise InputError(f"settings given for analyzer(s) not run: {', '.join(unused)}")
    return [ANALYZERS.get(n)(**dict(options.get(n, {}))) for n in chosen]
