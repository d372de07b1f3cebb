"""What a photosensitivity check returns: a verdict, incidents, and a per-frame table.

Shared by every profile (``broadcast``, ``wcag``, ``iris-compat``) so that the CLI, the
JSON summary and the HTML report treat them alike. The tables go on as
:class:`~moviemotion.signals.Signals` (:meth:`FlashResult.frame_signals`, per frame, and
:meth:`FlashResult.incident_signals`, events with ``time`` / ``end``).

A check that could not read the whole video (truncated or damaged file: the decode pass's
:class:`~moviemotion.video.source.PassInfo` says ``complete=False``) is never a clean pass:
:meth:`FlashResult.mark_incomplete` adds an ``incomplete`` incident over the unread part and
raises the verdict to at least ``warning``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from moviemotion.signals import Signals
from moviemotion.video.source import PassInfo

Verdict = Literal["pass", "warning", "fail"]
IncidentType = Literal["luminance_flash", "red_flash", "extended_flash", "spatial_pattern",
                       "incomplete"]

#: CLI exit status per verdict (3 is used for unreadable input, see VideoError).
EXIT_CODES: dict[str, int] = {"pass": 0, "warning": 1, "fail": 2}
_RANK = {"pass": 0, "warning": 1, "fail": 2}

#: Columns of the incidents table (CSV) after ``time`` and ``end``.
INCIDENT_COLUMNS = ("type", "severity", "peak_flashes_per_second", "peak_area", "bbox_x",
                    "bbox_y", "bbox_width", "bbox_height", "note")


@dataclass
class Incident:
    """One time range that breaks (or, for warnings, approaches) the profile's limits.

    start, end: seconds of presentation time, half-open ``[start, end)`` (``time`` and
        ``end`` in the written tables).
    type: what was seen (see ``IncidentType``).
    severity: ``"fail"`` or ``"warning"``.
    peak_flashes_per_second: most flashes counted in any 1-second window inside the range.
    peak_area: largest share (0-1) of the screen (or of the 10-degree field for ``wcag``)
        flashing together inside the range.
    bbox: ``(x, y, width, height)`` in display pixels of where on screen it happened, or None.
    note: free text (``incomplete``: "incomplete: analyzed up to T of D s").
    """

    start: float
    end: float
    type: IncidentType
    severity: Literal["fail", "warning"]
    peak_flashes_per_second: float
    peak_area: float
    bbox: tuple[int, int, int, int] | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form: ``time`` (the start), ``end``, ..., ``bbox`` as a list or null."""
        return {"time": self.start, "end": self.end, "type": self.type,
                "severity": self.severity,
                "peak_flashes_per_second": self.peak_flashes_per_second,
                "peak_area": self.peak_area,
                "bbox": list(self.bbox) if self.bbox is not None else None,
                "note": self.note}


@dataclass
class FlashResult:
    """The outcome of checking one video under one profile.

    frames: per-frame columns (name -> list/array), one row per analyzed frame; the columns
        depend on the profile and are documented in docs/flash.md.
    complete: False when the video could not be read to its end (see ``incomplete_reason``).
    """

    path: str
    profile: str
    verdict: Verdict
    incidents: list[Incident]
    frames: dict[str, Any]
    duration: float
    n_frames: int
    fps: float
    settings: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. heatmap arrays for the report
    complete: bool = True
    analyzed_until: float | None = None
    incomplete_reason: str = ""
    units: dict[str, str] = field(default_factory=dict)  # per-frame column -> unit

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def mark_incomplete(self, analyzed_until: float, duration: float, reason: str) -> None:
        """Record that only ``[0, analyzed_until)`` of ``duration`` s was read: an
        ``incomplete`` warning incident over the rest, verdict at least ``warning``."""
        self.complete = False
        self.analyzed_until = float(analyzed_until)
        self.incomplete_reason = reason
        self.duration = float(duration)
        self.incidents.append(Incident(
            start=round(float(analyzed_until), 6),
            end=round(max(float(duration), float(analyzed_until)), 6),
            type="incomplete", severity="warning", peak_flashes_per_second=0.0,
            peak_area=0.0, bbox=None, note=reason))
        self.incidents.sort(key=lambda i: (i.start, i.type))
        if _RANK[self.verdict] < _RANK["warning"]:
            self.verdict = "warning"

    def after_pass(self, run: PassInfo) -> list[Signals]:
        """What a flash analyzer's ``finish`` returns: the result marked incomplete when the
        decode pass was, then ``[frame_signals(), incident_signals()]``."""
        if not run.complete:
            self.mark_incomplete(run.analyzed_until, run.duration, run.incomplete_reason)
        return [self.frame_signals(), self.incident_signals()]

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-frame data)."""
        return {
            "path": self.path,
            "profile": self.profile,
            "verdict": self.verdict,
            "complete": self.complete,
            "incomplete_reason": self.incomplete_reason,
            "analyzed_until_s": (self.analyzed_until if self.analyzed_until is not None
                                 else self.duration),
            "duration_s": self.duration,
            "n_frames": self.n_frames,
            "fps": self.fps,
            "settings": self.settings,
            "incidents": [i.as_dict() for i in self.incidents],
        }

    def frame_signals(self) -> Signals:
        """The per-frame table as ``Signals`` (kind ``frames``, time column ``time``)."""
        cols = {k: v for k, v in self.frames.items() if k != "TimeStamp"}
        if "time" not in cols:  # iris-compat: IRIS's columns, real timestamps from extras
            cols = {"time": np.asarray(self.extras.get("time", []), np.float64), **cols}
        return Signals.from_columns(
            "flash", "frames", cols, units={"time": "s", **self.units},
            rate=self.fps if self.fps > 0 else None)

    def incident_signals(self) -> Signals:
        """The incidents as ``Signals`` (kind ``events``: ``time``, ``end``, then
        :data:`INCIDENT_COLUMNS`; the bounding box in display pixels, empty when unknown)."""
        inc = self.incidents
        box = [i.bbox or (None, None, None, None) for i in inc]
        cols: dict[str, Any] = {
            "time": np.array([i.start for i in inc], np.float64),
            "end": np.array([i.end for i in inc], np.float64),
            "type": _text_column([i.type for i in inc]),
            "severity": _text_column([i.severity for i in inc]),
            "peak_flashes_per_second": np.array([i.peak_flashes_per_second for i in inc],
                                                np.float64),
            "peak_area": np.array([i.peak_area for i in inc], np.float64),
        }
        for k, name in enumerate(("bbox_x", "bbox_y", "bbox_width", "bbox_height")):
            cols[name] = _int_column([b[k] for b in box])
        cols["note"] = _text_column([i.note for i in inc])
        return Signals.from_columns(
            "flash", "events", cols,
            units={"time": "s", "end": "s", "peak_flashes_per_second": "flashes/s",
                   "peak_area": "share", "bbox_x": "px", "bbox_y": "px", "bbox_width": "px",
                   "bbox_height": "px"})


def _int_column(values: list) -> pa.Array:
    return pa.array(values, type=pa.int64())


def _text_column(values: list) -> pa.Array:
    return pa.array(values, type=pa.string())
