"""What the picture does: motion (dense optical flow), brightness and colorfulness.

Both analyzers sample a few frames per second of RGB area-averaged to 160 px wide (from the
pass's shared analysis raster, see :func:`~moviemotion.content.base.shared_request`), so at
1080p they cost a small share of decoding.

* ``motion``: OpenCV's DIS optical flow (Kroeger et al. 2016, the ``ULTRAFAST`` preset) between
  consecutive samples on the luma; per sample the mean flow magnitude in **frame widths per
  second** (a pan across the whole width in one second reads 1.0), so the value does not
  depend on the resolution or the sampling rate. Flow across a cut is meaningless; the
  per-second value is the median of the second's samples, which a single cut does not move.
* ``look``: ``brightness``, the mean Rec. 709 luma of the full-range RGB frame (0 black .. 1
  white), and ``colorfulness``, Hasler & Suesstrunk (2003)'s metric
  ``M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 * sqrt(mean(rg)^2 + mean(yb)^2)`` with
  ``rg = R - G``, ``yb = (R + G) / 2 - B`` on 8-bit values (0 grey; about 15 "slightly",
  33 "moderately", 45 "averagely", 59 "quite", 82 "highly", 109+ "extremely colorful").
"""

from __future__ import annotations

import math
from array import array

import cv2
import numpy as np

from moviemotion.content.base import ANALYZERS, MovieAnalyzer, fit_width, shared_request
from moviemotion.signals import Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo

#: Width of the small RGB frames shared by ``motion`` and ``look``.
SMALL_WIDTH = 160


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colorfulness of an RGB uint8 image."""
    f = rgb.astype(np.float32)
    rg = f[..., 0] - f[..., 1]
    yb = 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


def brightness(rgb: np.ndarray) -> float:
    """Mean Rec. 709 luma of a full-range RGB uint8 image, 0..1."""
    m = rgb.reshape(-1, 3).mean(axis=0)
    return float((0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255.0)


@ANALYZERS.register("motion", help="motion activity: dense optical flow (OpenCV DIS) on small "
                    "luma frames, frame widths per second")
class MotionAnalyzer(MovieAnalyzer):
    """Mean optical-flow magnitude between consecutive samples (see the module docstring)."""

    name = "motion"
    columns = {"motion": "frame widths/s"}

    defaults = {"fps": 6.0, "width": SMALL_WIDTH}

    def request(self, info: VideoInfo) -> FrameRequest:
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._prev: tuple[float, np.ndarray] | None = None
        self._times = array("d")
        self._values = array("d")
        self._max_gap = 2.5 / float(self._settings["fps"])
        return shared_request(info, self._settings["fps"], self._settings["width"])

    def push(self, t: float, frame: np.ndarray) -> None:
        gray = cv2.cvtColor(fit_width(frame, self._settings["width"]), cv2.COLOR_RGB2GRAY)
        if self._prev is not None:
            t0, g0 = self._prev
            dt = t - t0
            if 0 < dt <= self._max_gap:
                flow = self._flow.calc(g0, gray, None)
                mag = np.sqrt(flow[..., 0] ** 2 + flow[..., 1] ** 2).mean()
                self._times.append(t)
                self._values.append(float(mag) / gray.shape[1] / dt)
        self._prev = (t, gray)

    def finish(self, run: PassInfo) -> list[Signals]:
        return [self.seconds_table(run, self._times, {"motion": self._values}, how="median")]


@ANALYZERS.register("look", help="brightness (Rec. 709 luma) and colorfulness (Hasler & "
                    "Suesstrunk 2003) of small RGB frames")
class LookAnalyzer(MovieAnalyzer):
    """Brightness and colorfulness per sample, averaged per second."""

    name = "look"
    columns = {"brightness": "0-1", "colorfulness": "Hasler-Suesstrunk M"}

    defaults = {"fps": 2.0, "width": SMALL_WIDTH}

    def request(self, info: VideoInfo) -> FrameRequest:
        self._times = array("d")
        self._bright = array("d")
        self._color = array("d")
        return shared_request(info, self._settings["fps"], self._settings["width"])

    def push(self, t: float, frame: np.ndarray) -> None:
        frame = fit_width(frame, self._settings["width"])
        self._times.append(t)
        self._bright.append(brightness(frame))
        self._color.append(colorfulness(frame))

    def finish(self, run: PassInfo) -> list[Signals]:
        return [self.seconds_table(run, self._times, {"brightness": self._bright,
                                                      "colorfulness": self._color}, decimals=4)]
