"""Photosensitivity (flash) checks: the seed's table, the broadcast/WCAG analyzer, IRIS mode.

>>> from moviemotion.flash import analyze, video_flashinator
>>> result = analyze("clip.mp4", profile="wcag")            # doctest: +SKIP
>>> result.verdict, result.exit_code                          # doctest: +SKIP
('pass', 0)

``analyze(..., profile="iris-compat")`` runs :func:`moviemotion.flash.iris.analyze_iris`.
"""

from __future__ import annotations

from moviemotion.flash.analyzer import FlashAnalyzer, analyze, analyze_frames
from moviemotion.flash.cells import CellGrid
from moviemotion.flash.luminance import (
    LIMITED_TO_FULL,
    LUMA_WEIGHTS,
    linear_rgb,
    luma_to_linear,
    relative_luminance,
    srgb_to_linear_lut,
)
from moviemotion.flash.profiles import PROFILES, Profile, get_profile
from moviemotion.flash.result import EXIT_CODES, FlashResult, Incident
from moviemotion.flash.seed import video_flashinator

__all__ = [
    "EXIT_CODES",
    "PROFILES",
    "CellGrid",
    "FlashAnalyzer",
    "Profile",
    "analyze",
    "analyze_frames",
    "get_profile",
    "video_flashinator",
    "LIMITED_TO_FULL",
    "LUMA_WEIGHTS",
    "FlashResult",
    "Incident",
    "linear_rgb",
    "luma_to_linear",
    "relative_luminance",
    "srgb_to_linear_lut",
]
