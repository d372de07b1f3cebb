"""The movie job: one decode pass for every movie analyzer, then the film's own timeline.

``run_movie("film.mp4", "out/")`` writes into ``out/`` (see docs/movie.md):

* ``movie.parquet`` / ``movie.csv``: one row per second of movie time, every per-second column
  of every analyzer run (time table kind ``seconds``, units in the Parquet metadata);
* ``shots.csv`` (and ``shots.parquet``): one row per shot; every other events table an
  analyzer hands on likewise (``flash_incidents.csv``);
* ``cam/``: class-activation PNGs, when an analyzer hands on a ``cam`` table (``--cam``);
* ``run.json``: inputs, analyzers and their settings, versions, seconds per analyzer, and how
  complete the decode was;
* ``movie.html``: the self-contained report.

Every file is written atomically and only after the pass has succeeded, so a bad input leaves
nothing half-written. An incomplete decode (truncated or damaged file) still writes what was
analyzed, says so in ``run.json``, the report and the returned :class:`MovieRun`
(``exit_code`` 1).
"""

from __future__ import annotations

import math
import os
import platform
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviemotion.content import ANALYZERS, build, default_names, is_derived
from moviemotion.errors import InputError
from moviemotion.io.atomic import atomic_write_bytes, atomic_write_json
from moviemotion.signals import Signals
from moviemotion.video.source import PassInfo, analyze_movie, open_source

#: Exit codes of ``moviemotion movie`` beyond the errors' own (errors.py).
EXIT_INCOMPLETE = 1


@dataclass
class MovieRun:
    """What the job made: the per-second table, shots, the pass, and the files written."""

    seconds: Signals
    shots: Signals | None
    run: PassInfo
    analyzers: list[str]
    written: dict[str, Path]
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.run.complete else EXIT_INCOMPLETE


def _has_audio(source: Any) -> bool:
    container = getattr(source, "_container", None)
    return bool(container is not None and container.streams.audio)


def choose_analyzers(text: str | None, info, has_audio: bool, cam: bool = False) -> list[str]:
    """``--analyzers`` text (or every analyzer that applies) checked against the registry."""
    names = ANALYZERS.parse_list(text, default=default_names(info, has_audio))
    if cam and "scenes" not in names:
        if "scenes" not in ANALYZERS:
            have = "is not installed"
        else:
            why = ANALYZERS.get("scenes").applies(info, has_audio)
            have = f"does not apply here ({why})" if why and text is None else "is not selected"
        raise InputError(f"--cam draws class activation maps of the scenes analyzer, which "
                         f"{have} (analyzers: {', '.join(names)})")
    if cam and "shots" not in names:  # the maps are drawn on each shot's representative frame
        names.insert(0, "shots")
    return names


