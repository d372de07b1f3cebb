"""Write a job's tables: ``timeline.parquet/.csv``, ``viewers.parquet``, ``peaks.csv``, and ``run.json``.

Every file is written atomically. The tables are :class:`~moviemotion.signals.Signals`
(time column ``time``, float seconds of movie time); columns, units and the time base are
documented in ``docs/audience.md`` and stored in each Parquet file's schema metadata.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pyarrow as pa

from moviemotion import __version__
from moviemotion.audience.timeline import Timeline
from moviemotion.io import atomic_write_json
from moviemotion.signals import Signals

TIME_BASE = ("movie seconds; a 'seconds' row with time = s covers movie time [s, s+1); "
             "movie_time = recording_time + offset")

#: The table files of an audience output folder (``run.json`` and ``report.html`` besides).
TABLE_FILES = ("timeline.parquet", "timeline.csv", "viewers.parquet", "peaks.csv")


def _rounded(sig: Signals) -> Signals:
    """Float columns rounded to 6 decimals (far below the models' precision), time base noted."""
    cols = {}
    for name in sig.columns:
        col = sig.table[name]
        if pa.types.is_floating(col.type):
            col = pa.array(np.round(col.to_numpy(zero_copy_only=False), 6))
        cols[name] = col
    table = pa.table(cols).replace_schema_metadata({b"moviemotion.time_base": TIME_BASE.encode(),
                                                    b"moviemotion.version": __version__.encode()})
    return sig.with_table(table)


def write_tables(out_dir: Path, timeline: Timeline) -> dict[str, Path]:
    """Write the timeline's tables into ``out_dir``; returns file name -> path."""
    out_dir = Path(out_dir)
    audience, viewers, peaks = (_rounded(s) for s in (timeline.audience, timeline.viewers, timeline.peaks))
    return {
        "timeline.parquet": audience.write(out_dir / "timeline.parquet"),
        "timeline.csv": audience.write(out_dir / "timeline.csv"),
        "viewers.parquet": viewers.write(out_dir / "viewers.parquet"),
        "peaks.csv": peaks.write(out_dir / "peaks.csv"),
    }


def write_run_info(out_dir: Path, run_info: dict) -> Path:
    """Write ``run.json`` (NaN as null) atomically."""
    return atomic_write_json(Path(out_dir) / "run.json", run_info)


def versions() -> dict[str, str]:
    """Versions of moviemotion and the libraries that shape its results."""
    import av
    import cv2
    import onnxruntime
    import scipy

    return {"moviemotion": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "opencv": cv2.__version__, "onnxruntime": onnxruntime.__version__, "pyav": av.__version__,
            "pyarrow": pa.__version__, "scipy": scipy.__version__, "platform": platform.platform()}
