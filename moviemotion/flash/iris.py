"""The ``iris-compat`` profile: EA IRIS's whole-frame flash check and its per-frame log.

IRIS (github.com/electronicarts/IRIS, BSD-3-Clause) judges each frame by whole-frame
averages: the mean relative luminance and the mean "red saturation" of all pixels. This
module measures those per frame (vectorized NumPy over the pixels), then hands the
per-frame scalars to :mod:`moviemotion.flash.iris_rules`, which reproduces IRIS's
transition tracking, its frame-count "second" and its extended-failure rule.

Per-pixel measures, as in IRIS (on 8-bit sRGB decoded like OpenCV: BT.601 limited range
for SD, through the sRGB -> linear lookup table):

- relative luminance ``0.0722 B + 0.7152 G + 0.2126 R`` (float32, IRIS's order);
- red saturation ``(R - G - B) * 320`` where ``R / (R + G + B) >= 0.8``, negatives -> 0.

Known weaknesses, kept on purpose (this profile exists to reproduce IRIS, see
docs/flash_iris.md): a flashing region under 25% of the frame, or two regions flashing in
opposite phase, barely move the whole-frame mean and pass; the "1 second" window is
``round(fps)`` frames, whatever the real timestamps of a variable-frame-rate file.

Example
-------
>>> from moviemotion.flash.iris import analyze_iris, write_iris_csv
>>> result = analyze_iris("clip.mp4")                     # doctest: +SKIP
>>> result.verdict, result.extras["iris_result"]          # doctest: +SKIP
('warning', 'PassWithWarning')
>>> write_iris_csv(result, "clip_iris.csv")               # doctest: +SKIP
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from moviemotion.errors import VideoError
from moviemotion.flash.iris_rules import (
    EXTENDED_FAIL,
    FLASH_FAIL,
    PASS_WITH_WARNING,
    Evaluation,
    IrisParams,
    evaluate,
    iris_fps,
)
from moviemotion.flash.luminance import LUMA_WEIGHTS, RED_SATURATION, RED_SCALE, linear_rgb
from moviemotion.flash.result import FlashResult, Incident
from moviemotion.io import atomic_path
from moviemotion.signals import Signals
from moviemotion.video import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo, analyze_movie, open_source

PROFILE = "iris-compat"

#: IRIS's per-frame log columns, in its order (the format of its reference logs).
IRIS_COLUMNS: tuple[str, ...] = (
    "Frame",
    "TimeStamp",
    "AverageLuminance",
    "FlashAreaLuminance",
    "AverageLuminanceDiff",
    "AverageLuminanceDiffAcc",
    "AverageRed",
    "FlashAreaRed",
    "AverageRedDiff",
    "AverageRedDiffAcc",
    "PatternRisk",
    "LuminanceTransitions",
    "RedTransitions",
    "LuminanceExtendedFailCount",
    "RedExtendedFailCount",
    "FlashLuminanceFailedFrame",
    "FlashRedFailedFrame",
    "PatternFailedFrame",
)
#: Columns IRIS writes as integers; the rest (but Frame/TimeStamp) are floats ("%f").
IRIS_INT_COLUMNS: tuple[str, ...] = IRIS_COLUMNS[11:]

_WR, _WG, _WB = (np.float32(w) for w in LUMA_WEIGHTS)
_RED_SATURATION = np.float32(RED_SATURATION)
_RED_SCALE = np.float32(RED_SCALE)


def frame_measures(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IRIS's per-pixel ``(relative luminance, red saturation)`` maps (float32, (H, W)).

    >>> import numpy as np
    >>> px = np.array([[[255, 255, 255], [255, 0, 0], [200, 60, 60]]], np.uint8)
    >>> lum, red = frame_measures(px)
    >>> [round(float(v), 4) for v in lum[0]], [round(float(v), 1) for v in red[0]]
    ([1.0, 0.2126, 0.1584], [0.0, 320.0, 155.9])
    """
    lin = linear_rgb(rgb)  # float32 sRGB -> linear, (H, W, 3) in R, G, B order
    r, g, b = lin[..., 0], lin[..., 1], lin[..., 2]
    lum = _WB * b + _WG * g + _WR * r
    total = r + g + b
    with np.errstate(divide="ignore", invalid="ignore"):
        saturated = r / total >= _RED_SATURATION  # 0/0 -> nan -> False, as in IRIS
    red = (r - g - b) * _RED_SCALE
    red = np.where(saturated & (red > 0), red, np.float32(0))
    return lum, red


