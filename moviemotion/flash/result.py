"""What a photosensitivity check returns: a verdict, incidents, and a per-frame table.

Shared by every profile (``broadcast``, ``wcag``, ``iris-compat``) so that the CLI, the
JSON summary and the HTML report treat them alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["pass", "warning", "fail"]
IncidentType = Literal["luminance_flash", "red_flash", "extended_flash", "spatial_pattern"]

#: CLI exit status per verdict (3 is used for unreadable input, see VideoError).
EXIT_CODES: dict[str, int] = {"pass": 0, "warning": 1, "fail": 2}


@dataclass
class Incident:
    """One time range that breaks (or, for warnings, approaches) the profile's limits.

    start, end: seconds of presentation time, half-open ``[start, end)``.
    type: what was seen (see ``IncidentType``).
    severity: ``"fail"`` or ``"warning"``.
    peak_flashes_per_second: most flashes counted in any 1-second window inside the range.
    peak_area: largest share (0-1) of the screen (or of the 10-degree field for ``wcag``)
        flashing together inside the range.
    bbox: ``(x, y, width, height)`` in display pixels of where on screen it happened, or None.
    """

    start: float
    end: float
    type: IncidentType
    severity: Literal["fail", "warning"]
    peak_flashes_per_second: float
    peak_area: float
    bbox: tuple[int, int, int, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bbox"] = list(self.bbox) if self.bbox is not None else None
        return d


@dataclass
class FlashResult:
    """The outcome of checking one video under one profile.

    frames: per-frame columns (name -> list/array), one row per analysed frame; the columns
        depend on the profile and are documented in docs/flash.md.
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

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-frame data)."""
        return {
            "path": self.path,
            "profile": self.profile,
            "verdict": self.verdict,
            "duration_s": self.duration,
            "n_frames": self.n_frames,
            "fps": self.fps,
            "settings": self.settings,
            "incidents": [i.as_dict() for i in self.incidents],
        }
