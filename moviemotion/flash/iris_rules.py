"""IRIS's flash rules on per-frame scalars: transitions, 1-second counts, extended failure.

This is the decision half of the ``iris-compat`` profile (see :mod:`moviemotion.flash.iris`
for the measuring half). It reproduces EA's IRIS (``Flash::CheckTransition``,
``Flash::IsFlashTransition`` and the frame-count based ``TransitionEvaluator``) from the
per-frame whole-frame averages, in float32 like IRIS, so that its integer log columns come
out identical.

How IRIS decides, per frame ``p`` (``p = 0`` is the first frame, which is never judged):

1. ``diff[p] = mean[p] - mean[p-1]`` when at least ``area_proportion`` (25%) of the pixels
   changed value at all, else 0.
2. Same-sign diffs accumulate (``acc``) over at most ``fps`` frames (a sliding window); a
   change of sign restarts the accumulation.
3. A new transition is counted when ``|acc| >= threshold`` and the previous accumulation did
   not already reach the threshold with the same sign, and (luminance only) the darker of
   the two frame means is below ``dark_threshold``.
4. ``transitions[p]`` = transitions in the last ``fps`` *frames* (``fps`` rounded to an
   integer: IRIS's "one second" is a frame count, whatever the real timestamps).
5. ``extended[p]`` = frames among the last ``5 * fps`` with 4..6 transitions.
6. Frame code: 3 (flash fail) when ``transitions > 6``; else 2 (extended fail) when
   ``extended >= 4 * fps`` and ``transitions >= 4``; else 1 (pass with warning) when
   ``transitions >= 4``; else 0.

Example
-------
>>> import numpy as np
>>> means = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0], np.float32)   # black/white every frame
>>> ev = evaluate(means, changed=np.ones(9), n_pixels=1, fps=5, threshold=0.1, dark=0.8)
>>> ev.transitions.tolist()
[0, 1, 2, 3, 4, 5, 5, 5, 5]
>>> ev.codes.tolist()
[0, 0, 0, 0, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

#: IRIS result codes of a frame (``FlashResult``), as written in its per-frame log.
PASS, PASS_WITH_WARNING, EXTENDED_FAIL, FLASH_FAIL = 0, 1, 2, 3


@dataclass(frozen=True)
class IrisParams:
    """IRIS's default configuration (``config/appsettings.json``, relative luminance)."""

    area_proportion: float = 0.25  # FlashDetection.AreaProportion
    luminance_threshold: float = 0.1  # RelativeLuminanceFlashThreshold
    luminance_dark_threshold: float = 0.8  # RelativeDarkLuminanceThreshold
    red_threshold: float = 20.0  # RedSaturation.FlashThreshold
    red_dark_threshold: float = 321.0  # RedDarkThreshold (above any red value: never limits)
    max_transitions: int = 6  # more than this in one "second" fails
    min_transitions: int = 4  # 4..6 transitions count towards extended failure (and warn)
    extended_fail_seconds: int = 4
    extended_fail_window: int = 5

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Evaluation:
    """Per-frame outcome of one IRIS channel (luminance or red), arrays of length F."""

    diff: np.ndarray  # float32, AverageLuminanceDiff / AverageRedDiff
    diff_acc: np.ndarray  # float32, AverageLuminanceDiffAcc / AverageRedDiffAcc
    area: np.ndarray  # float32, share of pixels that changed (FlashArea...)
    new_transition: np.ndarray  # bool
    transitions: np.ndarray  # int, LuminanceTransitions / RedTransitions
    extended: np.ndarray  # int, LuminanceExtendedFailCount / RedExtendedFailCount
    codes: np.ndarray  # int, FlashLuminanceFailedFrame / FlashRedFailedFrame


def iris_fps(fps: float) -> int:
    """IRIS's integer frame rate: ``round(CAP_PROP_FPS)`` (C rounding, halves away from 0)."""
    return max(1, int(np.floor(float(fps) + 0.5)))


def _same_sign(a: np.float32, b: np.float32) -> bool:
    # IRIS: 0 counts as both positive and negative (the trend has not changed).
    return (a <= 0 and b <= 0) or (a >= 0 and b >= 0)


