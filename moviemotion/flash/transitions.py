"""Per-cell transition detection: a small state machine run on every cell at once.

A *transition* is a change of a cell's value of at least ``delta`` away from its last
extreme, in the direction opposite to its previous transition (two transitions in opposite
directions make one flash). Each cell remembers:

* ``direction``: +1 after a rise, -1 after a fall, 0 before its first transition;
* ``low`` / ``high``: the lowest / highest value since its last fall / rise (the extreme
  the next transition is measured from).

A rise is ``value - low >= delta``; a fall is ``high - value >= delta``. With ``darker_max``
set (luminance), the darker of the two states must be below it: ``low`` for a rise, the
new ``value`` for a fall. Slow ramps count as one transition each way, however long. :meth:`TransitionTracker.swing`
is the size of the latest change (``high - low``), which tells how much of a cell flashes
(see area.py).

Example
-------
>>> import numpy as np
>>> tr = TransitionTracker(shape=(1,), delta=0.1, darker_max=0.8)
>>> [int(tr.update(np.array([v]))[0]) for v in (0.0, 0.05, 0.3, 0.25, 0.1, 0.12)]
[0, 0, 1, 0, -1, 0]
"""

from __future__ import annotations

import numpy as np


class TransitionTracker:
    """Streaming transition detector for an array of cells (any shape).

    ``strict``: a change must *exceed* ``delta`` (red: "> 20") instead of reaching it.
    """

    def __init__(self, shape: tuple[int, ...], delta: float, darker_max: float | None = None,
                 strict: bool = False):
        self.delta = np.float32(delta)
        self.darker_max = None if darker_max is None else np.float32(darker_max)
        self.strict = strict
        self.direction = np.zeros(shape, np.int8)
        self.low = np.zeros(shape, np.float32)
        self.high = np.zeros(shape, np.float32)
        self._started = False

    def update(self, value: np.ndarray) -> np.ndarray:
        """Feed one frame; return the transitions it completes: +1 (rise), -1 (fall) or 0."""
        value = np.asarray(value, dtype=np.float32)
        if not self._started:
            self.low[...] = value
            self.high[...] = value
            self._started = True
            return np.zeros(value.shape, np.int8)
        rise = value - self.low
        fall = self.high - value
        if self.strict:
            can_rise, can_fall = rise > self.delta, fall > self.delta
        else:
            can_rise, can_fall = rise >= self.delta, fall >= self.delta
        can_rise &= self.direction <= 0
        can_fall &= self.direction >= 0
        if self.darker_max is not None:
            can_rise &= self.low < self.darker_max
            can_fall &= value < self.darker_max
        # Only a cell with no transition yet can do both: keep the larger change.
        both = can_rise & can_fall
        if both.any():
            can_rise &= ~both | (rise >= fall)
            can_fall &= ~can_rise
        signed = can_rise.astype(np.int8) - can_fall.astype(np.int8)
        self.direction[signed != 0] = signed[signed != 0]
        np.minimum(self.low, value, out=self.low)
        np.maximum(self.high, value, out=self.high)
        self.low[can_fall] = value[can_fall]
        self.high[can_rise] = value[can_rise]
        return signed

    def swing(self) -> np.ndarray:
        """Each cell's current swing ``high - low``: after a transition, the size of the change
        from the extreme before it to the extreme since (a flash's full amplitude)."""
        return self.high - self.low
