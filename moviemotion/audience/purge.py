"""Retention: delete stored per-recording results and debug crops older than N days.

Only ``<output>/recordings/`` and ``<output>/crops/`` are touched (the per-recording
intermediate results and the ``--keep-crops`` images), plus the hidden temporary files a
killed job left anywhere in the folder; the timeline, tables and report stay. Age is the
file's modification time. Symbolic links are removed as links (never followed). The folder
is locked meanwhile (:func:`moviemotion.io.folder_lock`): purging a folder a job is writing
is refused.

Example
-------
>>> from moviemotion.audience.purge import purge                  # doctest: +SKIP
>>> purge(Path("out"), older_than_days=30)
[PosixPath('out/recordings/seat01.parquet'), ...]
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from moviemotion.errors import InputError
from moviemotion.io import folder_lock, is_temp_file, remove_stale_temps

PURGED_DIRS = ("recordings", "crops")


def purge(out_dir: Path, older_than_days: float, dry_run: bool = False, now: float | None = None) -> list[Path]:
    """Delete (or with ``dry_run`` only list) stored files older than ``older_than_days``,
    and every stale temporary file (any age)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: no such output folder")
    if not (isinstance(older_than_days, int | float) and math.isfinite(older_than_days)) or older_than_days < 0:
        raise InputError(f"--older-than must be a finite number of days >= 0, got {older_than_days}")
    if not any((out_dir / d).is_dir() for d in PURGED_DIRS) and not (out_dir / "run.json").is_file():
        raise InputError(f"{out_dir}: not a moviemotion audience output (no run.json, recordings/ or crops/)")
    cutoff = (time.time() if now is None else now) - older_than_days * 86400.0
    with folder_lock(out_dir, "moviemotion purge"):
        if dry_run:
            removed = sorted(p for p in out_dir.rglob(".*") if is_temp_file(p))
        else:
            removed = remove_stale_temps(out_dir)
        for d in PURGED_DIRS:
            root = out_dir / d
            if not root.is_dir() or root.is_symlink():
                continue
            for f in sorted(p for p in root.rglob("*") if p.is_symlink() or p.is_file()):
                if f in removed:
                    continue
                if f.lstat().st_mtime < cutoff:
                    removed.append(f)
                    if not dry_run:
                        f.unlink()
            if not dry_run:
                subs = sorted((p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()),
                              key=lambda p: -len(p.parts))
                for sub in [*subs, root]:
                    if not any(sub.iterdir()):
                        sub.rmdir()
    return removed
