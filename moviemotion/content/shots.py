"""Shots: hard cuts and gradual transitions (fades, dissolves), fed from the one decode pass.

PySceneDetect's detectors do the frame scoring (``scenedetect`` from ``scenedetect-headless``);
their ``process_frame`` gets our frames, never its own decoder:

* hard cuts: :class:`scenedetect.AdaptiveDetector` (default; a cut is a frame whose content
  score stands out from its neighbours', which tolerates camera motion) or
  :class:`scenedetect.ContentDetector` (a fixed threshold on the HSV frame difference);
* fades: :class:`scenedetect.ThresholdDetector` (the mean level falls below a black level,
  the cut is placed in the middle of the dark stretch);
* dissolves: our own windowed measure on tiny luma frames, the *midpoint linearity* test of
  the double chromatic difference (Yu, Bozdagi & Harrington 1997): inside a cross-dissolve
  every frame is a linear blend of the two shots, so for three frames ``a, m, b`` spaced
  ``w/2`` apart the middle one equals ``(a + b) / 2``; camera motion and objects moving do
  not blend linearly. A run of frames where the frames ``w`` apart differ over much of the
  picture while the midpoint residual stays small is a dissolve; the shot boundary is its
  middle frame.

A hard cut found inside a dissolve or a fade is that gradual transition, not a second boundary.

Output: ``shots`` events (one row per shot; see docs/movie.md), per-second ``shot``,
``cuts``, ``shot_length``, ``cut_rate``, and ``shot_thumbnails`` events holding one small JPEG
per shot, taken during the pass (the frame nearest the middle of the shot among those kept at
one per second) so that the report never decodes the movie again.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

from moviemotion.content.base import ANALYZERS, MovieAnalyzer, fit_width, n_seconds, shared_request
from moviemotion.errors import InputError
from moviemotion.signals import Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo

#: How a shot begins.
TRANSITIONS = ("start", "cut", "fade", "dissolve")
_TINY_WIDTH = 32  # dissolve measure raster: about 32 px wide


@dataclass
class Boundary:
    """A shot boundary: ``frame`` is the first frame of the new shot; a gradual transition
    spans frames ``first..last``."""

    frame: int
    kind: str
    first: int
    last: int
    black: tuple[int, int] | None = None  # the black frames a fade passes through


def merge_boundaries(found: list[Boundary], min_gap: int, before: list[Boundary] | None = None
                     ) -> list[Boundary]:
    """One boundary per transition: hard cuts inside a dissolve or fade span (or within 2
    frames of one) are that transition; dissolves that overlap a fade are the fade;
    boundaries closer than ``min_gap`` frames keep the first. ``before``: boundaries already
    kept (their spans and the gap to the last one count)."""
    before = before or []
    found = _join_fades(found, min_gap)
    gradual = [b for b in (*before[-4:], *found) if b.kind != "cut"]
    fades = [b for b in gradual if b.kind == "fade"]
    keep: list[Boundary] = list(before[-1:]) or [Boundary(0, "start", 0, 0)]
    for b in sorted(found, key=lambda b: (b.frame, b.kind)):
        if b.kind == "cut" and any(g.first - 2 <= b.frame <= g.last + 2 for g in gradual):
            continue
        if b.kind == "dissolve" and any(f.first - min_gap <= b.frame <= f.last + min_gap
                                        for f in fades):
            continue
        if keep and b.frame - keep[-1].frame < min_gap:
            continue
        keep.append(b)
    return keep[1:]


def _join_fades(found: list[Boundary], min_gap: int) -> list[Boundary]:
    """Fades that pass through the same black (a fade-out, the black, a fade-in, found by the
    linear-blend runs and by the threshold detector) are one fade, its boundary in the middle
    of the members' boundaries (the middle of the black) and its span their union."""
    fades = sorted((b for b in found if b.kind == "fade" and b.black), key=lambda b: b.black)
    groups: list[list[Boundary]] = []
    for b in fades:
        if groups and b.black[0] <= max(g.black[1] for g in groups[-1]) + 3:
            groups[-1].append(b)
        else:
            groups.append([b])
    joined = [Boundary((min(g.frame for g in grp) + max(g.frame for g in grp)) // 2, "fade",
                       min(g.first for g in grp), max(g.last for g in grp),
                       (min(g.black[0] for g in grp), max(g.black[1] for g in grp)))
              for grp in groups]
    return [b for b in found if not (b.kind == "fade" and b.black)] + joined


