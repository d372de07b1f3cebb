"""Faces on screen: how many, and how large the largest is (a close-up reads near 0.5 or more).

Uses the package's face detector (:func:`moviemotion.faces.make_detector`, the default backend
unless ``detector`` is set) on luma frames sampled at ``fps`` (1 per second by default) and
scaled to at most ``width`` pixels wide. Per second: ``faces`` is the most faces seen in one
sample of the second, ``face_size`` the height of the largest face as a share of the frame
height (0 when no face).
"""

from __future__ import annotations

from array import array
from typing import Any

import cv2
import numpy as np

from moviemotion.content.base import ANALYZERS, MovieAnalyzer, fit_width, shared_request
from moviemotion.signals import Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo


@ANALYZERS.register("faces", help="faces on screen: count and largest face height as a share "
                    "of the frame (moviemotion.faces detector)")
class FacesAnalyzer(MovieAnalyzer):
    """Face count and largest face size per second (see the module docstring)."""

    name = "faces"
    columns = {"faces": "count", "face_size": "share of frame height"}

    defaults = {"fps": 1.0, "width": 480, "detector": None}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        from moviemotion.faces import make_detector

        self._detector = make_detector(self._settings["detector"])  # bad names fail here

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "detector": self._detector.settings()}

    def request(self, info: VideoInfo) -> FrameRequest:
        self._times = array("d")
        self._count = array("d")
        self._size = array("d")
        return shared_request(info, self._settings["fps"], self._settings["width"])

    def push(self, t: float, frame: np.ndarray) -> None:
        frame = cv2.cvtColor(fit_width(frame, self._settings["width"]), cv2.COLOR_RGB2GRAY)
        found = self._detector.detect(frame)
        self._times.append(t)
        self._count.append(float(len(found)))
        self._size.append(float(found.boxes[:, 3].max()) / frame.shape[0] if len(found) else 0.0)

    def finish(self, run: PassInfo) -> list[Signals]:
        return [self.seconds_table(run, self._times, {"faces": self._count,
                                                      "face_size": self._size}, how="max")]
