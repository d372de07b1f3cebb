"""The audience job: recordings -> faces -> emotions -> per-second timeline -> tables and report.

Order of work (nothing is written until every check passed):

1. checks: recordings, numbers, the movie, offsets, detector settings, output paths, and the
   emotion model (loaded once and tried on blank faces: a bad ``--model`` is one line, exit 4);
2. the output folder is locked (a second job on it gets one line, exit 5) and temporary
   files a killed run left there are removed;
3. :func:`moviemotion.audience.runner.analyze_all` analyzes (or reuses) each recording;
   SIGINT/SIGTERM stop it at once, keeping the recordings finished so far (exit 130/143);
   with ``reidentify`` every recording is analyzed afresh and also yields its tracks' mean
   face embeddings, in memory only;
4. ``reidentify``: :func:`link_viewers` links the tracks of the whole run into viewers
   (:mod:`moviemotion.faceid.reidentify`), relabels them, and forgets the embeddings;
5. the timeline, the tables, ``run.json`` (with a privacy record true of the whole folder)
   and ``report.html`` (:mod:`moviemotion.report.audience`).

Example
-------
>>> from moviemotion.audience import collect_recordings                    # doctest: +SKIP
>>> from moviemotion.jobs.audience import run_audience
>>> recs = collect_recordings(["screening/seats"], manifest="screening/manifest.csv")
>>> result = run_audience(recs, Path("out"), movie=Path("screening/movie.mp4"))
>>> result.outputs["report.html"], result.failures
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from moviemotion.audience import store
from moviemotion.audience.manifest import Recording
from moviemotion.audience.outputs import TABLE_FILES, versions, write_run_info, write_tables
from moviemotion.audience.recording import RecordingFaces, RecordingSettings
from moviemotion.audience.runner import (
    ClassifierFactory,
    Outcome,
    analyze_all,
    check_classifier,
    default_classifier_factory,
    load_embedder,
    model_id,
    worker_threads,
)
from moviemotion.audience.timeline import Timeline, TimelineSettings, build_timeline, viewer_id
from moviemotion.errors import InputError, ModelError, MovieMotionError, OutputError
from moviemotion.faces import make_detector
from moviemotion.io import folder_lock, remove_stale_temps

CROPS_DIR = "crops"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
NO_PIXELS = "sample times, face boxes, track ids, emotion probabilities; no pixels"
NO_EMBEDDINGS = ("--reidentify computed face embeddings in memory to link viewers; no embedding "
                 "was written to any file")
PATHS_NOTE = ("run.json and report.html name each recording's file as given; "
              "recordings/*.parquet keep only a SHA-256 of each file's absolute path")


@dataclass
class JobResult:
    """Where the outputs went, which recordings failed (label -> message), and warnings."""

    outputs: dict[str, Path]
    timeline: Timeline
    outcomes: list[Outcome]
    failures: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class JobInterrupted(MovieMotionError):
    """SIGINT or SIGTERM stopped the job; ``exit_code`` is 128 + the signal number."""


class _Stop(BaseException):
    """Raised in the main thread by the SIGINT/SIGTERM handlers."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into an exception in the main thread (so that workers are
    killed and temporary files removed on the way out); handlers restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        raise _Stop(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _probe_duration(path: Path) -> float | None:
    from moviemotion.video import probe

    try:
        d = probe(path).duration
    except MovieMotionError:
        return None
    return d if math.isfinite(d) else None


def check_offsets(recordings: list[Recording], movie_duration: float | None) -> None:
    """Refuse offsets that are not finite numbers or put a recording entirely outside the movie."""
    for rec in recordings:
        if not math.isfinite(rec.offset):
            raise InputError(f"{rec.path}: offset {rec.offset} is not a finite number of seconds")
        if movie_duration is not None and rec.offset >= movie_duration:
            raise InputError(f"{rec.path}: offset {rec.offset:g} s is beyond the movie's end "
                             f"({movie_duration:.1f} s)")
        d = _probe_duration(rec.path)
        if d is not None and rec.offset + d <= 0:
            raise InputError(f"{rec.path}: offset {rec.offset:g} s puts the whole recording "
                             f"({d:.1f} s) before the movie starts")


def check_output_paths(out_dir: Path, recordings: list[Recording]) -> None:
    """Refuse an output folder where a folder (or other non-file) sits in place of an output."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output exists and is not a folder")
    files = [out_dir / n for n in (*TABLE_FILES, "run.json", "report.html")]
    files += [store.stored_path(out_dir, r) for r in recordings]
    for f in files:
        if f.exists() and not f.is_file():
            raise OutputError(f"{f}: a folder (or other non-file) is in the way of this output; move it away")
    for d in (out_dir / store.RECORDINGS_DIR, out_dir / CROPS_DIR):
        if d.exists() and not d.is_dir():
            raise OutputError(f"{d}: expected a folder here; move the file away")


def crops_in_folder(out_dir: Path) -> int:
    """Face crop images under ``<out_dir>/crops`` (from this or any earlier ``--keep-crops`` run)."""
    root = out_dir / CROPS_DIR
    if not root.is_dir():
        return 0
    return sum(1 for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir())


def privacy_record(out_dir: Path, keep_crops: bool) -> dict:
    """What the output folder holds, as a whole (not only what this run wrote)."""
    n = crops_in_folder(out_dir)
    stored = NO_PIXELS if n == 0 else (
        f"{NO_PIXELS.removesuffix('; no pixels')}; and {n} face crop images under {CROPS_DIR}/ "
        f"({'kept by this run' if keep_crops else 'from an earlier --keep-crops run'}, debugging only)")
    return {"crops_kept": keep_crops, "crops_in_folder": n, "stored": stored, "paths": PATHS_NOTE}


def _load_classifier(model: Path | None, factory: ClassifierFactory | None, jobs: int):
    """The classifier factory for the workers, the model id, and the model loaded here once
    (a bad model fails now, as one line, before any work)."""
    name = str(model) if model is not None else "the emotion model"
    if factory is None:
        mid = model_id(model)
        factory = default_classifier_factory(model, threads=worker_threads(jobs))
    else:
        mid = ""
    try:
        classifier = factory()
    except MovieMotionError:
        raise
    except Exception as exc:
        raise ModelError(f"{name}: cannot load the emotion model ({type(exc).__name__}: {exc})") from None
    check_classifier(classifier, name)
    return factory, mid, classifier


def _load_embedder(threads: int):
    """The face embedding model for ``--reidentify``, loaded and tried once before any work."""
    import numpy as np

    try:
        embedder = load_embedder(threads)
        probe = embedder.embed([np.full((48, 48), 128, np.uint8), np.zeros((60, 50, 3), np.uint8)])
    except MovieMotionError:
        raise
    except Exception as exc:  # onnxruntime raises its own types
        raise ModelError(f"--reidentify: cannot use the face embedding model ({type(exc).__name__}: {exc})") from None
    if probe.ndim != 2 or len(probe) != 2 or not np.isfinite(probe).all():
        raise ModelError("--reidentify: the face embedding model returns no finite (N, D) embeddings")
    return embedder


def link_viewers(good: list[tuple[Recording, RecordingFaces]], threshold: float
                 ) -> tuple[list[tuple[Recording, RecordingFaces]], dict[tuple[str, int], str], int]:
    """Link the tracks of a run by their mean face embeddings (``--reidentify``).

    Tracks are compared in movie time, all recordings together: two tracks are never linked
    when they overlap in movie time (in any recording), so a viewer is never counted twice in
    one second. Within a recording, linked tracks get one track id (the smallest); across
    recordings, every track of a viewer gets the viewer id of its earliest track. Returns the
    relabeled results (without embeddings), the viewer names for :func:`build_timeline` and
    the number of tracks merged into another one. The embeddings are dropped from ``good``.
    """
    import numpy as np
    import pyarrow as pa

    from moviemotion.faceid.reidentify import TrackSummary, link_tracks
    from moviemotion.signals import TIME

    tracks = []
    for rec, faces in good:
        t = faces.table[TIME].to_numpy() + rec.offset
        track = faces.table["track"].to_numpy()
        for k, emb in sorted((faces.embeddings or {}).items()):
            tk = t[track == k]
            if len(tk):
                # key[0] is one value for the whole run: no two tracks overlapping in movie time join
                tracks.append(TrackSummary(("run", (rec.label, k)), float(tk.min()), float(tk.max()),
                                           emb, len(tk)))
        faces.embeddings = None
    group = link_tracks(tracks, threshold)
    members: dict[int, list[TrackSummary]] = {}
    for ts in tracks:
        members.setdefault(group[ts.key], []).append(ts)
    new_track: dict[tuple[str, int], int] = {}
    names: dict[tuple[str, int], str] = {}
    for ms in members.values():
        ms.sort(key=lambda m: m.start)
        first = ms[0].key[1]
        per_rec: dict[str, int] = {}
        for m in ms:
            label, k = m.key[1]
            per_rec[label] = min(per_rec.get(label, k), k)
        for m in ms:
            label, k = m.key[1]
            new_track[(label, k)] = per_rec[label]
            names[(label, per_rec[label])] = viewer_id(first[0], per_rec[first[0]]) if len(per_rec) > 1 else viewer_id(label, per_rec[label])
    out = []
    for rec, faces in good:
        track = faces.table["track"].to_numpy().copy()
        for k in np.unique(track[track >= 0]):
            track[track == k] = new_track.get((rec.label, int(k)), int(k))
        i = faces.table.column_names.index("track")
        table = faces.table.set_column(i, "track", pa.array(track, pa.int32()))
        out.append((rec, replace(faces, table=table, embeddings=None)))
    return out, names, len(tracks) - len(members)


def run_audience(
    recordings: list[Recording],
    out_dir: Path,
    movie: Path | None = None,
    settings: RecordingSettings = RecordingSettings(),
    timeline_settings: TimelineSettings = TimelineSettings(),
    model: Path | None = None,
    factory: ClassifierFactory | None = None,
    jobs: int = 1,
    use_ray: bool = False,
    ray_address: str | None = None,
    keep_crops: bool = False,
    show_progress: bool = True,
    write_report: bool = True,
    reidentify: bool = False,
) -> JobResult:
    """Run the whole job (see the module docs). Raises :class:`MovieMotionError` when nothing
    could be analyzed and :class:`JobInterrupted` on SIGINT/SIGTERM; otherwise returns a
    :class:`JobResult` (check ``failures``: the CLI exits non-zero)."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    if not recordings:
        raise InputError("no recordings to analyze")
    if not 1 <= jobs <= 4096:
        raise InputError(f"--jobs must be in 1..4096, got {jobs}")
    check_output_paths(out_dir, recordings)
    movie_info = None
    if movie is not None:
        from moviemotion.video import probe

        movie_info = probe(movie)
    movie_duration = movie_info.duration if movie_info and math.isfinite(movie_info.duration) else None
    check_offsets(recordings, movie_duration)
    make_detector(settings.detector, **settings.detector_knobs)  # bad knobs: one clear error now
    factory, mid, classifier = _load_classifier(model, factory, jobs)
    embedder = _load_embedder(worker_threads(jobs)) if reidentify else None
    if mid:
        settings = replace(settings, model_id=mid)
    with folder_lock(out_dir, "moviemotion audience"), _stop_on_signals():
        remove_stale_temps(out_dir)
        crops_root = out_dir / CROPS_DIR if keep_crops else None
        notes = []
        if reidentify:
            stored = sum(store.stored_path(out_dir, r).is_file() for r in recordings)
            if stored:
                notes.append(f"--reidentify: {stored} stored recording(s) are analyzed again "
                             "(stored results carry no face embeddings)")
        try:
            outcomes = analyze_all(recordings, out_dir, settings, factory, jobs=jobs, use_ray=use_ray,
                                   ray_address=ray_address, crops_root=crops_root,
                                   show_progress=show_progress, classifier=classifier, embedder=embedder)
            result = _finish(outcomes, out_dir, movie, movie_duration, settings, timeline_settings, factory,
                             jobs, use_ray, keep_crops, write_report, started, t0, embedder)
            result.notes[:0] = notes
            return result
        except (_Stop, KeyboardInterrupt) as exc:
            signum = exc.signum if isinstance(exc, _Stop) else signal.SIGINT
            kept = sum(store.load(out_dir, r, settings) is not None for r in recordings)
            raise JobInterrupted(
                f"interrupted by {signal.Signals(signum).name}: {kept} of {len(recordings)} recordings "
                f"are finished and kept in {out_dir / store.RECORDINGS_DIR}; run the same command "
                "again to resume", exit_code=128 + signum) from None


def _finish(outcomes, out_dir, movie, movie_duration, settings, timeline_settings, factory, jobs,
            use_ray, keep_crops, write_report, started, t0, embedder=None) -> JobResult:
    failures = {o.recording.label: o.error for o in outcomes if o.error}
    good = [(o.recording, o.faces) for o in outcomes if o.faces is not None]
    if not good:
        raise MovieMotionError("no recording could be analyzed: " + "; ".join(failures.values()), exit_code=3)
    names, reid = None, None
    if embedder is not None:
        good, names, merged = link_viewers(good, embedder.threshold)
        by_label = {rec.label: faces for rec, faces in good}
        for o in outcomes:  # the job's result holds the relabeled results, no embeddings
            o.faces = by_label.get(o.recording.label, o.faces)
        reid = {"threshold": embedder.threshold, "model": embedder.predictor.path.name,
                "tracks_merged": merged}
    timeline = build_timeline(good, movie_duration, timeline_settings, names)
    seen = {s["recording"] for s in timeline.summaries}
    warnings = [f"{rec.label}: no face found in {rec.path} ({faces.stats['samples']} samples)"
                for rec, faces in good if rec.label not in seen]
    warnings += [f"{rec.label}: {w}" for rec, faces in good for w in faces.stats.get("warnings", [])]
    if not timeline.summaries:
        raise InputError("no face was found in any recording: " + "; ".join(warnings))
    privacy = privacy_record(out_dir, keep_crops)
    if embedder is not None:
        privacy["embeddings"] = NO_EMBEDDINGS
    if privacy["crops_in_folder"] and not keep_crops:
        warnings.append(f"{out_dir / CROPS_DIR} holds {privacy['crops_in_folder']} face crop images from an "
                        f"earlier --keep-crops run; delete them with: moviemotion purge {out_dir} --older-than 0")
    run_info = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_taken": round(time.perf_counter() - t0, 3),
        "movie": {"path": str(movie), "duration": movie_duration} if movie else None,
        "seconds": timeline.seconds,
        "recordings": [
            {**o.recording.as_dict(), "status": "failed" if o.error else ("reused" if o.reused else "analyzed"),
             "error": o.error, "attempts": o.attempts,
             "stats": {k: v for k, v in (o.faces.stats.items() if o.faces else ()) if k != "warnings"}}
            for o in outcomes
        ],
        "viewers": timeline.summaries,
        "peaks": len(timeline.peaks),
        "model": settings.model_id or getattr(factory, "__name__", repr(factory)),
        "settings": {"analysis": settings.as_dict(), "timeline": timeline_settings.as_dict(),
                     "jobs": jobs, "ray": use_ray, "reidentify": reid},
        "privacy": privacy,
        "failures": failures,
        "warnings": warnings,
        "versions": versions(),
    }
    outputs = write_tables(out_dir, timeline)
    outputs["run.json"] = write_run_info(out_dir, run_info)
    if write_report:
        from moviemotion.report.audience import write_audience_report

        outputs["report.html"] = write_audience_report(out_dir / "report.html", timeline, run_info, movie)
    return JobResult(outputs, timeline, outcomes, failures, warnings)
