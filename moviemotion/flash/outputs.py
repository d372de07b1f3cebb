"""Write a check's tables: per-frame CSV, incidents CSV and JSON summary (all atomic).

File names: ``<video stem>.flash-<profile>.csv`` (per frame), ``...incidents.csv`` and
``....json`` in the output folder, so several profiles of one video sit side by side. The
HTML report is the report layer's (:mod:`moviemotion.report.flash`); the flash job
(:mod:`moviemotion.jobs.flash`) writes all of them.

Example
-------
>>> from moviemotion.flash import analyze
>>> from moviemotion.flash.outputs import write_tables
>>> write_tables(analyze("clip.mp4"), output_paths("clip.mp4", "broadcast", "out/"))  # doctest: +SKIP
{'csv': PosixPath('out/clip.flash-broadcast.csv'), 'incidents': ..., 'json': ...}
"""

from __future__ import annotations

import os
from pathlib import Path

from moviemotion.flash.result import FlashResult
from moviemotion.io import atomic_write_json
from moviemotion.signals import Signals

#: What each output kind is called: ``<stem>.flash-<profile><suffix>``.
SUFFIXES = {"csv": ".csv", "incidents": ".incidents.csv", "json": ".json", "html": ".html"}


def output_paths(video: str | os.PathLike[str], profile: str,
                 outdir: str | os.PathLike[str]) -> dict[str, Path]:
    """Where the outputs of checking ``video`` under ``profile`` go in ``outdir``."""
    stem = f"{Path(video).stem}.flash-{profile}"
    return {kind: Path(outdir) / f"{stem}{suffix}" for kind, suffix in SUFFIXES.items()}


def write_frames_csv(result: FlashResult, path: str | os.PathLike[str]) -> Path:
    """The per-frame table, its first column naming the profile (``iris-compat``: IRIS's own
    log format)."""
    if result.profile == "iris-compat":
        from moviemotion.flash.iris import write_iris_csv

        return write_iris_csv(result, path)
    frames = result.frame_signals()
    table = frames.table.add_column(0, "profile", [[result.profile] * len(frames)])
    return frames.with_table(table).write(path)


def write_incidents_csv(result: FlashResult, path: str | os.PathLike[str]) -> Path:
    """The incidents, one row each: ``time``, ``end`` (s), type, severity, peak rate and
    area, bounding box, note (an ``incomplete`` row when the video was not read to its end)."""
    incidents: Signals = result.incident_signals()
    return incidents.write(path)


def write_tables(result: FlashResult, paths: dict[str, Path], *, csv: bool = True,
                 json: bool = True) -> dict[str, Path]:
    """Write the per-frame and incidents CSVs (``csv``) and the JSON summary (``json``) to
    ``paths`` (see :func:`output_paths`); returns what was written."""
    written: dict[str, Path] = {}
    if csv:
        written["csv"] = write_frames_csv(result, paths["csv"])
        written["incidents"] = write_incidents_csv(result, paths["incidents"])
    if json:
        written["json"] = atomic_write_json(paths["json"], result.summary())
    return written