@dataclass
class _Measures:
    """Per-frame scalars of one decoded clip: all IRIS needs from the pixels."""

    info: VideoInfo
    width: int = 0
    height: int = 0
    times: list[float] = field(default_factory=list)
    lum_mean: list[float] = field(default_factory=list)
    red_mean: list[float] = field(default_factory=list)
    lum_changed: list[int] = field(default_factory=list)  # pixels that changed value
    red_changed: list[int] = field(default_factory=list)
    prev: tuple[np.ndarray, np.ndarray] | None = None

    def push(self, t: float, rgb: np.ndarray) -> None:
        """One frame: its means and the counts of changed pixels of both maps."""
        lum, red = frame_measures(rgb)
        self.times.append(t)
        # cv::mean accumulates in double; IRIS keeps the result as a float.
        self.lum_mean.append(float(np.float32(lum.mean(dtype=np.float64))))
        self.red_mean.append(float(np.float32(red.mean(dtype=np.float64))))
        if self.prev is None:
            self.height, self.width = lum.shape
            self.lum_changed.append(0)
            self.red_changed.append(0)
        else:
            self.lum_changed.append(int(np.count_nonzero(lum != self.prev[0])))
            self.red_changed.append(int(np.count_nonzero(red != self.prev[1])))
        self.prev = (lum, red)


class IrisAnalyzer:
    """The ``iris-compat`` check as an analyzer of the one decode pass
    (:func:`moviemotion.video.source.analyze_movie`): every frame, full-size RGB; ``finish``
    applies IRIS's rules to the per-frame scalars, keeps the :class:`FlashResult` in
    :attr:`result` and returns the per-frame table and the incidents as Signals."""

    name: ClassVar[str] = "flash"

    def __init__(self, params: IrisParams | None = None):
        self.params = params or IrisParams()
        self.measures: _Measures | None = None
        self.result: FlashResult | None = None

    def request(self, info: VideoInfo) -> FrameRequest:
        if not (math.isfinite(info.fps) and info.fps > 0):
            raise VideoError(f"{info.path}: the frame rate is unknown; IRIS mode needs one")
        self.measures = _Measures(info)
        self.push = self.measures.push  # type: ignore[method-assign]
        return FrameRequest(mode="rgb")

    def push(self, t: float, frame: np.ndarray) -> None:  # replaced in request()
        raise RuntimeError("IrisAnalyzer.push before request()")

    def finish(self, run: PassInfo) -> list[Signals]:
        if self.measures is None:
            raise RuntimeError("IrisAnalyzer.finish before request()")
        self.result = _judge(self.measures, run.path, self.params)
        self.measures = None
        return self.result.after_pass(run)


