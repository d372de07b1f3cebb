"""The flash job: check one video, write its tables (flash part) and its HTML report (report).

``moviemotion flashes`` calls :func:`run_flash_job`; the flash part never imports the report.

Example
-------
>>> from moviemotion.jobs.flash import run_flash_job
>>> job = run_flash_job("trailer.mp4", "checks/", profile="wcag")     # doctest: +SKIP
>>> job.result.verdict, sorted(job.written)                           # doctest: +SKIP
('pass', ['csv', 'html', 'incidents', 'json'])
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from moviemotion.flash.analyzer import analyze
from moviemotion.flash.outputs import output_paths, write_tables
from moviemotion.flash.result import FlashResult
from moviemotion.io.atomic import ensure_output_dir
from moviemotion.report.flash import write_flash_report

#: Output kinds :func:`run_flash_job` can write (``csv`` = per-frame and incidents CSVs).
OUTPUTS = ("csv", "json", "html")


@dataclass
class FlashJob:
    """What a flash job did: the check's result and the files it wrote (kind -> path)."""

    result: FlashResult
    written: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return self.result.exit_code


def run_flash_job(video: str | os.PathLike[str], outdir: str | os.PathLike[str], *,
                  profile: str = "broadcast", outputs: tuple[str, ...] = OUTPUTS,
                  pattern: bool = False, extended: bool | None = None, exact: bool = False,
                  progress: bool = False) -> FlashJob:
    """Check ``video`` under ``profile`` (one decode pass) and write the chosen ``outputs``
    (``csv``, ``json``, ``html``) as ``<stem>.flash-<profile>.*`` in ``outdir``.

    Nothing is written when the video cannot be read (:class:`~moviemotion.errors.VideoError`);
    every file is written atomically.
    """
    unknown = set(outputs) - set(OUTPUTS)
    if unknown:
        raise ValueError(f"unknown outputs {sorted(unknown)} (use {', '.join(OUTPUTS)})")
    result = analyze(video, profile, pattern=pattern, extended=extended,
                     oversample=None if exact else 4, progress=progress)
    ensure_output_dir(outdir)
    paths = output_paths(result.path, result.profile, outdir)
    written = write_tables(result, paths, csv="csv" in outputs, json="json" in outputs)
    if "html" in outputs:
        written["html"] = write_flash_report(result, paths["html"])
    return FlashJob(result, written)