def frame_diffs(means: np.ndarray, changed: np.ndarray, n_pixels: int,
                area_proportion: float) -> tuple[np.ndarray, np.ndarray]:
    """``(diff, area)`` per frame: IRIS's ``CheckSafeArea`` (vectorized).

    ``changed[p]``: pixels whose value differs between frames ``p-1`` and ``p`` (0 for p=0).
    """
    means = np.asarray(means, np.float32)
    changed = np.asarray(changed, np.int64)
    safe_area = int(n_pixels * area_proportion)
    diff = np.zeros_like(means)
    diff[1:] = np.where(changed[1:] >= safe_area, means[1:] - means[:-1], np.float32(0))
    area = (changed / np.float32(n_pixels)).astype(np.float32)
    area[0] = 0
    return diff, area


def accumulate_transitions(diff: np.ndarray, means: np.ndarray, fps: int, threshold: float,
                           dark: float) -> tuple[np.ndarray, np.ndarray]:
    """``(diff_acc, new_transition)``: IRIS's ``CheckTransition`` state machine.

    A loop over per-frame scalars (float32, like IRIS): the state is a sliding window of
    at most ``fps`` same-sign differences.
    """
    f32 = np.float32
    thr, dark = f32(threshold), f32(dark)
    n = len(diff)
    acc_out = np.zeros(n, np.float32)
    new = np.zeros(n, bool)
    window: deque[np.float32] = deque([f32(0)])
    last_acc = f32(0)
    for p in range(1, n):
        d = f32(diff[p])
        prev_acc = last_acc
        if _same_sign(last_acc, d):
            if len(window) == fps:
                last_acc = f32(last_acc - window.popleft())
            window.append(d)
            acc = f32(d + last_acc)
        else:
            window.clear()
            window.append(d)
            acc = d
        darker = min(f32(means[p - 1]), f32(means[p]))
        if _same_sign(prev_acc, acc) and abs(prev_acc) >= thr:
            new[p] = False
        else:
            new[p] = bool(abs(acc) >= thr and darker < dark)
        last_acc = acc
        acc_out[p] = acc
    return acc_out, new


def windowed_count(flags: np.ndarray, window: int) -> np.ndarray:
    """How many of the last ``window`` frames (this one included) have ``flags`` set.

    IRIS's ``Counter`` (a cumulative list whose front is dropped once per frame from
    frame ``window - 1`` on), as one cumulative sum.
    """
    c = np.cumsum(np.asarray(flags, np.int64))
    out = c.copy()
    out[window:] -= c[:-window]
    return out


def frame_codes(transitions: np.ndarray, extended: np.ndarray, fps: int,
                params: IrisParams) -> np.ndarray:
    """IRIS's per-frame result code (0 pass, 1 warning, 2 extended fail, 3 flash fail)."""
    t, e = np.asarray(transitions), np.asarray(extended)
    codes = np.zeros(len(t), np.int64)
    warn = t >= params.min_transitions
    codes[warn] = PASS_WITH_WARNING
    codes[warn & (e >= params.extended_fail_seconds * fps)] = EXTENDED_FAIL
    codes[t > params.max_transitions] = FLASH_FAIL
    codes[:1] = PASS  # the first frame is never evaluated
    return codes


def evaluate(means: np.ndarray, changed: np.ndarray, n_pixels: int, fps: int,
             threshold: float, dark: float, params: IrisParams | None = None) -> Evaluation:
    """Run one IRIS channel over a whole clip's per-frame scalars."""
    params = params or IrisParams()
    diff, area = frame_diffs(means, changed, n_pixels, params.area_proportion)
    acc, new = accumulate_transitions(diff, means, fps, threshold, dark)
    transitions = windowed_count(new, fps)
    in_band = (transitions >= params.min_transitions) & (transitions <= params.max_transitions)
    in_band[:1] = False  # frame 0 never updates the counters
    extended = windowed_count(in_band, params.extended_fail_window * fps)
    codes = frame_codes(transitions, extended, fps, params)
    return Evaluation(diff, acc, area, new, transitions, extended, codes)
