"""The screening report job (``moviemotion report``) and the comparison (``moviemotion compare``).

Every input is read and checked, every table and the page computed in memory, and only then
is anything written (each file atomically), so bad input leaves the output folder untouched.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np

from moviemotion import __version__
from moviemotion.errors import InputError
from moviemotion.io import atomic_write_json
from moviemotion.progress import progress_bar
from moviemotion.script import compare as cmp
from moviemotion.script.inputs import read_audience, read_flashes, read_movie
from moviemotion.script.screening import Screening, build_screening
from moviemotion.script.screenplay import read_scenes_csv, read_screenplay
from moviemotion.script.subtitles import parse_speed, read_subtitles
from moviemotion.signals import Signals

SCENE_UNITS = {"time": "s", "end": "s", "duration": "s", "confidence": "share"}


def run_report(out: str | Path, audience: str | Path, *, movie: str | Path | None = None,
               flashes: str | Path | None = None, subtitles: str | Path | None = None,
               screenplay: str | Path | None = None, scenes: str | Path | None = None,
               subtitle_offset: float = 0.0, subtitle_speed: str | float = 1.0,
               lag: float = 1.0, smooth: int | None = None, quiet: bool = False
               ) -> dict[str, Path]:
    """Build ``screening.html`` and its tables in ``out``; returns name -> path."""
    if screenplay is not None and scenes is not None:
        raise InputError("give --screenplay or --scenes, not both")
    if not np.isfinite(lag) or abs(lag) > 30:
        raise InputError(f"--lag {lag}: must be between -30 and 30 seconds")
    if smooth is not None and smooth < 1:
        raise InputError(f"--smooth {smooth}: must be at least 1 second")
    speed = parse_speed(subtitle_speed)
    t0 = time.perf_counter()
    with progress_bar(disable=quiet) as bar:
        task = bar.add_task("screening report", total=5, unit="steps")
        aud = read_audience(audience)
        mv = read_movie(movie) if movie is not None else None
        fl = read_flashes(flashes) if flashes is not None else None
        subs = read_subtitles(subtitles, subtitle_offset, speed, aud.duration) \
            if subtitles is not None else None
        sp = read_screenplay(screenplay) if screenplay is not None else None
        sc = read_scenes_csv(scenes, aud.duration) if scenes is not None else None
        bar.advance(task)
        result = build_screening(aud, subtitles=subs, screenplay=sp, scenes=sc, movie=mv,
                                 flashes=fl, lag=lag, window=smooth)
        result.settings.update({"subtitle_offset_s": subtitle_offset, "subtitle_speed": speed})
        bar.advance(task)
        from moviemotion.report.screening import render_screening

        page = render_screening(result, inputs={
            "audience": str(audience), "movie": _s(movie), "flashes": _s(flashes),
            "subtitles": _s(subtitles), "screenplay": _s(screenplay), "scenes": _s(scenes)})
        bar.advance(task)
        paths = write_screening(Path(out), result, page, {
            "audience": str(audience), "movie": _s(movie), "flashes": _s(flashes),
            "subtitles": _s(subtitles), "screenplay": _s(screenplay), "scenes": _s(scenes),
            "seconds": round(time.perf_counter() - t0, 3)})
        bar.advance(task, 2)
    return paths


def _s(p) -> str | None:
    return None if p is None else str(p)


def write_screening(out: Path, r: Screening, page: dict, inputs: dict) -> dict[str, Path]:
    """Write the tables, ``summary.json`` and (last) ``screening.html``."""
    from moviemotion.report.html import write_html_report

    paths: dict[str, Path] = {}
    scenes = Signals.from_columns("scenes", "events", r.scenes, units=SCENE_UNITS)
    paths["scenes.parquet"] = scenes.write(out / "scenes.parquet")
    paths["scenes.csv"] = scenes.write(out / "scenes.csv")
    if r.lines is not None:
        lines = Signals.from_columns("lines", "events", r.lines, units={"time": "s", "end": "s"})
        paths["lines.parquet"] = lines.write(out / "lines.parquet")
        paths["lines.csv"] = lines.write(out / "lines.csv")
    arc = Signals.from_columns("arc", "seconds", {k: _round(v) for k, v in r.arc.items()},
                               units={"time": "s", "valence": "-1..1", "arousal": "-1..1"})
    paths["arc.csv"] = arc.write(out / "arc.csv")
    moments = Signals.from_columns("moments", "frames", r.moments, units={"time": "s"})
    paths["moments.csv"] = moments.write(out / "moments.csv")
    paths["summary.json"] = atomic_write_json(out / "summary.json", {
        "duration_s": r.duration, "scene_source": r.scene_source,
        "arc_scores": r.arc_scores,
        "arc": max(r.arc_scores, key=lambda k: r.arc_scores[k]) if all(
            np.isfinite(v) for v in r.arc_scores.values()) else None,
        "moments": r.pattern, "coupling": r.coupling,
        "flashes": None if r.flashes is None else {"verdict": r.flashes.get("verdict"),
                                                   "incidents": len(r.flashes.get("incidents")
                                                                    or [])},
        "settings": r.settings, "inputs": inputs,
        "versions": {"moviemotion": __version__, "python": platform.python_version()}})
    paths["screening.html"] = write_html_report(out / "screening.html", **page)
    return paths


def _round(v):
    v = np.asarray(v)
    return np.round(v.astype(np.float64), 6) if v.dtype.kind == "f" else v


def run_compare(out: str | Path, run_a: str | Path, run_b: str | Path, *,
                scenes: str | Path | None = None, window: float = 60.0, n_boot: int = 1000,
                seed: int = 0, quiet: bool = False) -> dict[str, Path]:
    """Per-second and per-scene differences ``B - A`` with bootstrap intervals over viewers."""
    if n_boot < 100:
        raise InputError(f"--boot {n_boot}: use at least 100 bootstrap draws")
    if window <= 0:
        raise InputError(f"--window {window}: must be positive")
    a, b = read_audience(run_a), read_audience(run_b)
    if abs(a.duration - b.duration) > 2.0:
        raise InputError(f"{run_b}: lasts {a.duration:.0f} s vs {b.duration:.0f} s for {run_a}: "
                         "not two screenings of the same cut")
    n = int(np.ceil(max(a.duration, b.duration)))
    if scenes is not None:
        sc = Signals.read(scenes, kind="events") if Path(scenes).suffix == ".parquet" \
            else read_scenes_csv(scenes, n)
        s_start, s_end = sc.time, sc.end
        titles = [str(x) for x in sc.column("heading")]
    else:
        s_start = np.arange(0.0, n, window)
        s_end = np.minimum(s_start + window, n)
        titles = [f"{x:g}-{y:g} s" for x, y in zip(s_start, s_end, strict=True)]
    with progress_bar(disable=quiet) as bar:
        task = bar.add_task("bootstrap over viewers", total=2, unit="tables")
        ca, cb = cmp.viewer_cube(a, n), cmp.viewer_cube(b, n)
        per_sec = cmp.bootstrap_difference(ca, cb, n_boot, seed)
        bar.advance(task)
        per_scene = cmp.bootstrap_difference(cmp.scene_cube(ca, s_start, s_end),
                                             cmp.scene_cube(cb, s_start, s_end), n_boot, seed)
        bar.advance(task)
    secs = cmp.long_table(per_sec, {"time": list(np.arange(n, dtype=np.float64))})
    scen = cmp.long_table(per_scene, {"time": list(s_start), "end": list(s_end),
                                      "scene": list(range(1, len(s_start) + 1)),
                                      "heading": titles})
    out = Path(out)
    s1 = Signals.from_columns("compare", "seconds", secs, units={"time": "s"})
    s2 = Signals.from_columns("compare", "events", scen, units={"time": "s", "end": "s"})
    sig = [i for i, v in enumerate(scen["significant"]) if v]
    paths = {"compare_seconds.parquet": s1.write(out / "compare_seconds.parquet"),
             "compare_seconds.csv": s1.write(out / "compare_seconds.csv"),
             "compare_scenes.csv": s2.write(out / "compare_scenes.csv")}
    paths["compare.json"] = atomic_write_json(out / "compare.json", {
        "a": str(run_a), "b": str(run_b), "viewers_a": int(ca.shape[0]),
        "viewers_b": int(cb.shape[0]), "seconds": n, "bootstrap": n_boot, "seed": seed,
        "level": 0.95, "scenes": str(scenes) if scenes else f"windows of {window:g} s",
        "significant_scene_differences": [
            {"scene": scen["scene"][i], "heading": scen["heading"][i],
             "measure": scen["measure"][i], "diff": scen["diff"][i], "low": scen["low"][i],
             "high": scen["high"][i]} for i in sig]})
    return paths
