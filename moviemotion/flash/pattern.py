"""Optional check: regular spatial patterns (stripes, gratings) that can provoke seizures.

Risk (Ofcom / ITU-R BT.1702 pattern guidance, simplified): *regular* stripes with more than
5 light-dark pairs, with real luminance contrast (light and dark bars differing by at
least 0.1 in relative luminance, the dark bars below 0.8), covering more than 25 % of the
screen, shown for more than 0.5 s.

Method (re-measured every 0.08 s of presentation time): the linear luminance raster is cut into square blocks of 32 raster pixels; in each
block the 2-D spectrum (one batched FFT for all blocks) must concentrate at least half of
its energy around one spatial frequency with at least two periods in the block (regular
stripes; noise and natural texture spread their energy), and the 10th / 90th percentiles
of the block must show the contrast above. A frame is at risk when such blocks cover more
than the area threshold and the striped region holds more than 5 pairs; an incident
(type ``spatial_pattern``, severity ``warning``) is reported when the risk lasts > 0.5 s.

Example
-------
>>> from moviemotion.flash.cells import CellGrid
>>> from moviemotion.flash.profiles import PROFILES
>>> det = PatternDetector(CellGrid.for_frame(320, 180, oversample=8), PROFILES["broadcast"])
>>> det.block_cells
4
"""

from __future__ import annotations

import math

import numpy as np

from moviemotion.flash.cells import LUMA_WEIGHTS, CellGrid
from moviemotion.flash.incidents import IncidentBuilder
from moviemotion.flash.profiles import Profile
from moviemotion.flash.result import Incident

BLOCK_RASTER_PX = 32
MIN_PAIRS = 5
MIN_DURATION_S = 0.5
#: The pattern is re-measured at most this often (seconds); frames in between keep the last
#: measurement. Patterns must last > 0.5 s to matter, so 12.5 looks per second are plenty.
EVAL_INTERVAL_S = 0.08
PEAK_ENERGY_SHARE = 0.5

_WEIGHTS = np.asarray(LUMA_WEIGHTS, dtype=np.float32)


class PatternDetector:
    """Streaming spatial-pattern check over one video's analysis rasters."""

    def __init__(self, grid: CellGrid, profile: Profile):
        self.grid = grid
        self.profile = profile
        rw, _ = grid.raster_size
        px_per_cell = max(1, rw // grid.cols)
        self.block_cells = max(1, min(math.ceil(BLOCK_RASTER_PX / px_per_cell),
                                      grid.cols, grid.rows))
        self.bx = grid.cols // self.block_cells
        self.by = grid.rows // self.block_cells
        self.incidents = IncidentBuilder("spatial_pattern", grid, severity="warning")
        self._run_start: float | None = None
        self.active = False
        self._last_eval = -float("inf")
        self._last: tuple[np.ndarray, float] | None = None

    def block_mask(self, lum: np.ndarray) -> tuple[np.ndarray, float]:
        """Blocks holding regular high-contrast stripes, and the stripes' pairs per block."""
        h, w = lum.shape
        bpx_y = h // self.grid.rows * self.block_cells
        bpx_x = w // self.grid.cols * self.block_cells
        if min(bpx_x, bpx_y) < 4 or self.bx == 0 or self.by == 0:
            return np.zeros((max(self.by, 1), max(self.bx, 1)), bool), 0.0
        n = min(bpx_x, bpx_y)
        blocks = lum[: self.by * bpx_y, : self.bx * bpx_x].reshape(self.by, bpx_y, self.bx, bpx_x)
        blocks = blocks[:, :n, :, :n].transpose(0, 2, 1, 3)  # (by, bx, n, n)
        lo, hi = np.percentile(blocks, [10, 90], axis=(2, 3))
        contrast = (hi - lo >= self.profile.luminance_delta) & (lo < self.profile.darker_max)
        ac = blocks - blocks.mean(axis=(2, 3), keepdims=True)
        power = np.abs(np.fft.rfft2(ac)) ** 2  # (by, bx, n, n//2+1)
        power[..., 0, 0] = 0.0
        flat = power.reshape(self.by, self.bx, -1)
        total = flat.sum(axis=2) + 1e-12
        peak = flat.argmax(axis=2)
        ky, kx = np.unravel_index(peak, power.shape[2:])
        ky = np.where(ky > n // 2, ky - n, ky)  # signed vertical frequency
        cycles = np.hypot(ky, kx)
        # energy at the peak and its immediate neighbours (a stripe's energy leaks a little)
        near = np.zeros_like(total)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                yy = (ky + dy) % n
                xx = np.clip(kx + dx, 0, power.shape[3] - 1)
                near += np.take_along_axis(
                    flat, (yy * power.shape[3] + xx)[..., None], axis=2)[..., 0]
        regular = (near / total >= PEAK_ENERGY_SHARE) & (cycles >= 2)
        mask = regular & contrast
        pairs = float(np.median(cycles[mask])) if mask.any() else 0.0
        return mask, pairs

    def push(self, t: float, end: float, lin: np.ndarray) -> float:
        """Feed one frame's linear RGB raster; returns the striped share of the screen."""
        if self._last is None or t - self._last_eval >= EVAL_INTERVAL_S - 1e-6:
            self._last = self.block_mask(lin @ _WEIGHTS)
            self._last_eval = t
        mask, pairs_per_block = self._last
        area = float(mask.sum()) * self.block_cells ** 2 / self.grid.n_cells
        # pairs across the striped region: pairs per block times blocks across it
        pairs = pairs_per_block * math.sqrt(max(float(mask.sum()), 0.0))
        at_risk = area > self.profile.area_threshold and pairs > MIN_PAIRS
        if not at_risk:
            self._run_start, self.active = None, False
            return area
        if self._run_start is None:
            self._run_start = t
        self.active = end - self._run_start > MIN_DURATION_S
        if self.active:
            cells = np.zeros(self.grid.shape, bool)
            b = self.block_cells
            cells[: self.by * b, : self.bx * b] = np.kron(mask, np.ones((b, b), bool)).astype(bool)
            self.incidents.add(self._run_start, end, 0.0, area, cells)
        return area

    def finish(self) -> list[Incident]:
        return self.incidents.finish()