@ANALYZERS.register("shots", help="shot boundaries: hard cuts (PySceneDetect), fades, "
                    "dissolves; shot id, cut rate, one thumbnail per shot")
class ShotsAnalyzer(MovieAnalyzer):
    """Shot boundaries from every frame at a small size (see the module docstring)."""

    name = "shots"
    columns = {"shot": "id", "cuts": "count", "shot_length": "s", "cut_rate": "cuts/min"}

    defaults = {
        "detector": "adaptive",      # hard cuts: "adaptive" or "content"
        "threshold": None,           # adaptive ratio (3.0) or content score (27.0)
        "min_shot_s": 0.6,           # shortest shot, seconds
        "fade_level": 12.0,          # mean 8-bit level under which a frame is black
        "dissolve_window_s": 1.0,    # w: frames compared across a dissolve
        "dissolve_change": 14.0,     # mean |a - b| (8-bit) the window must change by
        "dissolve_spread": 0.5,      # share of pixels that must change
        "dissolve_linearity": 0.25,  # max midpoint residual / change
        "dissolve_min_s": 0.4,       # shortest run of dissolve frames
        "dissolve_gap_s": 0.25,      # runs closer than this are one transition
        "width": 256,                # analysis width in pixels (PySceneDetect's default)
        "thumbnail_width": 192,
        "thumbnails_per_s": 4.0,     # thumbnail candidates kept while a shot is open
        "cut_rate_window_s": 30.0,   # cut_rate: boundaries per minute over this window
    }

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        s = self._settings
        if s["detector"] not in ("adaptive", "content"):
            raise InputError(f"shots: detector must be 'adaptive' or 'content', "
                             f"not {s['detector']!r}")
        self._hard = None

    # -- the pass -----------------------------------------------------------------------------
    def request(self, info: VideoInfo) -> FrameRequest:
        import scenedetect

        s = self._settings
        fps = info.fps if math.isfinite(info.fps) and info.fps > 0 else 25.0
        self._fps = Fraction(fps).limit_denominator(1001)
        self._min_len = max(1, int(round(s["min_shot_s"] * fps)))
        if s["detector"] == "adaptive":
            kw = {"adaptive_threshold": s["threshold"]} if s["threshold"] is not None else {}
            self._hard = scenedetect.AdaptiveDetector(min_scene_len=self._min_len, **kw)
        else:
            kw = {"threshold": s["threshold"]} if s["threshold"] is not None else {}
            self._hard = scenedetect.ContentDetector(min_scene_len=self._min_len, **kw)
        self._fade = scenedetect.ThresholdDetector(threshold=s["fade_level"],
                                                   min_scene_len=self._min_len)
        self._w = max(2, int(round(s["dissolve_window_s"] * fps / 2)) * 2)
        self._tiny: deque[np.ndarray] = deque(maxlen=self._w + 1)
        self._run: list[int] = []  # frames (window ends) of the current dissolve run
        self._found: list[Boundary] = []
        self._times = array("d")
        self._levels = array("f")  # mean level per frame (fade-in test for the first shot)
        self._index = -1
        self._thumb_w = int(s["thumbnail_width"])
        self._thumb_interval = 1.0 / float(s["thumbnails_per_s"])
        self._thumbs: list[tuple[float, bytes]] = []  # candidates of the shots still open
        self._thumb_step = self._thumb_interval
        self._next_thumb = 0.0
        self._final: list[Boundary] = []
        self._thumbed = 0  # shots whose thumbnail is chosen
        self._shot_thumbs: list[tuple[int, float, bytes]] = []
        self._lag = int(10 * fps) + self._w + 4 * self._min_len
        self._width = int(s["width"])
        return shared_request(info, None, self._width)

    def push(self, t: float, frame: np.ndarray) -> None:
        import scenedetect

        frame = cv2.cvtColor(fit_width(frame, self._width), cv2.COLOR_RGB2BGR)
        self._index += 1
        k = self._index
        self._times.append(t)
        tc = scenedetect.FrameTimecode(k, fps=self._fps)
        for c in self._hard.process_frame(tc, frame):
            self._found.append(Boundary(c.frame_num, "cut", c.frame_num, c.frame_num))
        tiny = fit_width(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), _TINY_WIDTH).astype(np.float32)
        self._levels.append(float(tiny.mean()))
        for c in self._fade.process_frame(tc, frame):
            self._found.append(self._fade_span(c.frame_num, k))
        self._tiny.append(tiny)
        self._dissolve_step(k)
        if t + 1e-9 >= self._next_thumb:
            self._keep_thumbnail(t, frame)

    def _dissolve_step(self, k: int) -> None:
        s = self._settings
        w = self._w
        on = False
        if len(self._tiny) == w + 1:
            a, m, b = self._tiny[0], self._tiny[w // 2], self._tiny[w]
            diff = np.abs(a - b)
            change = float(diff.mean())
            dark = min(float(a.mean()), float(b.mean())) < s["fade_level"]
            if change >= s["dissolve_change"] and not dark:
                spread = float((diff > 0.5 * s["dissolve_change"]).mean())
                resid = float(np.abs(m - 0.5 * (a + b)).mean())
                on = spread >= s["dissolve_spread"] and resid <= s["dissolve_linearity"] * change
        if on:
            self._run.append(k)
        elif self._run and k - self._run[-1] > self._settings["dissolve_gap_s"] * float(self._fps):
            self._end_dissolve()

    def _fade_span(self, middle: int, lit: int) -> Boundary:
        """A fade found by the threshold detector (``lit``: first frame above black again):
        the span covers the fade-out ramp, the black and ``lit``; a film that opens in black
        starts its first shot at ``lit``, else the boundary is the middle of the black."""
        levels = np.frombuffer(self._levels, np.float32)
        black = self._settings["fade_level"]
        j = lit - 1
        while j > 0 and levels[j - 1] < black:
            j -= 1
        if j == 0:
            return Boundary(lit, "fade", 0, lit, (0, lit - 1))
        black = (j, lit - 1)
        stop = max(0, j - int(3 * float(self._fps)))
        while j > stop and 0 < levels[j - 1] - levels[j] < 8.0:  # a ramp, not a cut
            j -= 1
        return Boundary(middle, "fade", j, lit, black)

    def _end_dissolve(self) -> None:
        """Close a run of linear-blend frames: a fade when one end is black, else a dissolve."""
        run, self._run = self._run, []
        fps = float(self._fps)
        if len(run) < max(2, self._settings["dissolve_min_s"] * fps):
            return
        first, last = max(run[0] - self._w, 0), run[-1]
        levels = np.frombuffer(self._levels, np.float32)
        black = self._settings["fade_level"]
        lo = max(first - self._w, 0)
        before, after = levels[lo:first + 1], levels[last:last + self._w + 1]
        if (before < black).any():  # fade-in: the new shot starts where the picture appears
            dark = lo + int(np.flatnonzero(before < black)[-1])
            self._found.append(Boundary(dark + 1, "fade", dark, last, (dark, dark)))
        elif (after < black).any():  # fade-out: the black begins a new shot
            dark = last + int(np.flatnonzero(after < black)[0])
            self._found.append(Boundary(dark, "fade", first, dark, (dark, dark)))
        else:
            self._found.append(Boundary((first + last + 1) // 2, "dissolve", first, last))

    def _keep_thumbnail(self, t: float, frame: np.ndarray) -> None:
        h = max(2, int(round(frame.shape[0] * self._thumb_w / frame.shape[1])))
        small = cv2.resize(frame, (self._thumb_w, h), interpolation=cv2.INTER_AREA)
        ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if ok:
            self._thumbs.append((t, jpg.tobytes()))
        self._next_thumb = t + self._thumb_step
        self._commit(self._index - self._lag)
        if len(self._thumbs) > 400:  # one very long shot: keep every other candidate
            self._thumbs = self._thumbs[::2]
            self._thumb_step *= 2

    def _commit(self, upto: int) -> None:
        """Make the boundaries that no later frame can change final (their last frame is
        before ``upto``), and choose the thumbnails of the shots they close (flat memory)."""
        later = [b.first for b in self._found if b.last >= upto]  # spans still growing
        upto = min([upto, *(f - self._min_len - 3 for f in later)])
        ready = [b for b in self._found if b.last < upto]
        if ready:
            self._found = [b for b in self._found if b.last >= upto]
            new = [b for b in merge_boundaries(ready, self._min_len, self._final) if b.frame > 0]
            self._final.extend(new)
        while self._thumbed < len(self._final):
            i = self._thumbed
            a = self._times[self._final[i - 1].frame] if i else 0.0
            b = self._times[self._final[i].frame]
            inside = [x for x in self._thumbs if x[0] < b]
            if inside:
                mid = (a + b) / 2
                self._shot_thumbs.append((i, *min(inside, key=lambda x: abs(x[0] - mid))))
            self._thumbs = [x for x in self._thumbs if x[0] >= b]
            self._thumb_step = self._thumb_interval
            self._thumbed += 1

    # -- results ------------------------------------------------------------------------------
    def finish(self, run: PassInfo) -> list[Signals]:
        import pyarrow as pa
        import scenedetect

        if self._index < 0:
            return [self._empty(run)]
        if self._run:
            self._end_dissolve()
        last = scenedetect.FrameTimecode(self._index, fps=self._fps)
        for c in self._hard.post_process(last):
            self._found.append(Boundary(c.frame_num, "cut", c.frame_num, c.frame_num))
        n = self._index + 1
        self._final = [b for b in self._final if b.frame < n]
        self._commit(n + 10 ** 9)
        bounds = [b for b in self._final if 0 < b.frame < n]
        times = np.frombuffer(self._times, np.float64)
        frame_dur = 1.0 / float(self._fps)
        end_time = max(run.analyzed_until, float(times[-1]) + frame_dur)
        starts = [0] + [b.frame for b in bounds]
        ends = [b.frame - 1 for b in bounds] + [n - 1]
        kinds = ["start"] + [b.kind for b in bounds]
        levels = np.frombuffer(self._levels, np.float32)
        if (levels[: max(1, int(round(float(self._fps))))] < self._settings["fade_level"]).any():
            kinds[0] = "fade"  # the film fades in from black
        t_start = [float(times[a]) for a in starts]
        t_end = t_start[1:] + [end_time]
        # the last shot's thumbnail
        mid = (t_start[-1] + end_time) / 2
        if self._thumbs:
            self._shot_thumbs.append((len(starts) - 1,
                                      *min(self._thumbs, key=lambda x: abs(x[0] - mid))))
        self._thumbs = []
        trans_start = [t_start[0]] + [float(times[max(b.first, 0)]) for b in bounds]
        trans_end = [t_start[0]] + [float(times[min(max(b.last, b.frame), n - 1)])
                                    for b in bounds]
        shots = Signals.from_columns("shots", "events", {
            "time": t_start, "end": t_end,
            "shot": np.arange(len(starts), dtype=np.int64),
            "start_frame": np.asarray(starts, np.int64), "end_frame": np.asarray(ends, np.int64),
            "transition": kinds,
            "transition_start": trans_start, "transition_end": trans_end,
        }, units={"time": "s", "end": "s", "shot": "id", "start_frame": "frame",
                  "end_frame": "frame", "transition_start": "s", "transition_end": "s"})
        thumbs = Signals.from_columns("shot_thumbnails", "frames", pa.table({
            "time": pa.array([x[1] for x in self._shot_thumbs], pa.float64()),
            "shot": pa.array([x[0] for x in self._shot_thumbs], pa.int64()),
            "jpeg": pa.array([x[2] for x in self._shot_thumbs], pa.binary())}),
            units={"time": "s", "shot": "id"})
        return [self._per_second(run, np.asarray(t_start), np.asarray(t_end)), shots, thumbs]

    def _per_second(self, run: PassInfo, t_start: np.ndarray, t_end: np.ndarray) -> Signals:
        n = n_seconds(run)
        sec = np.arange(n, dtype=np.float64)
        idx = np.clip(np.searchsorted(t_start, sec + 0.5, side="right") - 1, 0, None)
        cut_times = t_start[1:]
        cuts = np.bincount(np.floor(cut_times + 1e-9).astype(np.int64), minlength=n)[:n]
        half = self._settings["cut_rate_window_s"] / 2
        lo = np.searchsorted(cut_times, np.maximum(sec + 0.5 - half, 0.0))
        hi = np.searchsorted(cut_times, sec + 0.5 + half)
        span = np.minimum(sec + 0.5 + half, n) - np.maximum(sec + 0.5 - half, 0.0)
        rate = (hi - lo) / np.maximum(span, 1.0) * 60.0
        valid = sec < run.analyzed_until
        return Signals.from_columns(self.name, "seconds", {
            "time": sec,
            "shot": np.where(valid, idx, -1).astype(np.int64),
            "cuts": cuts.astype(np.int64),
            "shot_length": np.where(valid, (t_end - t_start)[idx], np.nan),
            "cut_rate": np.where(valid, np.round(rate, 4), np.nan),
        }, units=dict(self.columns))

    def _empty(self, run: PassInfo) -> Signals:
        return Signals.from_columns(self.name, "seconds", {"time": [0.0], "shot": [-1],
                                                           "cuts": [0], "shot_length": [np.nan],
                                                           "cut_rate": [np.nan]},
                                    units=dict(self.columns))