def _timestamp(frame_index: int, fps: float) -> str:
    """IRIS's TimeStamp column: ``hh:mm:ss.ffffff`` of ``1000 * i / fps`` ms (truncated)."""
    ms = int(1000.0 * frame_index / fps)
    seconds = float(np.fmod(np.float32(ms) / np.float32(1000.0), np.float32(60)))
    minutes = (ms // 60000) % 60
    hours = (ms // 3600000) % 24
    return f"{hours:02d}:{minutes:02d}:{seconds:09.6f}"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges ``[a, b)`` where ``mask`` is True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _incidents(ev: Evaluation, kind: str, times: np.ndarray, frame_dur: float, window: int,
               bbox: tuple[int, int, int, int]) -> list[Incident]:
    """Incidents of one channel: runs of flash-fail, extended-fail and warning frames.

    ``peak_flashes_per_second`` is half the most transitions in one IRIS "second";
    ``peak_area`` the largest share of changed pixels at a transition counted in the range.
    """
    out: list[Incident] = []
    ends = np.append(times[1:], times[-1] + frame_dur)
    for code, itype, severity in (
        (FLASH_FAIL, kind, "fail"),
        (EXTENDED_FAIL, "extended_flash", "fail"),
        (PASS_WITH_WARNING, kind, "warning"),
    ):
        for a, b in _runs(ev.codes == code):
            out.append(Incident(
                start=float(times[a]),
                end=float(ends[b - 1]),
                type=itype,
                severity=severity,
                peak_flashes_per_second=float(ev.transitions[a:b].max()) / 2.0,
                peak_area=_peak_area(ev, max(0, a - window + 1), b),
                bbox=bbox,
            ))
    return out


def _peak_area(ev: Evaluation, a: int, b: int) -> float:
    at_transitions = ev.area[a:b][ev.new_transition[a:b]]
    return float(at_transitions.max() if at_transitions.size else ev.area[a:b].max())


def _iris_overall(lum: Evaluation, red: Evaluation) -> tuple[str, list[str], str]:
    """IRIS's ``OverallResult``, its ``Results`` list (failures only) and a plain summary."""
    results: list[str] = []
    if (lum.codes == FLASH_FAIL).any():
        results.append("LuminanceFlashFailure")
    if (lum.codes == EXTENDED_FAIL).any():
        results.append("LuminanceExtendedFlashFailure")
    if (red.codes == FLASH_FAIL).any():
        results.append("RedFlashFailure")
    if (red.codes == EXTENDED_FAIL).any():
        results.append("RedExtendedFlashFailure")
    if results:
        flash_fail = any(r in results for r in ("LuminanceFlashFailure", "RedFlashFailure"))
        return "Fail", results, "fail" if flash_fail else "extended fail"
    if (lum.codes == PASS_WITH_WARNING).any() or (red.codes == PASS_WITH_WARNING).any():
        return "PassWithWarning", [], "pass with warning"
    return "Pass", [], "pass"


def _incident_frames(ev: Evaluation) -> dict[str, int]:
    """IRIS's ``TotalFlashIncidents``: how many frames got each non-pass code."""
    return {"flashFailFrames": int((ev.codes == FLASH_FAIL).sum()),
            "extendedFailFrames": int((ev.codes == EXTENDED_FAIL).sum()),
            "passWithWarningFrames": int((ev.codes == PASS_WITH_WARNING).sum())}


_VERDICTS = {"Pass": "pass", "PassWithWarning": "warning", "Fail": "fail"}


def analyze_iris(source_path: str | os.PathLike[str], progress: bool = False,
                 params: IrisParams | None = None) -> FlashResult:
    """Check a video (or image folder) the way IRIS does, in one decode pass with an
    :class:`IrisAnalyzer`; return a :class:`FlashResult`.

    ``frames`` holds IRIS's per-frame log columns (:data:`IRIS_COLUMNS`, one row per
    decoded frame); ``verdict`` maps IRIS's overall result (Pass -> ``pass``,
    PassWithWarning -> ``warning``, extended or flash failure -> ``fail``; at least
    ``warning`` when the file could not be read to its end), and
    ``extras["iris_result"]`` / ``extras["iris_results"]`` keep IRIS's own words.
    Raises :class:`~moviemotion.errors.VideoError` for unreadable input.
    """
    check = IrisAnalyzer(params)
    with open_source(source_path) as src:
        analyze_movie(src, [check], progress=progress)
    assert check.result is not None
    return check.result


def _judge(m: _Measures, path: str, params: IrisParams) -> FlashResult:
    """IRIS's rules on one clip's per-frame scalars."""
    info, width, height, times = m.info, m.width, m.height, m.times
    nominal_fps = float(info.fps)
    fps = iris_fps(nominal_fps)
    n_pixels = width * height
    lum_mean = np.asarray(m.lum_mean, np.float32)
    red_mean = np.asarray(m.red_mean, np.float32)
    lum = evaluate(lum_mean, m.lum_changed, n_pixels, fps,
                   params.luminance_threshold, params.luminance_dark_threshold, params)
    red = evaluate(red_mean, m.red_changed, n_pixels, fps,
                   params.red_threshold, params.red_dark_threshold, params)
    n = len(times)
    frames: dict[str, Any] = {
        "Frame": np.arange(1, n + 1),
        "TimeStamp": [_timestamp(i, nominal_fps) for i in range(n)],
        "AverageLuminance": lum_mean,
        "FlashAreaLuminance": lum.area,
        "AverageLuminanceDiff": lum.diff,
        "AverageLuminanceDiffAcc": lum.diff_acc,
        "AverageRed": red_mean,
        "FlashAreaRed": red.area,
        "AverageRedDiff": red.diff,
        "AverageRedDiffAcc": red.diff_acc,
        "PatternRisk": np.zeros(n, np.float32),  # IRIS's pattern detection is off by default
        "LuminanceTransitions": lum.transitions,
        "RedTransitions": red.transitions,
        "LuminanceExtendedFailCount": lum.extended,
        "RedExtendedFailCount": red.extended,
        "FlashLuminanceFailedFrame": lum.codes,
        "FlashRedFailedFrame": red.codes,
        "PatternFailedFrame": np.zeros(n, np.int64),
    }
    t = np.asarray(times, np.float64)
    bbox = (0, 0, width, height)  # IRIS judges the whole frame: it cannot say where
    incidents = (_incidents(lum, "luminance_flash", t, 1.0 / nominal_fps, fps, bbox)
                 + _incidents(red, "red_flash", t, 1.0 / nominal_fps, fps, bbox))
    incidents.sort(key=lambda i: (i.start, i.type))
    overall, results, summary = _iris_overall(lum, red)
    duration = float(info.duration) if math.isfinite(info.duration) else n / nominal_fps
    return FlashResult(
        path=str(path),
        profile=PROFILE,
        verdict=_VERDICTS[overall],
        incidents=incidents,
        frames=frames,
        duration=duration,
        n_frames=n,
        fps=nominal_fps,
        settings={"iris_fps": fps, "window_frames": fps,
                  "extended_window_frames": params.extended_fail_window * fps,
                  **params.as_dict()},
        extras={"iris_result": overall, "iris_results": results, "iris_summary": summary,
                "iris_incident_frames": {"luminance": _incident_frames(lum),
                                         "red": _incident_frames(red)},
                "time": t},
    )


def _fmt(value: Any, integer: bool) -> str:
    return str(int(value)) if integer else f"{float(value):f}"


def write_iris_csv(result: FlashResult, path: str | os.PathLike[str]) -> Path:
    """Write ``result.frames`` as IRIS's per-frame log CSV (atomically); return the path.

    Floats are written like IRIS's ``std::to_string`` (``%f``, 6 decimals), integer
    columns as integers, one row per frame, columns :data:`IRIS_COLUMNS`.
    """
    frames = result.frames
    missing = [c for c in IRIS_COLUMNS if c not in frames]
    if missing:
        raise ValueError(f"not an iris-compat result (missing columns {missing})")
    ints = set(IRIS_INT_COLUMNS) | {"Frame"}
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(IRIS_COLUMNS)
        cols = [frames[c] for c in IRIS_COLUMNS]
        for row in zip(*cols, strict=True):
            w.writerow([v if c == "TimeStamp" else _fmt(v, c in ints)
                        for c, v in zip(IRIS_COLUMNS, row, strict=True)])
    return path
