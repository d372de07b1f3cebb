"""Photosensitivity (flash) checks: the original flashinator table, the broadcast/WCAG analyzer, IRIS mode.

>>> from moviemotion.flash import analyze, video_flashinator
>>> result = analyze("clip.mp4", profile="wcag")            # doctest: +SKIP
>>> result.verdict, result.exit_code                          # doctest: +SKIP
('pass', 0)

``analyze`` runs one decode pass (:func:`moviemotion.video.source.analyze_movie`) with the
profile's analyzer (:func:`make_analyzer`: :class:`FlashAnalyzer`, or :class:`IrisAnalyzer`
for ``iris-compat``); a movie job can hand the same analyzers to its own pass. The flash
job (:mod:`moviemotion.jobs.flash`) writes the tables and the HTML report.
"""

from __future__ import annotations

from moviemotion.flash.analyzer import (
    FlashAnalyzer,
    FlashTracker,
    analyze,
    analyze_frames,
    make_analyzer,
)
from moviemotion.flash.cells import CellGrid
from moviemotion.flash.flashinator import video_flashinator
from moviemotion.flash.iris import IrisAnalyzer
from moviemotion.flash.luminance import (
    LUMA_WEIGHTS,
    RED_SATURATION,
    RED_SCALE,
    linear_rgb,
    luma_to_linear,
    relative_luminance,
    srgb_to_linear_lut,
)
from moviemotion.flash.profiles import PROFILES, Profile, get_profile
from moviemotion.flash.result import EXIT_CODES, FlashResult, Incident

__all__ = [
    "EXIT_CODES",
    "PROFILES",
    "CellGrid",
    "FlashAnalyzer",
    "FlashTracker",
    "IrisAnalyzer",
    "Profile",
    "analyze",
    "analyze_frames",
    "get_profile",
    "make_analyzer",
    "video_flashinator",
    "LUMA_WEIGHTS",
    "RED_SATURATION",
    "RED_SCALE",
    "FlashResult",
    "Incident",
    "linear_rgb",
    "luma_to_linear",
    "relative_luminance",
    "srgb_to_linear_lut",
]
