"""Photosensitivity (flash) checks: the seed's table, the broadcast/WCAG analyzer, IRIS mode.

>>> from moviemotion.flash import relative_luminance, srgb_to_linear_lut
"""

from __future__ import annotations

from moviemotion.flash.luminance import (
    LIMITED_TO_FULL,
    LUMA_WEIGHTS,
    linear_rgb,
    luma_to_linear,
    relative_luminance,
    srgb_to_linear_lut,
)
from moviemotion.flash.result import EXIT_CODES, FlashResult, Incident

__all__ = [
    "EXIT_CODES",
    "LIMITED_TO_FULL",
    "LUMA_WEIGHTS",
    "FlashResult",
    "Incident",
    "linear_rgb",
    "luma_to_linear",
    "relative_luminance",
    "srgb_to_linear_lut",
]
