"""Turn per-frame failures into incidents: merged time ranges with peak rate, area and place.

A failing frame at ``t`` means the second before it broke the limit; its range starts at the
earliest transition of that second over the flashing cells and ends when the frame leaves
the screen. Ranges that touch or overlap merge into one incident.

Example
-------
>>> import numpy as np
>>> from moviemotion.flash.cells import CellGrid
>>> b = IncidentBuilder("luminance_flash", CellGrid(100, 100, 2, 2))
>>> mask = np.array([[True, False], [False, False]])
>>> b.add(0.2, 1.04, 4.0, 0.25, mask); b.add(0.5, 1.08, 4.5, 0.25, mask)
>>> [(i.start, i.end, i.peak_flashes_per_second, i.bbox) for i in b.finish()]
[(0.2, 1.08, 4.5, (0, 0, 50, 50))]
"""

from __future__ import annotations

import numpy as np

from moviemotion.flash.cells import CellGrid
from moviemotion.flash.result import Incident, IncidentType


class IncidentBuilder:
    """Collects the failing frames of one incident type, in time order."""

    def __init__(self, type_: IncidentType, grid: CellGrid, severity: str = "fail"):
        self.type = type_
        self.grid = grid
        self.severity = severity
        self.incidents: list[Incident] = []
        self._open: dict | None = None

    def add(self, start: float, end: float, flashes_per_second: float, area: float,
            mask: np.ndarray | None) -> None:
        """One failing frame: its range ``[start, end)``, rate, area and flashing cells."""
        cur = self._open
        if cur is not None and start <= cur["end"] + 1e-6:
            cur["end"] = max(cur["end"], end)
            cur["rate"] = max(cur["rate"], flashes_per_second)
            cur["area"] = max(cur["area"], area)
            if mask is not None:
                cur["mask"] = mask if cur["mask"] is None else (cur["mask"] | mask)
            return
        self._close()
        self._open = {"start": start, "end": end, "rate": flashes_per_second, "area": area,
                      "mask": None if mask is None else mask.copy()}

    def _close(self) -> None:
        cur = self._open
        if cur is None:
            return
        bbox = self.grid.bbox(cur["mask"]) if cur["mask"] is not None else None
        self.incidents.append(Incident(
            start=round(float(cur["start"]), 6), end=round(float(cur["end"]), 6),
            type=self.type, severity=self.severity,  # type: ignore[arg-type]
            peak_flashes_per_second=float(cur["rate"]), peak_area=round(float(cur["area"]), 4),
            bbox=bbox))
        self._open = None

    def finish(self) -> list[Incident]:
        """Close the open incident and return them all."""
        self._close()
        return self.incidents
