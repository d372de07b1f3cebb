"""Optional check: regular spatial patterns (stripes, gratings) that can provoke seizures.

Risk (Ofcom / ITU-R BT.1702 pattern guidance): *regular* stripes with more than 5
light-dark pairs across the striped area, in any orientation (vertical, horizontal,
diagonal) and at any period, with real luminance contrast (light and dark bars differing by
at least 0.1 in relative luminance, the dark bars below 0.8), covering more than the
profile's area threshold (25 %) of the screen, shown for more than 0.5 s. Stationary and
reversing patterns alike; the incidents' severity is the profile's ``pattern_severity``
(``fail`` for ``broadcast``: Ofcom does not permit such a pattern).

Method, scale-independent (re-measured every 0.08 s of presentation time): the linear
luminance raster is looked at on a pyramid of scales, each half the size of the one below
(area averages of linear light). At every scale the image is covered by square blocks of
32 pixels of that scale (overlapping where the size is no multiple of 32, so the blocks
reach every edge); in each block the 2-D spectrum (one batched FFT per scale) must hold at
least half of its energy around one spatial frequency with at least two periods in the
block and a period of at least 4 pixels of that scale (regular stripes; noise and natural
texture spread their energy), and the 10th / 90th percentiles of the block must show the
contrast above. A period of ``p`` raster pixels is seen at the scales whose blocks hold 2
to 8 periods, so coarse stripes (6 pairs across a 1080p frame: 320 px) and fine ones
(8 px) are found alike. The stripes are then counted across the largest striped region
(of the scale where it is largest): its luminance is averaged along the stripes (the
blocks' median direction, refined to the sharpest profile within 8 degrees) and the light
and dark runs of that profile are counted. A frame is at risk when more than 5 pairs are
counted and the striped blocks of every scale together cover more than the area
threshold; an incident (type ``spatial_pattern``) is reported when the
risk lasts more than 0.5 s.

Example
-------
>>> from moviemotion.flash.cells import CellGrid
>>> from moviemotion.flash.profiles import PROFILES
>>> det = PatternDetector(CellGrid.for_frame(1920, 1080, oversample=8), PROFILES["broadcast"])
>>> [(s.factor, s.block) for s in det.scales]
[(1, 32), (2, 32), (4, 32), (8, 32), (16, 32)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import scipy.fft

from moviemotion.flash.cells import LUMA_WEIGHTS, CellGrid
from moviemotion.flash.incidents import IncidentBuilder
from moviemotion.flash.profiles import Profile
from moviemotion.flash.result import Incident

BLOCK_PX = 32
#: Smallest block side (pixels of its scale) for a small frame's coarsest scale.
MIN_BLOCK_PX = 16
MIN_CYCLES = 2.0
MIN_PERIOD_PX = 4.0
MIN_PAIRS = 5
MIN_DURATION_S = 0.5
#: The pattern is re-measured at most this often (seconds); frames in between keep the last
#: measurement. Patterns must last > 0.5 s to matter, so 12.5 looks per second are plenty.
EVAL_INTERVAL_S = 0.08
PEAK_ENERGY_SHARE = 0.5
#: The stripes are counted on at most about this many pixels of the region (subsampled).
MAX_PROFILE_PX = 20_000

_WEIGHTS = np.asarray(LUMA_WEIGHTS, dtype=np.float32)


def _starts(length: int, block: int) -> np.ndarray:
    """Block origins covering ``[0, length)`` with as few blocks as possible (evenly spaced,
    overlapping when ``length`` is no multiple of ``block``)."""
    n = max(1, math.ceil(length / block))
    return np.round(np.linspace(0, length - block, n)).astype(np.int64)


@dataclass(frozen=True)
class Scale:
    """One level of the pyramid: ``factor`` raster pixels per pixel, blocks of ``block``
    pixels at origins ``ys`` x ``xs`` (pixels of this scale)."""

    factor: int
    size: tuple[int, int]  # (width, height) of the image at this scale
    block: int
    ys: np.ndarray
    xs: np.ndarray


class PatternDetector:
    """Streaming spatial-pattern check over one video's analysis rasters."""

    def __init__(self, grid: CellGrid, profile: Profile):
        self.grid = grid
        self.profile = profile
        rw, rh = grid.raster_size
        self.scales: list[Scale] = []
        factor = 1
        while True:
            w, h = rw // factor, rh // factor
            block = min(BLOCK_PX, w, h)
            if block < MIN_BLOCK_PX:
                break
            self.scales.append(Scale(factor, (w, h), block, _starts(h, block), _starts(w, block)))
            factor *= 2
        # raster pixels per cell, to map block rectangles onto cells
        self._cell_px = (rw / grid.cols, rh / grid.rows)
        self.incidents = IncidentBuilder("spatial_pattern", grid,
                                         severity=profile.pattern_severity)
        self._run_start: float | None = None
        self.active = False
        self._last_eval = -float("inf")
        self._last: tuple[np.ndarray, float] = (np.zeros(grid.shape, bool), 0.0)

    def _blocks(self, img: np.ndarray, scale: Scale) -> dict[str, np.ndarray] | None:
        """Per block of one scale: striped (bool), frequency (cycles per pixel of this scale,
        ``(fy, fx)``); ``None`` when no block is striped."""
        n = scale.block
        windows = np.lib.stride_tricks.sliding_window_view(img, (n, n))
        by, bx = scale.ys.size, scale.xs.size
        grid = windows[scale.ys[:, None], scale.xs[None, :]].reshape(by, bx, n * n)
        # contrast from every other pixel of every other row (a period is >= 4 pixels here)
        lo, hi = np.percentile(grid.reshape(by, bx, n, n)[..., ::2, ::2].reshape(by, bx, -1),
                               [10, 90], axis=2)
        contrast = (hi - lo >= self.profile.luminance_delta) & (lo < self.profile.darker_max)
        if not contrast.any():
            return None
        # only the blocks with contrast go through the FFT
        blocks = grid[contrast].reshape(-1, n, n)
        ac = blocks - blocks.mean(axis=(1, 2), keepdims=True)
        spectrum = scipy.fft.rfft2(ac)  # float32 in, complex64 out
        power = spectrum.real ** 2 + spectrum.imag ** 2  # (k, n, n//2+1)
        power[:, 0, 0] = 0.0
        k, _, m = power.shape
        flat = power.reshape(k, -1)
        # Parseval: the full spectrum's energy (the half spectrum holds most frequencies once)
        total = n * n * np.einsum("kij,kij->k", ac, ac, dtype=np.float64) + 1e-12
        peak = flat.argmax(axis=1)
        ky, kx = np.unravel_index(peak, (n, m))
        # energy at the peak and its immediate neighbors (a stripe's energy leaks a little),
        # and the energy-weighted frequency there; a neighbor left of the kx = 0 column is
        # its mirror image (-ky, -kx) in the half spectrum of a real block
        sky = np.where(ky > n // 2, ky - n, ky)  # signed vertical frequency
        near = np.zeros(k)
        sum_y = np.zeros(k)
        sum_x = np.zeros(k)
        rows = np.arange(k)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                fy_, fx_ = sky + dy, kx + dx
                mirror = fx_ < 0
                yy = np.where(mirror, -fy_, fy_) % n
                xx = np.minimum(np.abs(fx_), m - 1)
                e = flat[rows, yy * m + xx]
                near += e
                sum_y += e * fy_
                sum_x += e * fx_
        fy = sum_y / (near + 1e-12) / n
        fx = sum_x / (near + 1e-12) / n
        cycles = np.hypot(fy, fx) * n
        # the peak's frequency and its mirror image (-k) hold the stripes' energy
        regular = (2 * near / total >= PEAK_ENERGY_SHARE) & (cycles >= MIN_CYCLES) \
            & (cycles <= n / MIN_PERIOD_PX)
        if not regular.any():
            return None
        striped = np.zeros(contrast.shape, bool)
        striped[contrast] = regular
        out_fy = np.zeros(contrast.shape)
        out_fx = np.zeros(contrast.shape)
        out_fy[contrast] = fy
        out_fx[contrast] = fx
        return {"striped": striped, "fy": out_fy, "fx": out_fx}

    def _region(self, scale: Scale, found: dict[str, np.ndarray]) -> np.ndarray:
        """Cells covered by one scale's striped blocks."""
        f = scale.factor
        side = scale.block * f
        cells = np.zeros(self.grid.shape, bool)
        cw, ch = self._cell_px
        for iy, ix in zip(*np.nonzero(found["striped"]), strict=True):
            ya, xa = scale.ys[iy] * f, scale.xs[ix] * f
            r0, r1 = int(round(ya / ch)), int(round((ya + side) / ch))
            c0, c1 = int(round(xa / cw)), int(round((xa + side) / cw))
            cells[r0:r1, c0:c1] = True
        return cells

    def _count_pairs(self, img: np.ndarray, scale: Scale, found: dict[str, np.ndarray]) -> int:
        """Light-dark pairs across one scale's striped region: the region's luminance
        averaged along the stripes (a profile across them, at the direction among the
        blocks' median +- 8 degrees that gives the sharpest profile), counted as runs above
        and below its middle (with a hysteresis of a quarter of the 0.1 transition)."""
        sel = found["striped"]
        n = scale.block
        region = np.zeros(img.shape, bool)
        for iy, ix in zip(*np.nonzero(sel), strict=True):
            region[scale.ys[iy]:scale.ys[iy] + n, scale.xs[ix]:scale.xs[ix] + n] = True
        stride = max(1, math.ceil(math.sqrt(region.sum() / MAX_PROFILE_PX)))
        ys, xs = np.nonzero(region[::stride, ::stride])
        values = img[::stride, ::stride][ys, xs].astype(np.float64)
        doubled = np.exp(2j * np.arctan2(found["fy"][sel], found["fx"][sel]))
        base = float(np.angle(doubled.mean())) / 2
        best: np.ndarray | None = None
        for angle in base + np.radians(np.arange(-8, 9, 1.0)):
            along = xs * math.cos(angle) + ys * math.sin(angle)
            bins = np.floor(along - along.min()).astype(np.int64)
            counts = np.bincount(bins)
            profile = np.bincount(bins, weights=values)[counts > 0] / counts[counts > 0]
            if best is None or profile.var() > best.var():
                best = profile
        assert best is not None
        lo, hi = np.percentile(best, [10, 90])
        middle, margin = (lo + hi) / 2, self.profile.luminance_delta / 4
        state = np.where(best > middle + margin, 1, np.where(best < middle - margin, -1, 0))
        state = state[state != 0]
        runs = 1 + int(np.count_nonzero(np.diff(state))) if state.size else 0
        return runs // 2

    def measure(self, lum: np.ndarray) -> tuple[np.ndarray, float]:
        """Cells holding risky stripes (more than 5 pairs across their region) in one linear
        luminance raster, and the pairs counted (0 when none)."""
        found = []
        img = np.ascontiguousarray(lum, dtype=np.float32)
        for scale in self.scales:
            if img.shape[::-1] != scale.size:
                img = cv2.resize(img, scale.size, interpolation=cv2.INTER_AREA)
            blocks = self._blocks(img, scale)
            if blocks is not None:
                found.append((scale, img, blocks, self._region(scale, blocks)))
        if not found:
            return np.zeros(self.grid.shape, bool), 0.0
        # the pairs are counted at the finest scale whose region is (about) the largest: a
        # coarser one may alias fine stripes into a beat pattern
        largest = max(int(d[3].sum()) for d in found)
        scale, img, blocks, _ = next(d for d in found if d[3].sum() >= 0.9 * largest)
        pairs = self._count_pairs(img, scale, blocks)
        if pairs <= MIN_PAIRS:
            return np.zeros(self.grid.shape, bool), float(pairs)
        mask = np.zeros(self.grid.shape, bool)
        for *_, cells in found:
            mask |= cells
        return mask, float(pairs)

    def push(self, t: float, end: float, lin: np.ndarray) -> float:
        """Feed one frame's linear RGB raster; returns the striped share of the screen."""
        if t - self._last_eval >= EVAL_INTERVAL_S - 1e-6:
            self._last = self.measure(lin @ _WEIGHTS)
            self._last_eval = t
        mask, _ = self._last
        area = float(mask.mean())
        if not area > self.profile.area_threshold:
            self._run_start, self.active = None, False
            return area
        if self._run_start is None:
            self._run_start = t
        self.active = end - self._run_start > MIN_DURATION_S
        if self.active:
            self.incidents.add(self._run_start, end, 0.0, area, mask)
        return area

    def finish(self) -> list[Incident]:
        return self.incidents.finish()
