"""The grid of small cells a frame is judged on, and each cell's linear light per frame.

A flash that covers 30 % of the screen barely moves the whole-frame average, so every
frame is cut into a grid of small cells and each cell is followed on its own.

Cell size (adaptive): about 1/68 of the frame's short side (16 px at 1080p, 32 px at 4K), and
never under 16 x 16 source pixels. Small enough that the flashing area is measured in steps
of ~0.01 % of a 1080p screen; large enough that pixel-level noise and 1-px patterns average
out (their cell means stay put instead of "flashing").

Per frame each cell gets the mean *linear* R, G, B over its area (sRGB decoded with a
256-entry table, then averaged), from which its relative luminance and red value follow.
For speed the decoder's scaler first converts each frame to RGB on an *analysis raster*
of ``oversample`` x ``oversample`` pixels per cell (480 x 270 at 1080p); the table lookup
and the area average then run on that small raster (see docs/flash.md for the measurements).

Example
-------
>>> grid = CellGrid.for_frame(1920, 1080)
>>> (grid.cols, grid.rows, grid.raster_size)
(120, 68, (480, 272))
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from moviemotion.flash.luminance import LUMA_WEIGHTS, RED_SATURATION, RED_SCALE, srgb_to_linear_lut

MIN_CELL_PX = 16
CELLS_PER_SHORT_SIDE = 67.5


@dataclass(frozen=True)
class CellGrid:
    """``cols`` x ``rows`` equal cells over a ``width`` x ``height`` (display) frame."""

    width: int
    height: int
    cols: int
    rows: int
    oversample: int | None = 4

    @classmethod
    def for_frame(cls, width: int, height: int, cell_px: int | None = None,
                  oversample: int | None = 4) -> CellGrid:
        """The adaptive grid for a frame size; ``cell_px`` forces the cell side in pixels."""
        if width < 1 or height < 1:
            raise ValueError(f"bad frame size {width}x{height}")
        side = cell_px or max(MIN_CELL_PX, round(min(width, height) / CELLS_PER_SHORT_SIDE))
        cols = max(1, round(width / side))
        rows = max(1, round(height / side))
        return cls(width, height, cols, rows, oversample)

    @property
    def n_cells(self) -> int:
        return self.cols * self.rows

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.cols

    @property
    def cell_size(self) -> tuple[float, float]:
        """Cell ``(width, height)`` in display pixels."""
        return self.width / self.cols, self.height / self.rows

    @property
    def raster_size(self) -> tuple[int, int]:
        """The analysis raster ``(width, height)`` (display orientation), never above the frame;
        ``oversample=None`` means the frame itself (every pixel linearized)."""
        if self.oversample is None:
            return self.width, self.height
        return (min(self.width, self.cols * self.oversample),
                min(self.height, self.rows * self.oversample))

    def bbox(self, mask: np.ndarray) -> tuple[int, int, int, int] | None:
        """Bounding box ``(x, y, w, h)`` in display pixels of the True cells of ``mask``."""
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        if rows.size == 0:
            return None
        cw, ch = self.cell_size
        x0, x1 = int(round(cols[0] * cw)), int(round((cols[-1] + 1) * cw))
        y0, y1 = int(round(rows[0] * ch)), int(round((rows[-1] + 1) * ch))
        return x0, y0, x1 - x0, y1 - y0

    def as_dict(self) -> dict:
        cw, ch = self.cell_size
        return {"cols": self.cols, "rows": self.rows, "cell_width_px": round(cw, 3),
                "cell_height_px": round(ch, 3), "raster": list(self.raster_size)}


_LUT = srgb_to_linear_lut(np.float32)
_WEIGHTS = np.asarray(LUMA_WEIGHTS, dtype=np.float32)


def linearize(rgb: np.ndarray) -> np.ndarray:
    """Full-range 8-bit sRGB ``(H, W, 3)`` -> linear RGB float32 (one table lookup)."""
    return cv2.LUT(np.ascontiguousarray(rgb), _LUT)


def cell_means(lin: np.ndarray, grid: CellGrid) -> np.ndarray:
    """Mean linear ``(R, G, B)`` per cell, ``(rows, cols, 3)`` float32, of a linear RGB frame
    (any size: it is area-averaged onto the grid, i.e. averaged *after* linearizing)."""
    if lin.shape[:2] == grid.shape:
        return lin
    return cv2.resize(lin, (grid.cols, grid.rows), interpolation=cv2.INTER_AREA)


def luminance_and_red(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relative luminance (0-1) and red value per cell from mean linear RGB ``(..., 3)``.

    Red value: ``max(0, (R - G - B) * 320)`` where the cell is saturated red
    (``R / (R + G + B) >= 0.8``), else 0 (WCAG 2.x / ITU-R BT.1702 red-flash definition).
    """
    r, g, b = means[..., 0], means[..., 1], means[..., 2]
    lum = means @ _WEIGHTS
    saturated = r >= RED_SATURATION * (r + g + b)
    red = np.where(saturated & (r > 0), np.maximum(r - g - b, 0.0) * RED_SCALE, 0.0)
    return lum, red.astype(np.float32, copy=False)
