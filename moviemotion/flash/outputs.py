"""Write a check's outputs: per-frame CSV, JSON summary, HTML report (all atomic).

File names: ``<video stem>.flash-<profile>.csv|json|html`` in the output folder, so several
profiles of one video sit side by side.

Example
-------
>>> from moviemotion.flash import analyze
>>> from moviemotion.flash.outputs import write_outputs
>>> write_outputs(analyze("clip.mp4"), "out/")         # doctest: +SKIP
{'csv': PosixPath('out/clip.flash-broadcast.csv'), 'json': ..., 'html': ...}
"""

from __future__ import annotations

import os
from pathlib import Path

from moviemotion.flash.result import FlashResult
from moviemotion.io import atomic_write_json, write_table


def output_paths(result: FlashResult, outdir: str | os.PathLike[str]) -> dict[str, Path]:
    stem = f"{Path(result.path).stem}.flash-{result.profile}"
    return {kind: Path(outdir) / f"{stem}.{kind}" for kind in ("csv", "json", "html")}


def write_frames_csv(result: FlashResult, path: str | os.PathLike[str]) -> Path:
    """The per-frame table, its first column naming the profile (``iris-compat``: IRIS's own
    log format)."""
    if result.profile == "iris-compat":
        from moviemotion.flash.iris import write_iris_csv

        return write_iris_csv(result, path)
    return write_table({"profile": [result.profile] * result.n_frames, **result.frames},
                       Path(path))


def write_outputs(result: FlashResult, outdir: str | os.PathLike[str], *, csv: bool = True,
                  json: bool = True, html: bool = True) -> dict[str, Path]:
    """Write the chosen outputs of ``result`` into ``outdir``; returns what was written."""
    Path(outdir).mkdir(parents=True, exist_ok=True)
    paths = output_paths(result, outdir)
    written: dict[str, Path] = {}
    if csv:
        written["csv"] = write_frames_csv(result, paths["csv"])
    if json:
        written["json"] = atomic_write_json(paths["json"], result.summary())
    if html:
        from moviemotion.report.flash import write_flash_report

        written["html"] = write_flash_report(result, paths["html"])
    return written