def check_output_dir(out: Path) -> None:
    """Fail before any work when ``out`` cannot be an output folder."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise InputError(f"{probe}: not writable (output folder {out})")


def run_movie(movie: str | os.PathLike[str], out: str | os.PathLike[str], *,
              analyzers: str | None = None,
              options: Mapping[str, Mapping[str, Any]] | None = None,
              cam: bool = False, progress: bool = False, html: bool = True,
              on_frame: Callable[[float], None] | None = None) -> MovieRun:
    """Analyze ``movie`` in one decode pass and write the outputs into ``out``
    (``on_frame(t)`` is called after each decoded frame)."""
    movie, out = Path(movie), Path(out)
    check_output_dir(out)
    started = time.perf_counter()
    options = {k: dict(v) for k, v in (options or {}).items()}
    with open_source(movie) as src:
        info = src.info
        has_audio = _has_audio(src)
        names = choose_analyzers(analyzers, info, has_audio, cam)
        if cam:
            options.setdefault("scenes", {})["cam"] = True
        chosen = build(names, options)
        passing = [a for a in chosen if not is_derived(type(a))]
        derived = [a for a in chosen if is_derived(type(a))]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = analyze_movie(src, passing, progress=progress, on_frame=on_frame)
            for a in passing:  # pass analyzers that also read others' results (scenes --cam)
                if hasattr(a, "after_pass"):
                    result.tables[a.name] = [*result.tables.get(a.name, []),
                                             *a.after_pass(result.tables, result.run)]
            seconds = _join_seconds([s for a in passing for s in _own(result.tables, a.name)],
                                    result.run)
            for a in derived:
                t0 = time.perf_counter()
                result.tables[a.name] = a.derive(result.tables, seconds, result.run)
                result.timings[a.name] = time.perf_counter() - t0
                seconds = _join_seconds([seconds, *_own(result.tables, a.name)], result.run)
    messages = list(dict.fromkeys(str(w.message) for w in caught
                                  if issubclass(w.category, UserWarning)
                                  and not issubclass(w.category, DeprecationWarning)))
    run = result.run
    shots = _table(result.tables, "shots", "shots", "events")
    written: dict[str, Path] = {}
    out.mkdir(parents=True, exist_ok=True)
    movie_table = Signals(seconds.table, "movie", "seconds", seconds.units, seconds.groups, 1.0)
    written["movie.parquet"] = movie_table.write(out / "movie.parquet")
    written["movie.csv"] = movie_table.write(out / "movie.csv")
    for events in [s for v in result.tables.values() for s in v if s.kind == "events"]:
        for suffix in (".csv", ".parquet"):  # shots.csv, flash_incidents.csv ...
            name = events.source + suffix
            written[name] = events.write(out / name)
    cams = _table(result.tables, "scenes", "cam")
    if cams is not None and len(cams):
        for row in cams.to_pylist():
            name = f"shot{int(row['shot']):04d}_{row.get('label', 'cam')}.png"
            written[f"cam/{name}"] = atomic_write_bytes(out / "cam" / name, row["png"])
    timings = {**{k: round(v, 4) for k, v in result.timings.items()},
               "decode": round(result.decode_seconds, 4),
               "total": round(time.perf_counter() - started, 4)}
    record = _run_record(movie, out, chosen, run, timings, messages, movie_table, shots)
    if html:
        from moviemotion.report.movie import write_movie_report

        written["movie.html"] = write_movie_report(
            out / "movie.html", movie_table, shots,
            _table(result.tables, "shots", "shot_thumbnails"), record)
    record["outputs"] = sorted([*written, "run.json"])
    written["run.json"] = atomic_write_json(out / "run.json", record)
    return MovieRun(movie_table, shots, run, [a.name for a in chosen], written, messages,
                    timings)


def _table(tables: Mapping[str, list[Signals]], analyzer: str, source: str,
           kind: str | None = None) -> Signals | None:
    """One of an analyzer's tables by its source name (and kind)."""
    return next((s for s in tables.get(analyzer, [])
                 if s.source == source and kind in (None, s.kind)), None)


def _own(tables: Mapping[str, list[Signals]], name: str) -> list[Signals]:
    """An analyzer's own per-second tables (its other tables are events, images ...)."""
    return [s for s in tables.get(name, []) if s.kind == "seconds" and s.source == name]


def _join_seconds(parts: list[Signals], run: PassInfo) -> Signals:
    """Per-second tables joined on ``time`` with bare column names (unique by contract)."""
    from moviemotion.content.base import n_seconds

    if not parts:
        import numpy as np

        return Signals.from_columns("movie", "seconds",
                                    {"time": np.arange(n_seconds(run), dtype=np.float64)})
    try:
        return parts[0].join(*parts[1:], prefix=False)
    except ValueError as exc:  # two analyzers name a column alike: a programming error
        raise ValueError(f"movie analyzers: {exc}") from None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("moviemotion", "av", "numpy", "opencv-python-headless", "scenedetect-headless",
                "pyloudnorm", "scipy", "pyarrow", "onnxruntime"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


def _run_record(movie: Path, out: Path, chosen: list, run: PassInfo, timings: dict,
                messages: list[str], table: Signals, shots: Signals | None) -> dict:
    info = run.info
    return {
        "job": "movie",
        "input": {"movie": str(movie), "bytes": movie.stat().st_size if movie.is_file() else None,
                  "video": info.as_dict(), "audio": run.has_audio},
        "analyzers": {a.name: a.settings() for a in chosen},
        "pass": {
            "complete": run.complete,
            "status": "complete" if run.complete else run.incomplete_reason,
            "frames": run.frames,
            "analyzed_until_s": run.analyzed_until,
            "duration_s": run.duration if math.isfinite(run.duration) else None,
            "damaged_packets": list(run.damaged),
        },
        "results": {a.name: a.summary() for a in chosen if a.summary()},
        "timings_s": timings,
        "warnings": messages,
        "seconds": len(table),
        "shots": len(shots) if shots is not None else None,
        "columns": {c: table.units.get(c, "") for c in table.columns},
        "time_base": "time = start of each second of movie time (s); shots: time = shot start",
        "versions": _versions(),
    }
