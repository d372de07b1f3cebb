"""The one time table: :class:`Signals`, an Arrow table in movie time.

Every part of moviemotion hands its results on as ``Signals`` (audience timelines, per-sample
faces, flash per-frame values and incidents, shots, scene classes, subtitle lines ...), so that
any two of them can be laid side by side on one time axis.

Conventions
-----------
* Time column :data:`TIME` = ``"time"``: float64 **seconds of movie time** (presentation time of
  the movie; for an audience recording, recording time plus the recording's offset).
* ``kind``:

  ``"frames"``  one row per decoded frame (or sample), ``time`` = the frame's presentation time;
  ``"seconds"`` one row per whole second, ``time`` = ``s`` for the second ``[s, s + 1)``;
  ``"events"``  one row per interval, ``time`` = its start and :data:`END` = ``"end"`` its end
                (half-open ``[time, end)``).
* ``units``: column -> unit (``"s"``, ``"LUFS"``, ``"probability"`` ...), stored in the
  Parquet schema metadata together with the kind, the source and the column groups.
* Clock strings (``"12:07"``) never appear in tables: only reports format times.

>>> import numpy as np
>>> s = Signals.from_columns("demo", "frames", {"time": [0.0, 0.5, 1.0, 1.5, 2.2],
...                                            "loud": [1.0, 3.0, 5.0, 7.0, 9.0]},
...                          units={"loud": "dB"})
>>> s.per_second().column("loud").tolist()
[2.0, 6.0, 9.0]
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moviemotion.errors import InputError

TIME = "time"
END = "end"
Kind = Literal["frames", "seconds", "events"]
KINDS: tuple[str, ...] = ("frames", "seconds", "events")
TIME_BASE = "seconds of movie time (float64)"
_META_KEY = b"moviemotion"

_REDUCERS: dict[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = {}


def _reducer(name: str):
    def deco(fn):
        _REDUCERS[name] = fn
        return fn

    return deco


@_reducer("mean")
def _mean(values: np.ndarray, bins: np.ndarray, n: int) -> np.ndarray:
    ok = ~np.isnan(values)
    sums = np.bincount(bins[ok], weights=values[ok], minlength=n)
    counts = np.bincount(bins[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


@_reducer("sum")
def _sum(values: np.ndarray, bins: np.ndarray, n: int) -> np.ndarray:
    ok = ~np.isnan(values)
    return np.bincount(bins[ok], weights=values[ok], minlength=n)


@_reducer("max")
def _max(values: np.ndarray, bins: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -np.inf)
    ok = ~np.isnan(values)
    np.maximum.at(out, bins[ok], values[ok])
    return np.where(np.isneginf(out), np.nan, out)


@_reducer("min")
def _min(values: np.ndarray, bins: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    ok = ~np.isnan(values)
    np.minimum.at(out, bins[ok], values[ok])
    return np.where(np.isposinf(out), np.nan, out)


@_reducer("count")
def _count(values: np.ndarray, bins: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(bins[~np.isnan(values)], minlength=n).astype(np.float64)


@dataclass(frozen=True)
class Signals:
    """An Arrow table in movie time; see the module docstring for the conventions.

    ``source``: who made it (``"audience"``, ``"flash"``, ``"shots"`` ...).
    ``kind``: ``"frames"``, ``"seconds"`` or ``"events"``.
    ``units``: column -> unit.
    ``groups``: named groups of columns (e.g. ``"emotions"`` -> the seven probabilities), like
        py-feat's ``Fex``; a reader asks ``s.group("emotions")``.
    ``rate``: samples per second for ``frames`` tables (``None`` when irregular), 1 for seconds.
    """

    table: pa.Table
    source: str
    kind: Kind
    units: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rate: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        names = self.table.column_names
        if TIME not in names:
            raise ValueError(f"{self.source}: a Signals table needs a {TIME!r} column, has {names}")
        if self.table.schema.field(TIME).type != pa.float64():
            col = pc.cast(self.table[TIME], pa.float64())
            object.__setattr__(self, "table",
                               self.table.set_column(names.index(TIME), TIME, col))
        if self.kind == "events" and END not in names:
            raise ValueError(f"{self.source}: an events table needs an {END!r} column")
        if self.kind == "events" and self.table.schema.field(END).type != pa.float64():
            col = pc.cast(self.table[END], pa.float64())
            object.__setattr__(self, "table",
                               self.table.set_column(names.index(END), END, col))
        if self.kind == "seconds" and self.rate is None:
            object.__setattr__(self, "rate", 1.0)
        for g, cols in self.groups.items():
            missing = [c for c in cols if c not in names]
            if missing:
                raise ValueError(f"{self.source}: group {g!r} names missing columns {missing}")

    # -- making ------------------------------------------------------------------------------
    @classmethod
    def from_columns(cls, source: str, kind: Kind, columns: Mapping[str, Any] | pa.Table, *,
                     units: Mapping[str, str] | None = None,
                     groups: Mapping[str, Sequence[str]] | None = None,
                     rate: float | None = None) -> Signals:
        """Build from ``{name: values}`` (lists or arrays) or an Arrow table."""
        if isinstance(columns, pa.Table):
            table = columns
        else:
            table = pa.table({k: _to_arrow(v) for k, v in columns.items()})
        return cls(table, source, kind, dict(units or {}),
                   {k: tuple(v) for k, v in (groups or {}).items()}, rate)

    @classmethod
    def empty(cls, source: str, kind: Kind, schema: Mapping[str, pa.DataType], **kw) -> Signals:
        """A table with no rows and the given column types (``time`` added when missing)."""
        fields = {TIME: pa.float64(), **({END: pa.float64()} if kind == "events" else {}),
                  **schema}
        return cls.from_columns(source, kind, pa.table({k: pa.array([], t)
                                                        for k, t in fields.items()}), **kw)

    # -- reading -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def columns(self) -> list[str]:
        return self.table.column_names

    @property
    def time(self) -> np.ndarray:
        """The time column as float64 seconds."""
        return self.column(TIME)

    @property
    def end(self) -> np.ndarray:
        """End times: ``end`` for events, ``time + 1`` for seconds, the next frame's time for
        frames (the last frame lasts ``1 / rate``, or the median frame gap)."""
        if self.kind == "events":
            return self.column(END)
        t = self.time
        if self.kind == "seconds":
            return t + 1.0
        if t.size == 0:
            return t
        gap = 1.0 / self.rate if self.rate else (float(np.median(np.diff(t))) if t.size > 1 else 0.0)
        return np.append(t[1:], t[-1] + gap)

    def column(self, name: str) -> np.ndarray:
        """One column as a NumPy array (nulls become NaN for numbers, None otherwise)."""
        if name not in self.table.column_names:
            raise KeyError(f"{self.source}: no column {name!r} (has {', '.join(self.columns)})")
        col = self.table[name]
        if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
            if col.null_count:
                return col.to_numpy(zero_copy_only=False).astype(np.float64)
            return col.to_numpy(zero_copy_only=False)
        return np.asarray(col.to_pylist(), dtype=object)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.column(name)

    def group(self, name: str) -> tuple[str, ...]:
        """The columns of one named group."""
        try:
            return self.groups[name]
        except KeyError:
            raise KeyError(f"{self.source}: no column group {name!r} "
                           f"(has {', '.join(self.groups) or 'none'})") from None

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()

    def duration(self) -> float:
        """End of the last row (0 for an empty table)."""
        return float(self.end.max()) if len(self) else 0.0

    # -- transforming ------------------------------------------------------------------------
    def with_table(self, table: pa.Table, **changes: Any) -> Signals:
        """The same metadata on another table (units and groups of dropped columns removed)."""
        names = set(table.column_names)
        units = {k: v for k, v in self.units.items() if k in names}
        groups = {k: v for k, v in self.groups.items() if set(v) <= names}
        return replace(self, table=table, units=changes.pop("units", units),
                       groups=changes.pop("groups", groups), **changes)

    def select(self, columns: Sequence[str]) -> Signals:
        """Keep ``time`` (and ``end``) plus ``columns``."""
        keep = [TIME] + ([END] if self.kind == "events" else [])
        keep += [c for c in columns if c not in keep]
        return self.with_table(self.table.select(keep))

    def with_columns(self, units: Mapping[str, str] | None = None, **columns: Any) -> Signals:
        """Add or replace columns (same length)."""
        t = self.table
        for name, values in columns.items():
            arr = _to_arrow(values)
            if name in t.column_names:
                t = t.set_column(t.column_names.index(name), name, arr)
            else:
                t = t.append_column(name, arr)
        return replace(self, table=t, units={**self.units, **(units or {})})

    def between(self, start: float, end: float) -> Signals:
        """Rows that overlap ``[start, end)`` (events) or whose time lies in it."""
        t = self.time
        mask = (self.end > start) & (t < end) if self.kind == "events" else (t >= start) & (t < end)
        return self.with_table(self.table.filter(pa.array(mask)))

    def per_second(self, n_seconds: int | None = None, how: str | Mapping[str, str] = "mean"
                   ) -> Signals:
        """Resample to one row per whole second of movie time ``[s, s + 1)``.

        frames/seconds: numeric columns are reduced per second with ``how`` (``mean``, ``max``,
        ``min``, ``sum``, ``count``; one for all or a mapping per column, default mean); text
        columns take the value of the last row in the second. Seconds with no row get NaN.
        events: each second gets the columns of the event in progress at its middle
        (``s + 0.5``; the latest-starting one when several overlap), plus ``coverage``, the
        share of the second covered by any event. ``n_seconds`` defaults to the end of the data.
        """
        n = n_seconds if n_seconds is not None else int(math.ceil(self.duration() - 1e-9)) \
            if self.kind == "events" else (int(np.floor(self.time.max())) + 1 if len(self) else 0)
        n = max(int(n), 0)
        seconds = np.arange(n, dtype=np.float64)
        out: dict[str, Any] = {TIME: seconds}
        if self.kind == "events":
            return self._events_per_second(seconds)
        t = self.time
        bins = np.floor(t + 1e-9).astype(np.int64)
        keep = (bins >= 0) & (bins < n)
        bins_k = bins[keep]
        for name in self.columns:
            if name == TIME:
                continue
            col = self.table[name]
            if pa.types.is_floating(col.type) or pa.types.is_integer(col.type) \
                    or pa.types.is_boolean(col.type):
                vals = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)[keep]
                rule = how.get(name, "mean") if isinstance(how, Mapping) else how
                if rule not in _REDUCERS:
                    raise ValueError(f"unknown reduction {rule!r} (use {', '.join(_REDUCERS)})")
                out[name] = _REDUCERS[rule](vals, bins_k, n)
            else:
                vals = np.asarray(col.to_pylist(), dtype=object)[keep]
                last = np.full(n, None, dtype=object)
                last[bins_k] = vals  # later rows overwrite earlier ones
                out[name] = last.tolist()
        return replace(self, table=pa.table({k: _to_arrow(v) for k, v in out.items()}),
                       kind="seconds", rate=1.0)

    def _events_per_second(self, seconds: np.ndarray) -> Signals:
        start, end = self.time, self.end
        n = seconds.size
        mid = seconds + 0.5
        order = np.argsort(start, kind="stable")
        s_sorted = start[order]
        # Latest-starting event that starts at or before the middle and is still on then.
        idx = np.searchsorted(s_sorted, mid, side="right") - 1
        row = np.full(n, -1, np.int64)
        for j in range(n):  # walk back over overlapping events (rarely more than one step)
            k = idx[j]
            while k >= 0 and end[order[k]] <= mid[j]:
                k -= 1
                if k >= 0 and s_sorted[k] < mid[j] - 3600:
                    k = -1
            row[j] = order[k] if k >= 0 else -1
        # coverage: union of intervals intersected with each second
        cover = np.zeros(n)
        if len(self):
            iv = np.column_stack([start[order], end[order]])
            merged = [list(iv[0])]
            for a, b in iv[1:]:
                if a <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            for a, b in merged:
                lo, hi = max(int(np.floor(a)), 0), min(int(np.ceil(b)), n)
                for s in range(lo, hi):
                    cover[s] += max(0.0, min(b, s + 1) - max(a, s))
        out: dict[str, Any] = {TIME: seconds}
        take = pa.array(np.where(row >= 0, row, 0))
        valid = row >= 0
        for name in self.columns:
            if name in (TIME, END):
                continue
            col = self.table[name].take(take) if len(self) else pa.nulls(n, self.table[name].type)
            out[name] = pc.if_else(pa.array(valid), col, pa.scalar(None, col.type))
        out["coverage"] = np.round(np.clip(cover, 0, 1), 6)
        return replace(self, table=pa.table({k: _to_arrow(v) for k, v in out.items()}),
                       kind="seconds", rate=1.0, units={**self.units, "coverage": "share"})

    def join(self, *others: Signals, prefix: bool = True) -> Signals:
        """Outer-join per-second tables on ``time``; columns become ``source.name``
        (``prefix=False`` keeps bare names and fails on a clash). Non-second tables are
        resampled with :meth:`per_second` first."""
        tables = [s if s.kind == "seconds" else s.per_second() for s in (self, *others)]
        n = max((int(s.time.max()) + 1 for s in tables if len(s)), default=0)
        seconds = np.arange(n, dtype=np.float64)
        out: dict[str, Any] = {TIME: seconds}
        units: dict[str, str] = {}
        groups: dict[str, tuple[str, ...]] = {}
        for s in tables:
            name_of = (lambda c, s=s: f"{s.source}.{c}") if prefix else (lambda c: c)
            idx = np.full(n, -1, np.int64)
            sec = np.round(s.time).astype(np.int64)
            ok = (sec >= 0) & (sec < n)
            idx[sec[ok]] = np.flatnonzero(ok)
            valid = pa.array(idx >= 0)
            take = pa.array(np.where(idx >= 0, idx, 0))
            for c in s.columns:
                if c == TIME:
                    continue
                key = name_of(c)
                if key in out:
                    raise ValueError(f"join: column {key!r} appears twice (use prefix=True)")
                col = s.table[c].take(take) if len(s) else pa.nulls(n, s.table[c].type)
                out[key] = pc.if_else(valid, col, pa.scalar(None, col.type))
                if c in s.units:
                    units[key] = s.units[c]
            for g, cols in s.groups.items():
                groups[name_of(g)] = tuple(name_of(c) for c in cols)
        source = "+".join(s.source for s in tables)
        return Signals(pa.table(out), source, "seconds", units, groups, 1.0)

    # -- writing -----------------------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        """What :meth:`write` stores in the Parquet schema metadata (key ``moviemotion``)."""
        return {"source": self.source, "kind": self.kind, "time_base": TIME_BASE,
                "time_column": TIME, "end_column": END if self.kind == "events" else "",
                "rate": "" if self.rate is None else repr(float(self.rate)),
                "units": json.dumps(dict(self.units)), "groups": json.dumps(
                    {k: list(v) for k, v in self.groups.items()})}

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically as Parquet (with metadata) or CSV, by the suffix."""
        from moviemotion.io.tables import write_table

        meta = dict(self.table.schema.metadata or {})
        meta[_META_KEY] = json.dumps(self.metadata()).encode()
        return write_table(self.table.replace_schema_metadata(meta), path)

    @classmethod
    def read(cls, path: str | os.PathLike[str], source: str | None = None,
             kind: Kind | None = None) -> Signals:
        """Read a table written by :meth:`write` (CSV files need ``kind``; ``source``
        defaults to the file's stem)."""
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        p = Path(path)
        try:
            table = pq.read_table(p) if p.suffix == ".parquet" else pacsv.read_csv(p)
        except FileNotFoundError:
            raise InputError(f"{p}: no such file") from None
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{p}: not a readable table ({str(exc).splitlines()[0]})") from None
        meta = json.loads((table.schema.metadata or {}).get(_META_KEY, b"{}"))
        if TIME not in table.column_names:
            raise InputError(f"{p}: no {TIME!r} column (not a moviemotion time table)")
        rate = meta.get("rate") or None
        return cls(table.replace_schema_metadata(None), source or meta.get("source", p.stem),
                   kind or meta.get("kind", "frames"), json.loads(meta.get("units", "{}")),
                   {k: tuple(v) for k, v in json.loads(meta.get("groups", "{}")).items()},
                   float(rate) if rate else None)

    def __repr__(self) -> str:
        return (f"Signals({self.source!r}, {self.kind}, {len(self)} rows, "
                f"columns={self.columns})")


def _to_arrow(values: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, np.ndarray):
        if values.dtype == object:
            return pa.array(values.tolist())
        return pa.array(values)
    return pa.array(list(values))


def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for reports; tables never hold clock strings."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"
