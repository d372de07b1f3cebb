"""How much of the screen (or of a 10-degree field) flashes at a given rate.

Given each cell's transition count in the current 1-second window, two numbers per frame:

* ``level``: the largest count ``n`` such that the cells with at least ``n`` transitions
  cover *more than* the profile's area threshold, i.e. the flash rate reached over the
  threshold area (``level / 2`` flashes per second). The frame fails when
  ``level > max_transitions``.
* ``area``: the share flashing above the limit (cells with more than ``max_transitions``).

For ``broadcast`` the share is of the whole screen; for ``wcag`` it is the largest share of
any 10-degree field (a sliding rectangle of cells, evaluated with an integral image).

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


class AreaMeter:
    """Measures flash level and flashing area of per-cell counts for one grid and profile."""

    def __init__(self, grid: CellGrid, profile: Profile):
        self.grid = grid
        self.profile = profile
        self.threshold = profile.area_threshold
        if profile.field_width is None:
            self.field = None
            # cells needed to cover more than the threshold share of the screen
            self._need = int(np.floor(self.threshold * grid.n_cells + 1e-9)) + 1
        else:
            cw, ch = grid.cell_size
            fw_px = profile.field_width * grid.width
            fw = int(np.clip(round(fw_px / cw), 1, grid.cols))
            fh = int(np.clip(round(0.75 * fw_px / ch), 1, grid.rows))
            self.field = (fw, fh)

    def field_share(self, mask: np.ndarray) -> float:
        """Largest share of any 10-degree field (or of the screen) covered by ``mask``."""
        if self.field is None:
            return float(mask.mean())
        fw, fh = self.field
        s = cv2.integral(mask.astype(np.uint8))
        sums = s[fh:, fw:] - s[:-fh, fw:] - s[fh:, :-fw] + s[:-fh, :-fw]
        return float(sums.max()) / (fw * fh)

    def level(self, counts: np.ndarray) -> int:
        """The highest transition count reached over more than the threshold area."""
        if self.field is None:
            if self._need > counts.size:
                return 0
            flat = counts.reshape(-1)
            return int(np.partition(flat, flat.size - self._need)[flat.size - self._need])
        levels = np.unique(counts[counts > 0])
        lo, hi, best = 0, levels.size - 1, 0
        while lo <= hi:  # the covered share only shrinks as the level rises: bisect
            mid = (lo + hi) // 2
            if self.field_share(counts >= levels[mid]) > self.threshold:
                best, lo = int(levels[mid]), mid + 1
            else:
                hi = mid - 1
        return best

    def measure(self, counts: np.ndarray) -> tuple[int, float]:
        """``(level, area)`` for one frame's per-cell window counts."""
        if not counts.any():
            return 0, 0.0
        over = counts > self.profile.max_transitions
        area = self.field_share(over) if over.any() else 0.0
        return self.level(counts), area
