"""Read the folders the screening report joins: an audience run, a movie analysis, a flash check.

Only files are read (never the jobs that wrote them), through :meth:`Signals.read`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError
from moviemotion.signals import Signals


@dataclass
class AudienceRun:
    """``timeline``: seconds Signals (``time`` + the 7 emotion probabilities ...);
    ``viewers``: per viewer and second (may be None); ``peaks``: list of dicts with ``time``
    (float seconds), ``emotion``, ``strength`` ...; ``run``: run.json."""

    folder: Path
    timeline: Signals
    viewers: Signals | None
    peaks: list[dict]
    run: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        movie = (self.run.get("movie") or {}) if isinstance(self.run.get("movie"), dict) else {}
        d = movie.get("duration")
        return float(d) if d else float(self.timeline.time.max() + 1 if len(self.timeline) else 0)

    def probabilities(self) -> np.ndarray:
        """``(seconds, 7)`` emotion probabilities (NaN where nobody was present)."""
        return np.column_stack([np.asarray(self.timeline.column(e), np.float64) for e in EMOTIONS])


def read_audience(folder: str | Path) -> AudienceRun:
    """Read an audience output folder (``moviemotion audience -o``)."""
    d = Path(folder)
    if not d.is_dir():
        raise InputError(f"{d}: no such audience folder" if not d.exists()
                         else f"{d}: not a folder (give the audience job's output folder)")
    tl_path = d / "timeline.parquet"
    if not tl_path.is_file():
        raise InputError(f"{d}: not an audience output folder (no timeline.parquet; "
                         "run `moviemotion audience ... -o` first)")
    tl = Signals.read(tl_path, source="audience", kind="seconds")
    missing = [e for e in EMOTIONS if e not in tl.columns]
    if missing:
        raise InputError(f"{tl_path}: no emotion columns {', '.join(missing)} "
                         "(not an audience timeline)")
    if not len(tl):
        raise InputError(f"{tl_path}: the audience timeline is empty")
    viewers = None
    if (d / "viewers.parquet").is_file():
        viewers = Signals.read(d / "viewers.parquet", source="viewers", kind="seconds")
    run = _run_json(d)
    return AudienceRun(d, tl, viewers, _read_peaks(d / "peaks.csv"), run)


def _run_json(folder: Path) -> dict:
    """``run.json`` of an output folder ({} when absent)."""
    p = folder / "run.json"
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError):
        raise InputError(f"{p}: not valid JSON") from None
    return data if isinstance(data, dict) else {}


def _read_peaks(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    try:
        rows = pacsv.read_csv(path).to_pylist()
    except Exception as exc:  # pyarrow raises several types
        raise InputError(f"{path}: not a readable peaks table ({str(exc).splitlines()[0]})") from None
    out = []
    for r in rows:
        t = r.get("time")
        if not isinstance(t, (int, float)) or t is None:  # older tables: "mm:ss" + second
            t = r.get("second")
        if t is None or r.get("emotion") is None:
            continue
        out.append({**r, "time": float(t)})
    return out


@dataclass
class MovieRun:
    """A movie analysis: ``signals`` per second (generic numeric/text columns), ``cuts``
    (shot start times after 0), ``video`` (the movie file when known and present)."""

    folder: Path
    signals: Signals | None
    cuts: np.ndarray
    video: Path | None
    run: dict


def read_movie(folder: str | Path) -> MovieRun:
    """Read a movie analysis folder (``movie.parquet``, ``shots.csv``; every column generic)."""
    d = Path(folder)
    if not d.is_dir():
        raise InputError(f"{d}: no such movie analysis folder")
    sig = None
    for name in ("movie.parquet", "movie.csv"):
        if (d / name).is_file():
            sig = Signals.read(d / name, source="movie", kind="seconds")
            if sig.kind != "seconds":
                sig = sig.per_second()
            break
    cuts = np.zeros(0)
    if (d / "shots.csv").is_file():
        shots = Signals.read(d / "shots.csv", source="shots", kind="events")
        cuts = np.unique(shots.time[shots.time > 0])
    elif sig is not None and "shot" in sig.columns:
        shot = np.asarray(sig.column("shot"), np.float64)
        cuts = sig.time[1:][np.diff(shot) != 0]
    if sig is None and not cuts.size:
        raise InputError(f"{d}: not a movie analysis folder (no movie.parquet or shots.csv; "
                         "run `moviemotion movie ... -o` first)")
    run = _run_json(d)
    return MovieRun(d, sig, cuts, _video_of(run), run)


def _video_of(run: dict) -> Path | None:
    for key in ("movie", "video", "source", "input", "path"):
        v = run.get(key)
        if isinstance(v, dict):  # {"path": ...} or {"movie": ...}
            v = v.get("path") or v.get("movie")
        if isinstance(v, str) and Path(v).is_file():
            return Path(v)
    return None


def read_flashes(path: str | Path) -> dict:
    """The flash check's JSON summary (a ``*.json`` file, or the folder holding one):
    ``verdict`` and ``incidents``."""
    p = Path(path)
    files = sorted(p.glob("*.json")) if p.is_dir() else [p]
    for f in files:
        if not f.is_file():
            continue
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "verdict" in data:
            return {**data, "file": str(f)}
    raise InputError(f"{p}: no flash check result found (a JSON file with a verdict, as "
                     "written by `moviemotion flashes -o`)")
