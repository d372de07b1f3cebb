"""Write a job's results: ``timeline.parquet/.csv``, ``viewers.parquet``, ``peaks.csv``, ``run.json``.

Every file is written atomically. Columns, units and the time base are documented in
``docs/audience.md`` and repeated in each Parquet file's schema metadata.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pyarrow as pa

from moviemotion import __version__
from moviemotion.audience.timeline import Timeline
from moviemotion.emotion.labels import EMOTIONS
from moviemotion.io import atomic_write_json, write_table

TIME_BASE = ("movie seconds; row 'second' = s covers movie time [s, s+1); "
             "movie_time = recording_time + offset")
UNITS = ("probabilities and shares in 0..1; *_delta in -1..1 (difference from the viewer's "
         "baseline); counts are samples or viewers")

PEAK_COLUMNS = ["second", "time", "emotion", "strength", "share", "viewers", "probability"]


def _arrow(cols: dict[str, np.ndarray]) -> pa.Table:
    out = {}
    for k, v in cols.items():
        if v.dtype == object:
            out[k] = pa.array(v.tolist(), pa.string())
        elif v.dtype.kind == "f":  # 6 decimals is far below the models' precision
            out[k] = pa.array(np.round(v, 6))
        else:
            out[k] = pa.array(v)
    return pa.table(out)


def write_outputs(out_dir: Path, timeline: Timeline, run_info: dict) -> dict[str, Path]:
    """Write the tables and ``run.json`` into ``out_dir``; returns name -> path."""
    out_dir = Path(out_dir)
    meta = {"moviemotion.time_base": TIME_BASE, "moviemotion.units": UNITS,
            "moviemotion.emotions": ",".join(EMOTIONS), "moviemotion.version": __version__}
    aud = _arrow(timeline.audience)
    paths = {
        "timeline.parquet": write_table(aud, out_dir / "timeline.parquet", metadata=meta),
        "timeline.csv": write_table(aud, out_dir / "timeline.csv"),
        "viewers.parquet": write_table(_arrow(timeline.viewers), out_dir / "viewers.parquet", metadata=meta),
    }
    peaks = {c: [r[c] for r in timeline.peaks] for c in PEAK_COLUMNS}
    types = {"second": pa.int64(), "time": pa.string(), "emotion": pa.string(), "strength": pa.float64(),
             "share": pa.float64(), "viewers": pa.int64(), "probability": pa.float64()}
    paths["peaks.csv"] = write_table(pa.table({c: pa.array(peaks[c], types[c]) for c in PEAK_COLUMNS}),
                                     out_dir / "peaks.csv")
    paths["run.json"] = atomic_write_json(out_dir / "run.json", run_info)
    return paths


def versions() -> dict[str, str]:
    """Versions of moviemotion and the libraries that shape its results."""
    import av
    import cv2
    import onnxruntime
    import scipy

    return {"moviemotion": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "opencv": cv2.__version__, "onnxruntime": onnxruntime.__version__, "pyav": av.__version__,
            "pyarrow": pa.__version__, "scipy": scipy.__version__, "platform": platform.platform()}
