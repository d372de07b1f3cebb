"""How much of the screen (or of a 10-degree field) flashes at a given rate.

Given each cell's transition count in the current 1-second window, two numbers per frame:

* ``level``: the largest count ``n`` such that the cells with at least ``n`` transitions
  cover *more than* the profile's area threshold, i.e. the flash rate reached over the
  threshold area (``level / 2`` flashes per second). The frame fails when
  ``level > max_transitions``.
* ``area``: the share flashing above the limit (cells with more than ``max_transitions``).

For ``broadcast`` the share is of the whole screen; for ``wcag`` it is the largest share of
any 10-degree field (a sliding rectangle of cells, evaluated with an integral image). Cells
at a flashing region's border count by the share of their pixels that flash
(:func:`flashing_share`), so the 25 % limit holds to within about 1 % whatever the region's
shape and position on the cell grid.

Example
-------
>>> import numpy as np
>>> from moviemotion.flash.cells import CellGrid
>>> from moviemotion.flash.profiles import PROFILES
>>> grid = CellGrid(width=400, height=100, cols=4, rows=1)
>>> meter = AreaMeter(grid, PROFILES["broadcast"])
>>> meter.measure(np.array([[8, 8, 2, 0]]))
(8, 0.5)
"""

from __future__ import annotations

import cv2
import numpy as np

from moviemotion.flash.cells import CellGrid
from moviemotion.flash.profiles import Profile


def flashing_share(swing: np.ndarray, delta: float) -> np.ndarray:
    """The share (0-1) of each cell's pixels that flash, from the cells' swings.

    A cell partly covered by a flashing region changes by its covered share of the flash
    (linear light averages exactly), so its share is its swing over the swing of the fully
    covered cells next to it (the largest swing among its 8 neighbors). This only applies
    at a region's border, i.e. where a neighbor does not flash (swing below ``delta``);
    inside a region, where neighbors flash with other amplitudes, every cell counts whole.
    A region narrower than a cell counts whole too (the safe side).

    >>> swing = np.array([[0.0, 0.4, 1.0, 1.0, 1.0]], np.float32)
    >>> flashing_share(swing, 0.1).round(2).tolist()
    [[0.0, 0.4, 1.0, 1.0, 1.0]]
    """
    swing = np.ascontiguousarray(swing, dtype=np.float32)
    ref = cv2.dilate(swing, _NEIGHBORS)  # largest swing around (the border is ignored)
    low = cv2.erode(swing, _NEIGHBORS)   # smallest swing around
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(low < delta, swing / ref, np.float32(1))
    return np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0).astype(np.float32, copy=False)


_NEIGHBORS = np.ones((3, 3), np.uint8)


class AreaMeter:
    """Measures flash level and flashing area of per-cell counts for one grid and profile.

    ``weights`` (optional, per cell): the share of each cell's pixels that flash
    (:func:`flashing_share`); without it every counted cell counts whole.
    """

    def __init__(self, grid: CellGrid, profile: Profile):
        self.grid = grid
        self.profile = profile
        self.threshold = profile.area_threshold
        if profile.field_width is None:
            self.field = None
            self._cells = grid.n_cells
        else:
            cw, ch = grid.cell_size
            fw_px = profile.field_width * grid.width
            fw = int(np.clip(round(fw_px / cw), 1, grid.cols))
            fh = int(np.clip(round(0.75 * fw_px / ch), 1, grid.rows))
            self.field = (fw, fh)
            self._cells = fw * fh

    def field_share(self, mask: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Largest share of any 10-degree field (or of the screen) covered by ``mask``
        (each cell counted by its ``weights``)."""
        covered = mask.astype(np.float32) if weights is None else np.where(mask, weights, 0)
        if self.field is None:
            return float(covered.sum()) / covered.size
        fw, fh = self.field
        s = cv2.integral(np.ascontiguousarray(covered, dtype=np.float32), sdepth=cv2.CV_64F)
        sums = s[fh:, fw:] - s[:-fh, fw:] - s[fh:, :-fw] + s[:-fh, :-fw]
        return float(sums.max()) / (fw * fh)

    def level(self, counts: np.ndarray, weights: np.ndarray | None = None) -> int:
        """The highest transition count reached over more than the threshold area."""
        if self.field is None:
            w = None if weights is None else weights.reshape(-1)
            per_count = np.bincount(counts.reshape(-1), weights=w)  # area at each count
            at_least = np.cumsum(per_count[::-1])[::-1]  # area with >= n transitions
            over = np.flatnonzero(at_least[1:] > self.threshold * self._cells + 1e-6)
            return int(over[-1]) + 1 if over.size else 0
        levels = np.unique(counts[counts > 0])
        lo, hi, best = 0, levels.size - 1, 0
        while lo <= hi:  # the covered share only shrinks as the level rises: bisect
            mid = (lo + hi) // 2
            if self.field_share(counts >= levels[mid], weights) > self.threshold + 1e-6:
                best, lo = int(levels[mid]), mid + 1
            else:
                hi = mid - 1
        return best

    def measure(self, counts: np.ndarray, weights: np.ndarray | None = None) -> tuple[int, float]:
        """``(level, area)`` for one frame's per-cell window counts."""
        if not counts.any():
            return 0, 0.0
        over = counts > self.profile.max_transitions
        area = self.field_share(over, weights) if over.any() else 0.0
        return self.level(counts, weights), area
