"""Write tables as Parquet and/or CSV, atomically.

Tables are plain ``dict[str, array-like]`` or :class:`pyarrow.Table`; columns are
documented by the part that produces them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from moviemotion.io.atomic import atomic_path


def to_arrow(table: pa.Table | Mapping[str, Sequence[Any]]) -> pa.Table:
    """Convert a column mapping to a :class:`pyarrow.Table` (tables pass through)."""
    if isinstance(table, pa.Table):
        return table
    import numpy as np

    return pa.table({k: (np.asarray(v) if not isinstance(v, list) else v) for k, v in table.items()})


def write_table(
    table: pa.Table | Mapping[str, Sequence[Any]],
    path: str | os.PathLike[str],
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``table`` to ``path`` atomically; the format follows the suffix (.parquet/.csv).

    ``metadata`` (e.g. units, time base) is stored in the Parquet schema metadata.
    """
    path = Path(path)
    t = to_arrow(table)
    if metadata:
        merged = dict(t.schema.metadata or {})
        merged.update({k.encode(): v.encode() for k, v in metadata.items()})
        t = t.replace_schema_metadata(merged)
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            pq.write_table(t, tmp)
        elif path.suffix == ".csv":
            pacsv.write_csv(t, tmp)
        else:
            raise ValueError(f"unknown table format for {path} (use .parquet or .csv)")
    return path
