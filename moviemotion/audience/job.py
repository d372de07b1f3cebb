"""The main job: recordings -> faces -> emotions -> per-second timeline -> outputs and report.

Example
-------
>>> from moviemotion.audience import collect_recordings, run_audience     # doctest: +SKIP
>>> recs = collect_recordings(["screening/seats"], manifest="screening/manifest.csv")
>>> result = run_audience(recs, Path("out"), movie=Path("screening/movie.mp4"))
>>> result.outputs["report.html"], result.failures
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from moviemotion.audience.manifest import Recording
from moviemotion.audience.outputs import versions, write_outputs
from moviemotion.audience.process import ProcessSettings
from moviemotion.audience.runner import (
    ClassifierFactory,
    Outcome,
    analyse_all,
    default_classifier_factory,
    model_id,
)
from moviemotion.audience.timeline import Timeline, TimelineSettings, build_timeline
from moviemotion.errors import InputError, MovieMotionError
from moviemotion.faces import make_detector


@dataclass
class JobResult:
    """Where the outputs went, which recordings failed (label -> message), and warnings."""

    outputs: dict[str, Path]
    timeline: Timeline
    outcomes: list[Outcome]
    failures: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _probe_duration(path: Path) -> float | None:
    from moviemotion.video import probe

    try:
        d = probe(path).duration
    except MovieMotionError:
        return None
    return d if math.isfinite(d) else None


def check_offsets(recordings: list[Recording], movie_duration: float | None) -> None:
    """Refuse offsets that put a recording entirely outside the movie."""
    for rec in recordings:
        if movie_duration is not None and rec.offset >= movie_duration:
            raise InputError(f"{rec.path}: offset {rec.offset:g} s is beyond the movie's end "
                             f"({movie_duration:.1f} s)")
        d = _probe_duration(rec.path)
        if d is not None and rec.offset + d <= 0:
            raise InputError(f"{rec.path}: offset {rec.offset:g} s puts the whole recording "
                             f"({d:.1f} s) before the movie starts")


def run_audience(
    recordings: list[Recording],
    out_dir: Path,
    movie: Path | None = None,
    settings: ProcessSettings = ProcessSettings(),
    timeline_settings: TimelineSettings = TimelineSettings(),
    model: Path | None = None,
    factory: ClassifierFactory | None = None,
    jobs: int = 1,
    use_ray: bool = False,
    ray_address: str | None = None,
    keep_crops: bool = False,
    show_progress: bool = True,
    write_report: bool = True,
) -> JobResult:
    """Run the whole job. Raises :class:`MovieMotionError` when nothing could be analysed;
    otherwise returns a :class:`JobResult` (check ``failures``: the CLI exits non-zero)."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: output exists and is not a folder")
    if not recordings:
        raise InputError("no recordings to analyse")
    movie_info = None
    if movie is not None:
        from moviemotion.video import probe

        movie_info = probe(movie)
    movie_duration = movie_info.duration if movie_info and math.isfinite(movie_info.duration) else None
    check_offsets(recordings, movie_duration)
    make_detector(settings.detector, **settings.detector_knobs)  # bad knobs: one clear error now
    if factory is None:
        settings = replace(settings, model_id=model_id(model))
        factory = default_classifier_factory(model, threads=1 if jobs > 1 else 2)
    crops_root = out_dir / "crops" if keep_crops else None
    outcomes = analyse_all(recordings, out_dir, settings, factory, jobs=jobs, use_ray=use_ray,
                           ray_address=ray_address, crops_root=crops_root, show_progress=show_progress)
    failures = {o.recording.label: o.error for o in outcomes if o.error}
    good = [(o.recording, o.faces) for o in outcomes if o.faces is not None]
    if not good:
        raise MovieMotionError("no recording could be analysed: " + "; ".join(failures.values()), exit_code=3)
    timeline = build_timeline(good, movie_duration, timeline_settings)
    seen = {s["recording"] for s in timeline.summaries}
    warnings = [f"{rec.label}: no face found in {rec.path} ({faces.stats['samples']} samples)"
                for rec, faces in good if rec.label not in seen]
    warnings += [f"{rec.label}: {w}" for rec, faces in good for w in faces.stats.get("warnings", [])]
    if not timeline.summaries:
        raise InputError("no face was found in any recording: " + "; ".join(warnings))
    run_info = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_taken": round(time.perf_counter() - t0, 3),
        "movie": {"path": str(movie), "duration": movie_duration} if movie else None,
        "seconds": timeline.seconds,
        "recordings": [
            {**o.recording.as_dict(), "status": "failed" if o.error else ("reused" if o.reused else "analysed"),
             "error": o.error,
             "stats": {k: v for k, v in (o.faces.stats.items() if o.faces else ()) if k != "warnings"}}
            for o in outcomes
        ],
        "viewers": timeline.summaries,
        "peaks": len(timeline.peaks),
        "model": settings.model_id or getattr(factory, "__name__", repr(factory)),
        "settings": {"analysis": settings.as_dict(), "timeline": timeline_settings.as_dict(),
                     "jobs": jobs, "ray": use_ray},
        "privacy": {"crops_kept": keep_crops,
                    "stored": "sample times, face boxes, track ids, emotion probabilities; no pixels"
                    if not keep_crops else "face crops kept under crops/ (debugging)"},
        "failures": failures,
        "warnings": warnings,
        "versions": versions(),
    }
    outputs = write_outputs(out_dir, timeline, run_info)
    if write_report:
        from moviemotion.report.audience import write_audience_report

        outputs["report.html"] = write_audience_report(out_dir / "report.html", timeline, run_info, movie)
    return JobResult(outputs, timeline, outcomes, failures, warnings)
