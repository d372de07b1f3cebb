"""The main job's commands: ``moviemotion audience`` and ``moviemotion purge``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from moviemotion.errors import InputError, MovieMotionError
from moviemotion.faces.detector import DEFAULT_DETECTOR, DETECTORS
from moviemotion.progress import console, say

Detector = DETECTORS.choices()


def _parse_offsets(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        label, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[label.strip()] = float(value)
        except (ValueError, OverflowError):
            raise InputError(f"--offset {item!r}: expected LABEL=SECONDS, e.g. seat01=-2.5") from None
    return out


def audience_command(
    recordings: Annotated[list[Path] | None, typer.Argument(
        help="Recording files and/or folders of recordings (or none with --manifest).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder (re-running resumes).")] = Path("audience-out"),
    manifest: Annotated[Path | None, typer.Option(
        help="CSV/JSON manifest: recording, label, offset (movie time at the recording's start, s).")] = None,
    offset: Annotated[list[str] | None, typer.Option(
        "--offset", help="LABEL=SECONDS, overrides the manifest (repeatable).")] = None,
    movie: Annotated[Path | None, typer.Option(help="The movie (for its duration and thumbnails).")] = None,
    fps: Annotated[float, typer.Option(help="Samples per second analyzed in each recording.")] = 2.0,
    detector: Annotated[Detector, typer.Option(help="Face detector backend.")] = Detector(DEFAULT_DETECTOR),
    detect_every: Annotated[int, typer.Option(
        help="Search the whole frame every k-th sample; in between only re-find known faces.")] = 4,
    detect_width: Annotated[int | None, typer.Option(
        help="Frame width for detection (bigger finds smaller faces; default: the detector's).")] = None,
    scale_factor: Annotated[float | None, typer.Option(
        help="Haar pyramid step (>1; smaller finds more, slower; default 1.2).")] = None,
    min_neighbors: Annotated[int | None, typer.Option(
        help="Haar detection threshold (overlapping hits; default 4).")] = None,
    min_face: Annotated[float | None, typer.Option(
        help="Smallest face, as a fraction of the frame height (default: the detector's).")] = None,
    calibration: Annotated[float, typer.Option(
        help="Seconds of each viewer used as their neutral baseline (0 = whole session).")] = 0.0,
    smooth: Annotated[float, typer.Option(help="Smoothing window of the audience timeline (s).")] = 3.0,
    model: Annotated[Path | None, typer.Option(help="An emotion .onnx model (default: the shipped one).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel worker processes (0 = one per CPU core).")] = 0,
    ray: Annotated[bool, typer.Option("--ray", help="Run the recordings on Ray (pip install 'moviemotion[ray]').")] = False,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (default: local Ray).")] = None,
    keep_crops: Annotated[bool, typer.Option(
        help="DEBUGGING ONLY: also save every face crop as an image (privacy!).")] = False,
    reidentify: Annotated[bool, typer.Option(
        "--reidentify", help="Link the tracks of one viewer across long gaps and between recordings by face "
        "embeddings (memory only, never written); re-analyzes stored recordings.")] = False,
    report: Annotated[bool, typer.Option(help="Write report.html.")] = True,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Turn audience recordings into a second-by-second timeline of feels, with a report.

    Finds the faces in each recording, scores their emotions, tracks them into anonymous
    viewers, aligns everything to movie time and writes timeline.parquet/.csv,
    viewers.parquet, peaks.csv, run.json and report.html into the output folder.
    No face images are written unless --keep-crops is given. One job per output folder at a
    time; Ctrl-C (or SIGTERM) stops at once and keeps the finished recordings (exit 130/143).
    --reidentify links one viewer's tracks across long gaps and recordings by face embeddings
    held in memory only (never written).

    Example: `moviemotion audience demo/seats --manifest demo/manifest.csv --movie demo/movie.mp4 -o out`
    """
    from moviemotion.audience import RecordingSettings, TimelineSettings, collect_recordings
    from moviemotion.audience.runner import available_cores
    from moviemotion.jobs.audience import run_audience

    if jobs < 0:
        raise InputError(f"--jobs must be >= 0 (0 = one per CPU core), got {jobs}")
    knobs = {"detect_width": detect_width, "scale_factor": scale_factor, "min_neighbors": min_neighbors,
             "min_face": min_face}
    settings = RecordingSettings(
        fps=fps, detect_every=detect_every, detector=Detector(detector).value,
        detector_knobs={k: v for k, v in knobs.items() if v is not None},
    )
    timeline_settings = TimelineSettings(calibration=calibration, smooth=smooth)
    recs = collect_recordings(recordings or [], manifest=manifest, offsets=_parse_offsets(offset or []))
    jobs = jobs if jobs > 0 else available_cores()
    if keep_crops:
        console.print(" --keep-crops: FACE IMAGES of the audience will be written to "
                      f"{output / 'crops'}. Debugging only: delete them (moviemotion purge) when done. ",
                      style="bold yellow on red", markup=False, highlight=False)
    result = run_audience(recs, output, movie=movie, settings=settings,
                          timeline_settings=timeline_settings,
                          model=model, jobs=jobs, use_ray=ray, ray_address=ray_address,
                          keep_crops=keep_crops, show_progress=progress, write_report=report,
                          reidentify=reidentify)
    tl = result.timeline
    for n in result.notes:
        say("note", n)
    for w in result.warnings:
        say("warning", w)
    reused = sum(o.reused for o in result.outcomes)
    console.print(f"{len({s['viewer'] for s in tl.summaries})} viewers in {len(recs) - len(result.failures)} recordings "
                  f"({reused} reused), {tl.seconds} s of movie, {len(tl.peaks)} peaks -> {output}",
                  highlight=False, markup=False)
    if "report.html" in result.outputs:
        console.print(f"report: {result.outputs['report.html']}", highlight=False, markup=False)
    if result.failures:
        raise MovieMotionError(f"{len(result.failures)} recording(s) failed (the others were written): "
                               + "; ".join(result.failures.values()))


def purge_command(
    output: Annotated[Path, typer.Argument(help="An audience output folder.")],
    older_than: Annotated[float, typer.Option("--older-than", help="Delete stored files older than DAYS.")] = 30.0,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
) -> None:
    """Delete stored per-recording results and debug face crops past a retention period, and
    temporary files a killed job left in the folder.

    Example: `moviemotion purge out/ --older-than 30`
    """
    from moviemotion.audience.purge import purge

    if not math.isfinite(older_than):
        raise InputError(f"--older-than must be a finite number of days, got {older_than}")
    removed = purge(output, older_than, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for p in removed:
        console.print(f"{verb} {p}", highlight=False, markup=False)
    console.print(f"{verb} {len(removed)} file(s) older than {older_than:g} days (and stale temporary files) "
                  f"in {output}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("audience")(audience_command)
    app.command("purge")(purge_command)
