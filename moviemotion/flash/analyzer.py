"""The standard photosensitivity analyzer (``broadcast`` and ``wcag`` profiles).

:class:`FlashAnalyzer` is an analyzer of the one decode pass
(:func:`moviemotion.video.source.analyze_movie`); inside, a :class:`FlashTracker` judges the
frames. Data flow, one frame at a time (frames are never kept: memory holds the per-cell state, one
second of transitions and the per-frame table of a few numbers per frame)::

    decoded frame (RGB on a small analysis raster, real timestamp t)
      -> linear RGB -> mean per cell -> relative luminance and red value per cell  (cells.py)
      -> per-cell transitions                                              (transitions.py)
      -> per-cell transition counts in the last second of presentation time (windows.py)
      -> flash level and flashing area over the screen / a 10-degree field     (area.py)
      -> failing frames -> incidents; per-frame table; heatmap                 (incidents.py)

Example
-------
>>> from moviemotion.flash import analyze
>>> result = analyze("flash5hz.mp4", profile="broadcast")   # doctest: +SKIP
>>> result.verdict, [(i.start, i.end, i.type) for i in result.incidents]  # doctest: +SKIP
('fail', [(0.12, 2.0, 'luminance_flash')])
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from moviemotion.flash.area import AreaMeter, flashing_share
from moviemotion.flash.cells import CellGrid, cell_means, linearize, luminance_and_red
from moviemotion.flash.incidents import IncidentBuilder
from moviemotion.flash.iris import IrisAnalyzer
from moviemotion.flash.pattern import PatternDetector
from moviemotion.flash.profiles import Profile, get_profile
from moviemotion.flash.result import FlashResult, Incident
from moviemotion.flash.transitions import TransitionTracker
from moviemotion.flash.windows import SlidingCounts, SlidingMoments, SustainedTime
from moviemotion.signals import Signals
from moviemotion.video import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo, analyze_movie, open_source

#: Per-frame columns of the ``broadcast`` / ``wcag`` table (documented in docs/flash.md).
FRAME_COLUMNS = (
    "frame", "time", "luminance", "red", "lum_transitions", "red_transitions",
    "lum_flashes", "red_flashes", "lum_flash_area", "red_flash_area", "sustained_s", "result",
)
_RESULT_CODE = {"pass": 0, "warning": 1, "fail": 2}


class _Channel:
    """One signal (luminance or red): transitions, 1-second counts, level, incidents.

    Two readings of "more than 3 flashes over more than the threshold area" are applied, and
    a frame fails if either holds:

    * per place: the cells with more than 6 transitions in the last second cover more than
      the threshold (a region flashing, even if its cells switch a frame apart);
    * together: more than 6 frames in the last second at which cells covering more than the
      threshold were in transition together (e.g. flashes that light a different 30 % of the
      screen each time, which no single place repeats often enough).
    """

    def __init__(self, grid: CellGrid, profile: Profile, meter: AreaMeter, delta: float,
                 darker_max: float | None, strict: bool, incident_type: str):
        self.profile = profile
        self.meter = meter
        self.shape = grid.shape
        self.delta = delta
        self.tracker = TransitionTracker(grid.shape, delta, darker_max, strict=strict)
        self.window = SlidingCounts(grid.shape, window=1.0)
        self.moments = SlidingMoments(window=1.0)
        self.incidents = IncidentBuilder(incident_type, grid)  # type: ignore[arg-type]

    def push(self, t: float, end: float,
             value: np.ndarray) -> tuple[float, np.ndarray, int, float, bool]:
        """``(share in transition together, window counts, level, area, failing)``."""
        limit = self.profile.max_transitions
        transitions = self.tracker.update(value) != 0
        counts = self.window.push(t, transitions)
        if not counts.any():  # nothing in the last second: no moments either
            return 0.0, counts, self.moments.push(t, 0.0, None), 0.0, False
        # border cells count by the share of their pixels that flash
        weights = flashing_share(self.tracker.swing(), self.delta)
        level, area = self.meter.measure(counts, weights)
        together = self.meter.field_share(transitions, weights) if transitions.any() else 0.0
        big = together > self.profile.area_threshold
        n_moments = self.moments.push(t, together, np.flatnonzero(transitions) if big else None)
        if level > limit:  # per place: the flashing cells are known exactly
            over = counts > limit
            start = self.window.first_event_time(over)
            self.incidents.add(t if start is None else start, end, max(level, n_moments) / 2,
                               area, over)
        elif n_moments > limit:  # together only: where = every cell of the counted frames
            level, area = n_moments, self.moments.max_share
            start = self.moments.first_time
            self.incidents.add(t if start is None else start, end, level / 2, area,
                               self.moments.cells(self.shape))
        return together, counts, max(level, n_moments), area, level > limit


class FlashTracker:
    """The streaming check on one frame size: :meth:`push` every frame in time order, then
    :meth:`finish` (what :class:`FlashAnalyzer` runs inside the decode pass).

    ``width``, ``height``: display size of the video (the grid is laid out on it).
    ``pattern``: also run the spatial-pattern check (see pattern.py).
    ``oversample``: analysis-raster pixels per cell side (4: 480 x 272 at 1080p; larger is
        closer to exact linear averaging and slower, see docs/flash.md; ``None``: the full
        frame, every pixel linearized before averaging). The pattern check needs >= 8.
    """

    def __init__(self, width: int, height: int, profile: Profile, *, pattern: bool = False,
                 cell_px: int | None = None, nominal_fps: float = math.nan,
                 oversample: int | None = 4):
        self.profile = profile
        if pattern and oversample is not None:
            oversample = max(oversample, 8)
        self.grid = CellGrid.for_frame(width, height, cell_px=cell_px, oversample=oversample)
        meter = AreaMeter(self.grid, profile)
        self.lum = _Channel(self.grid, profile, meter, profile.luminance_delta,
                            profile.darker_max, False, "luminance_flash")
        self.red = _Channel(self.grid, profile, meter, profile.red_delta, None, True,
                            "red_flash")
        self.sustained = SustainedTime(profile.extended_window_s)
        self.extended = IncidentBuilder("extended_flash", self.grid)
        self.pattern = PatternDetector(self.grid, profile) if pattern else None
        self.nominal_fps = nominal_fps
        self.rows: dict[str, list] = {c: [] for c in FRAME_COLUMNS}
        if pattern:
            self.rows["pattern_area"] = []
        self.peak_counts = np.zeros(self.grid.shape, np.int16)
        self._prev_t: float | None = None
        self._dt = 1.0 / nominal_fps if nominal_fps > 0 else 0.04

    def push(self, t: float, rgb: np.ndarray) -> None:
        """Analyze the frame shown from presentation time ``t`` (seconds)."""
        if self._prev_t is not None:
            if t <= self._prev_t:
                return  # duplicate or out-of-order timestamp: nothing new on screen
            self._dt = t - self._prev_t
        self._prev_t = t
        end = t + self._dt
        lin = linearize(rgb)
        lum, red = luminance_and_red(cell_means(lin, self.grid))
        lum_now, lum_counts, lum_level, lum_area, lum_fail = self.lum.push(t, end, lum)
        red_now, red_counts, red_level, red_area, red_fail = self.red.push(t, end, red)

        counts = np.maximum(lum_counts, red_counts)
        np.maximum(self.peak_counts, counts, out=self.peak_counts)
        limit = self.profile.max_transitions

        level = max(lum_level, red_level)
        sustained_s = self.sustained.push(t, self._dt, 4 <= level <= limit)
        result = "fail" if (lum_fail or red_fail) else "pass"
        if self.profile.extended and sustained_s >= self.profile.extended_seconds - 1e-6:
            self.extended.add(self.sustained.first_start, end, level / 2, 0.0, None)
            result = "fail"
        if self.pattern is not None:
            pattern_area = self.pattern.push(t, end, lin)
            self.rows["pattern_area"].append(round(pattern_area, 4))
            if self.pattern.active and result != "fail":
                result = self.profile.pattern_severity

        r = self.rows
        r["frame"].append(len(r["time"]))
        r["time"].append(round(t, 6))
        r["luminance"].append(round(float(lum.mean()), 5))
        r["red"].append(round(float(red.mean()), 4))
        r["lum_transitions"].append(round(lum_now, 4))
        r["red_transitions"].append(round(red_now, 4))
        r["lum_flashes"].append(lum_level / 2)
        r["red_flashes"].append(red_level / 2)
        r["lum_flash_area"].append(round(lum_area, 4))
        r["red_flash_area"].append(round(red_area, 4))
        r["sustained_s"].append(round(sustained_s, 3))
        r["result"].append(_RESULT_CODE[result])

    def finish(self, path: str = "<frames>", duration: float | None = None) -> FlashResult:
        """The verdict, incidents, per-frame table and heatmaps of everything pushed."""
        incidents: list[Incident] = [*self.lum.incidents.finish(), *self.red.incidents.finish(),
                                     *self.extended.finish()]
        if self.pattern is not None:
            incidents += self.pattern.finish()
        incidents.sort(key=lambda i: (i.start, i.type))
        if any(i.severity == "fail" for i in incidents):
            verdict = "fail"
        elif incidents:
            verdict = "warning"
        else:
            verdict = "pass"
        times = self.rows["time"]
        n = len(times)
        if duration is None or not math.isfinite(duration):
            duration = (times[-1] + self._dt) if n else 0.0
        fps = self.nominal_fps
        if not (fps > 0) and n > 1:
            fps = (n - 1) / (times[-1] - times[0])
        settings: dict[str, Any] = {**self.profile.as_dict(), "grid": self.grid.as_dict(),
                                    "pattern_check": self.pattern is not None}
        extras = {
            "heatmap_peak_flashes": (self.peak_counts / 2.0).tolist(),
            "frame_size": [self.grid.width, self.grid.height],
        }
        return FlashResult(path=path, profile=self.profile.name, verdict=verdict,  # type: ignore[arg-type]
                           incidents=incidents, frames=self.rows, duration=float(duration),
                           n_frames=n, fps=float(fps) if fps == fps else 0.0,
                           settings=settings, extras=extras)


class FlashAnalyzer:
    """The ``broadcast`` / ``wcag`` check as an analyzer of the one decode pass
    (:func:`moviemotion.video.source.analyze_movie`).

    It asks for every frame, RGB on its grid's analysis raster (swscale's area filter: pixel
    means), judges it with a :class:`FlashTracker`, and ``finish`` returns the per-frame
    table (``frames``) and the incidents (``events``) as Signals; the full verdict stays in
    :attr:`result` (a :class:`FlashResult`). An incomplete pass (truncated or damaged file)
    is never a clean pass: see :meth:`FlashResult.mark_incomplete`.

    >>> from moviemotion.video.source import analyze_movie, open_source
    >>> check = FlashAnalyzer("wcag")
    >>> with open_source("clip.mp4") as src:                    # doctest: +SKIP
    ...     tables = analyze_movie(src, [check]).tables["flash"]
    >>> check.result.verdict                                     # doctest: +SKIP
    'pass'
    """

    name: ClassVar[str] = "flash"

    def __init__(self, profile: str | Profile = "broadcast", *, pattern: bool = False,
                 extended: bool | None = None, cell_px: int | None = None,
                 oversample: int | None = 4):
        self.profile = (profile if isinstance(profile, Profile)
                        else get_profile(profile, extended=extended))
        self.pattern = pattern
        self.cell_px = cell_px
        self.oversample = oversample
        self.tracker: FlashTracker | None = None
        self.result: FlashResult | None = None

    def request(self, info: VideoInfo) -> FrameRequest:
        rotated = info.rotation in (90, 270)
        width, height = (info.height, info.width) if rotated else (info.width, info.height)
        self.tracker = FlashTracker(width, height, self.profile, pattern=self.pattern,
                                    cell_px=self.cell_px, nominal_fps=info.fps,
                                    oversample=self.oversample)
        self.push = self.tracker.push  # type: ignore[method-assign]  # no extra call per frame
        rw, rh = self.tracker.grid.raster_size
        size = None if (rw, rh) == (width, height) else ((rh, rw) if rotated else (rw, rh))
        return FrameRequest(mode="rgb", size=size, interpolation="AREA")

    def push(self, t: float, frame: np.ndarray) -> None:  # replaced in request()
        raise RuntimeError("FlashAnalyzer.push before request()")

    def finish(self, run: PassInfo) -> list[Signals]:
        if self.tracker is None:
            raise RuntimeError("FlashAnalyzer.finish before request()")
        self.result = self.tracker.finish(run.path, duration=run.duration)
        return self.result.after_pass(run)


def make_analyzer(profile: str | Profile = "broadcast", *, pattern: bool = False,
                  extended: bool | None = None, cell_px: int | None = None,
                  oversample: int | None = 4) -> FlashAnalyzer | IrisAnalyzer:
    """The decode-pass analyzer of ``profile`` (a name, or a :class:`Profile` with changed
    settings; ``iris-compat``: :class:`IrisAnalyzer`)."""
    if (profile.name if isinstance(profile, Profile) else profile) == "iris-compat":
        return IrisAnalyzer()
    return FlashAnalyzer(profile, pattern=pattern, extended=extended, cell_px=cell_px,
                         oversample=oversample)


def analyze_frames(frames: Iterable[tuple[float, np.ndarray]], width: int, height: int,
                   profile: str | Profile = "broadcast", *, pattern: bool = False,
                   extended: bool | None = None, cell_px: int | None = None,
                   path: str = "<frames>", nominal_fps: float = math.nan) -> FlashResult:
    """Analyze ``(t, rgb)`` frames (full-range uint8, any size; laid out on ``width`` x
    ``height``) under ``profile``.

    >>> from moviemotion.samples import clips as synth
    >>> frames = synth.render_vfr(synth.flashing((160, 90), hz=5), [i / 25 for i in range(50)])
    >>> analyze_frames(frames, 160, 90).verdict
    'fail'
    """
    prof = profile if isinstance(profile, Profile) else get_profile(profile, extended=extended)
    tracker = FlashTracker(width, height, prof, pattern=pattern, cell_px=cell_px,
                           nominal_fps=nominal_fps)
    for t, rgb in frames:
        tracker.push(float(t), rgb)
    return tracker.finish(path)


def analyze(source_path: str | os.PathLike[str], profile: str | Profile = "broadcast", *,
            pattern: bool = False, extended: bool | None = None, cell_px: int | None = None,
            oversample: int | None = 4, progress: bool = False) -> FlashResult:
    """Check a video file (or image folder) for photosensitivity hazards, in one decode pass
    (:func:`~moviemotion.video.source.analyze_movie` with :func:`make_analyzer`'s analyzer).

    ``profile``: ``broadcast``, ``wcag`` or ``iris-compat`` (:class:`IrisAnalyzer`), or a
    :class:`Profile` (e.g. ``get_profile("broadcast", pattern_severity="warning")``).
    ``extended``: turn the extended-failure rule on/off (default: the profile's).
    ``pattern``: also run the spatial-pattern check. ``cell_px``, ``oversample``: override
    the cell size and the analysis raster (see :class:`FlashTracker`).
    Raises :class:`~moviemotion.errors.VideoError` for unreadable input.
    """
    check = make_analyzer(profile, pattern=pattern, extended=extended, cell_px=cell_px,
                          oversample=oversample)
    with open_source(source_path) as src:
        analyze_movie(src, [check], progress=progress)
    assert check.result is not None
    return check.result
