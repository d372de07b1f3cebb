"""sRGB -> linear light -> relative luminance, through 256-entry lookup tables.

The photosensitivity rules (ITU-R BT.1702, Ofcom, WCAG 2.x) are stated on *linear*
values: an 8-bit sRGB code ``c`` is first decoded with the sRGB transfer function
(IEC 61966-2-1)::

    C = c/255;  linear = C/12.92 if C <= 0.04045 else ((C + 0.055)/1.055) ** 2.4

and the relative luminance of a pixel is ``L = 0.2126 R + 0.7152 G + 0.0722 B`` on the
linear values (0 = black, 1 = white). Averages over an area must be taken *after*
linearizing (mean of linear values, not linear value of the mean code).

Limited-range ("TV", 16-235) video must be expanded to full range before the lookup; the
video reader's :data:`~moviemotion.video.reader.LIMITED_TO_FULL_LUMA` does that for 8-bit
luma codes, and its ``rgb`` mode already returns full-range RGB.

The red-flash definition (WCAG 2.x / ITU-R BT.1702) lives here too: the red value is
``(R - G - B) * RED_SCALE`` on linear values, counted only where ``R / (R + G + B) >=
RED_SATURATION``; both the cell analyzer and the IRIS-compatible mode use these constants.

Example
-------
>>> import numpy as np
>>> from moviemotion.flash.luminance import relative_luminance, srgb_to_linear_lut
>>> float(srgb_to_linear_lut()[255]), round(float(srgb_to_linear_lut()[128]), 4)
(1.0, 0.2159)
>>> rgb = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0]]], dtype=np.uint8)
>>> [round(float(v), 4) for v in relative_luminance(rgb)[0]]
[1.0, 0.0, 0.2126]
"""

from __future__ import annotations

import numpy as np

from moviemotion.video.reader import LIMITED_TO_FULL_LUMA

#: BT.709 / sRGB luminance weights of linear R, G, B.
LUMA_WEIGHTS = (0.2126, 0.7152, 0.0722)


def _srgb_eotf(codes: np.ndarray) -> np.ndarray:
    c = codes.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_LUT64 = _srgb_eotf(np.arange(256))
_LUT32 = _LUT64.astype(np.float32)
_LUT32.flags.writeable = False
_LUT64.flags.writeable = False

#: Red flash: a light is "saturated red" where ``R / (R + G + B) >= RED_SATURATION``...
RED_SATURATION = 0.8
#: ... and its red value is ``(R - G - B) * RED_SCALE`` (linear R, G, B; 0..320).
RED_SCALE = 320.0


def srgb_to_linear_lut(dtype: type = np.float32) -> np.ndarray:
    """The 256-entry table ``code -> linear value`` (0..1) of the sRGB transfer function.

    The returned array is read-only; index it with uint8 data: ``lut[image]``.
    """
    return _LUT64 if np.dtype(dtype) == np.float64 else _LUT32.astype(dtype, copy=False)


def linear_rgb(rgb: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """Full-range 8-bit sRGB ``(..., 3)`` -> linear RGB of the same shape, in 0..1."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise TypeError(f"expected uint8 sRGB codes, got {rgb.dtype}")
    return srgb_to_linear_lut(dtype)[rgb]


def relative_luminance(rgb: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """Relative luminance ``(...)`` (0..1) of full-range 8-bit sRGB pixels ``(..., 3)``."""
    lin = linear_rgb(rgb, dtype)
    wr, wg, wb = (np.asarray(w, dtype=dtype) for w in LUMA_WEIGHTS)
    return lin[..., 0] * wr + lin[..., 1] * wg + lin[..., 2] * wb


def luma_to_linear(y: np.ndarray, limited_range: bool = False, dtype: type = np.float32) -> np.ndarray:
    """Approximate linear luminance from 8-bit luma codes Y' (exact for gray pixels).

    ``limited_range``: the codes are 16-235 (TV range) and are expanded first.
    """
    y = np.asarray(y)
    if y.dtype != np.uint8:
        raise TypeError(f"expected uint8 luma codes, got {y.dtype}")
    lut = srgb_to_linear_lut(dtype)
    if limited_range:
        lut = lut[LIMITED_TO_FULL_LUMA]
    return lut[y]


__all__ = [
    "LUMA_WEIGHTS",
    "RED_SATURATION",
    "RED_SCALE",
    "linear_rgb",
    "luma_to_linear",
    "relative_luminance",
    "srgb_to_linear_lut",
]
