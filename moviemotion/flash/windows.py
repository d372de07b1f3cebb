"""Sliding windows of presentation time: per-cell event counts and sustained durations.

All windows are measured in seconds of presentation time (the frames' own timestamps), never
in frame counts, so variable-frame-rate video is judged correctly. The count kept at frame
``k`` covers the events with ``t_k - window < t <= t_k``; the largest such count over all
frames equals the largest count in any half-open window ``[a, a + window)`` (both are the
largest number of events less than ``window`` apart).

Example
-------
>>> import numpy as np
>>> w = SlidingCounts(shape=(1,), window=1.0)
>>> [int(w.push(t, np.array([True]))[0]) for t in (0.0, 0.5, 0.9, 1.0, 1.95)]
[1, 2, 3, 3, 2]
"""

from __future__ import annotations

from collections import deque

import numpy as np

#: Timestamps closer than this (seconds) are treated as equal (they come from rational
#: time bases converted to floats).
TIME_EPS = 1e-6


class SlidingCounts:
    """Per-cell number of events in the last ``window`` seconds (streaming)."""

    def __init__(self, shape: tuple[int, ...], window: float = 1.0):
        self.window = window
        self.counts = np.zeros(shape, np.int16)
        self._flat = self.counts.reshape(-1)
        self._events: deque[tuple[float, np.ndarray]] = deque()

    def push(self, t: float, events: np.ndarray) -> np.ndarray:
        """Add the events (boolean per cell) of the frame at ``t``; return the counts."""
        while self._events and self._events[0][0] <= t - self.window + TIME_EPS:
            self._flat[self._events.popleft()[1]] -= 1
        idx = np.flatnonzero(events)
        if idx.size:
            self._flat[idx] += 1
            self._events.append((t, idx))
        return self.counts

    def first_event_time(self, mask: np.ndarray) -> float | None:
        """Time of the earliest event in the window at one of the cells of ``mask``."""
        flat = mask.reshape(-1)
        for t, idx in self._events:
            if flat[idx].any():
                return t
        return None


class SlidingMoments:
    """The frames of the last ``window`` seconds at which a large area changed together.

    Each kept moment remembers its time, the share of the area that changed and which cells.
    """

    def __init__(self, window: float = 1.0):
        self.window = window
        self._moments: deque[tuple[float, float, np.ndarray]] = deque()

    def push(self, t: float, share: float, cells: np.ndarray | None) -> int:
        """Record the frame at ``t`` as a moment if ``cells`` (flat indices) is given;
        return the number of moments in the window."""
        while self._moments and self._moments[0][0] <= t - self.window + TIME_EPS:
            self._moments.popleft()
        if cells is not None:
            self._moments.append((t, share, cells))
        return len(self._moments)

    @property
    def first_time(self) -> float | None:
        return self._moments[0][0] if self._moments else None

    @property
    def max_share(self) -> float:
        return max((m[1] for m in self._moments), default=0.0)

    def cells(self, shape: tuple[int, ...]) -> np.ndarray:
        """Boolean mask of the cells that changed in any moment of the window."""
        mask = np.zeros(shape, bool)
        flat = mask.reshape(-1)
        for _, _, idx in self._moments:
            flat[idx] = True
        return mask


class SustainedTime:
    """Seconds, within the last ``window`` seconds, during which a condition held."""

    def __init__(self, window: float):
        self.window = window
        self.total = 0.0
        self._spans: deque[tuple[float, float]] = deque()

    def push(self, t: float, duration: float, holds: bool) -> float:
        """Record that the condition held (or not) for ``duration`` seconds ending at ``t``."""
        if holds and duration > 0:
            self._spans.append((t, duration))
            self.total += duration
        while self._spans and self._spans[0][0] <= t - self.window + TIME_EPS:
            self.total -= self._spans.popleft()[1]
        return self.total

    @property
    def first_start(self) -> float:
        """When the earliest span still in the window began (0 when there is none)."""
        return self._spans[0][0] - self._spans[0][1] if self._spans else 0.0
