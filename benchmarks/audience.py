"""Throughput and memory of the audience job (recordings -> timeline), measured in one run.

    python benchmarks/audience.py [--seats 4] [--seconds 20] [--jobs 2] [--long-minutes 30]

Generates 640x480 seat recordings (10 fps, synthetic faces) and runs the whole job
(decode, detect, classify, track, timeline, outputs, report) analyzing EVERY frame
(``--fps 10``), so "seat-frames/s" counts frames analyzed per wall-clock second.
Prints:

- end-to-end seat-frames/s for 1 and ``--jobs`` worker processes, detecting on every
  frame and every 4th frame (the default; in between only around the known faces);
- the same with ``--jobs`` workers that each take every core (OpenCV, onnxruntime
  intra-op: the oversubscription the job avoids by giving each worker ``cores // jobs``
  threads), and the start-up time of one worker process (spawn, imports, model load);
- the CPU-time breakdown decode / detect (+crop) / classify / track+aggregate;
- a naive baseline in the same run (full-resolution Haar at scale 1.1 and one model call
  per face, one process) and our speed-up over it;
- peak memory (max RSS) analyzing a short and a ``--long-minutes`` recording (1 fps,
  mostly static, so it is cheap to make), to show memory is flat in length.

Target: >= 150 seat-frames/s end to end on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2


def make_seats(folder: Path, seats: int, seconds: float, fps: float) -> list[Path]:
    from moviemotion.samples import clips as synth
    from moviemotion.samples.screening import default_seats, seat_renderer

    out = []
    for i, seat in enumerate(default_seats(seats)):
        out.append(synth.write_video(folder / f"{seat.label}.mp4",
                                     synth.render(seat_renderer(seat, (640, 480), seed=i), fps, seconds), fps=fps))
    return out


MODEL: str | None = None  # --model: another .onnx than the shipped one


def run_job(paths, out: Path, fps: float, jobs: int, detect_every: int) -> tuple[float, int, list[dict]]:
    from moviemotion.audience import RecordingSettings, collect_recordings
    from moviemotion.jobs.audience import run_audience

    recs = collect_recordings(paths)
    t = time.perf_counter()
    res = run_audience(recs, out, settings=RecordingSettings(fps=fps, detect_every=detect_every),
                       jobs=jobs, show_progress=False, model=Path(MODEL) if MODEL else None)
    wall = time.perf_counter() - t
    stats = [o.faces.stats for o in res.outcomes]
    return wall, sum(s["samples"] for s in stats), stats


def oversubscribed(jobs: int):
    """A context in which every worker takes all cores (the job's fix undone)."""
    import contextlib

    import moviemotion.audience.runner as runner
    import moviemotion.jobs.audience as job

    @contextlib.contextmanager
    def ctx():
        real = runner.worker_threads
        runner.worker_threads = job.worker_threads = lambda _jobs: runner.available_cores()
        try:
            yield
        finally:
            runner.worker_threads = job.worker_threads = real

    return ctx()


def worker_startup_seconds() -> float:
    """Wall time from starting one worker process to its model being loaded."""
    import multiprocessing as mp

    from moviemotion.audience.runner import _Worker, default_classifier_factory

    t = time.perf_counter()
    w = _Worker(mp.get_context("spawn"), default_classifier_factory(MODEL), 1)
    assert w.conn.recv()[0] == "ready"
    took = time.perf_counter() - t
    w.stop(now=False)
    return took


def aggregate_seconds(out: Path, paths) -> float:
    """Time of the timeline + outputs step alone, from the stored per-recording results."""
    from moviemotion.audience import RecordingSettings, build_timeline, collect_recordings
    from moviemotion.audience.outputs import write_tables
    from moviemotion.audience.runner import model_id
    from moviemotion.audience.store import load

    recs = collect_recordings(paths)
    settings = RecordingSettings(fps=10.0, detect_every=1, model_id=model_id(MODEL))
    loaded = [(r, load(out, r, settings)) for r in recs]
    t = time.perf_counter()
    tl = build_timeline(loaded, None)
    write_tables(out / "agg", tl)
    return time.perf_counter() - t


def naive(path: Path) -> float:
    """Full-resolution Haar (scale 1.1) on every frame and one model call per face."""
    from moviemotion.emotion import Predictor
    from moviemotion.video import open_video

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    model = Predictor(MODEL, threads=1)
    n = 0
    t = time.perf_counter()
    with open_video(path) as v:
        for _, rgb in v.frames(mode="rgb"):
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            for x, y, w, h in cascade.detectMultiScale(gray, 1.1, 4, minSize=(30, 30)):
                model.predict(cv2.resize(gray[y:y + h, x:x + w], (48, 48))[None])
            n += 1
    return n / (time.perf_counter() - t)


def memory_child(path: str, fps: float, model: str | None) -> None:
    """Run in a subprocess: analyze one recording, print its peak RSS in MiB as JSON."""
    import resource

    from moviemotion.audience.recording import RecordingSettings, analyze_recording
    from moviemotion.emotion import Predictor

    t = time.perf_counter()
    faces = analyze_recording(Path(path), Predictor(model, threads=1), RecordingSettings(fps=fps))
    print(json.dumps({"samples": faces.stats["samples"], "seconds": time.perf_counter() - t,
                      "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def long_recording(path: Path, minutes: float) -> Path:
    """A mostly static seat recording at 1 fps: the face changes expression every 20 s."""
    from moviemotion.samples import clips as synth
    from moviemotion.samples.faces import EXPRESSIONS, STYLES, background, draw_face

    frames = []
    for e in EXPRESSIONS:
        img = background((640, 480))
        frames.append(draw_face(img, (320, 220), 220, e, STYLES[0]))
    n = int(minutes * 60)
    return synth.write_video(path, (frames[(i // 20) % len(frames)] for i in range(n)), fps=1, crf=28)


def peak_memory(path: Path) -> dict:
    cmd = [sys.executable, __file__, "--memory-child", str(path)] + (["--model", MODEL] if MODEL else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seats", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--long-minutes", type=float, default=30.0)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--model", help="an emotion .onnx (default: the shipped model)")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global MODEL
    MODEL = args.model
    if args.memory_child:
        memory_child(args.memory_child, fps=1.0, model=MODEL)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = make_seats(tmp / "seats", args.seats, args.seconds, 10.0)
        frames = args.seats * int(args.seconds * 10)
        print(f"{args.seats} seat recordings, 640x480, 10 fps, {args.seconds:g} s: {frames} frames, "
              "every frame analyzed")
        rows = []
        for jobs in sorted({1, args.jobs}):
            for k in (1, 4):
                wall, n, stats = run_job(paths, tmp / f"out-{jobs}-{k}", 10.0, jobs, k)
                rows.append((jobs, k, n / wall, stats))
                print(f"  jobs={jobs} detect every {k}: {n / wall:7.1f} seat-frames/s end to end "
                      f"({n} frames in {wall:.2f} s, incl. outputs and report)")
        if args.jobs > 1:
            with oversubscribed(args.jobs):
                wall, n, _ = run_job(paths, tmp / "out-over", 10.0, args.jobs, 4)
            fixed = next(r[2] for r in rows if r[0] == args.jobs and r[1] == 4)
            print(f"  jobs={args.jobs} detect every 4, every worker on all cores (oversubscribed): "
                  f"{n / wall:7.1f} seat-frames/s; cores // jobs threads per worker: "
                  f"{fixed / (n / wall):.2f}x that")
        single = next(r[2] for r in rows if r[0] == 1 and r[1] == 4)
        if args.jobs > 1:
            multi = next(r[2] for r in rows if r[0] == args.jobs and r[1] == 4)
            print(f"  jobs={args.jobs} vs jobs=1 (detect every 4): {multi / single:.2f}x; "
                  f"one worker's start-up (spawn, imports, model): {worker_startup_seconds():.2f} s")
        agg = aggregate_seconds(tmp / "out-1-1", paths)
        for jobs, k, _, stats in rows:
            if jobs != 1:
                continue
            n = sum(s["samples"] for s in stats)
            parts = {"decode": sum(s["decode_s"] for s in stats),
                     "detect+crop": sum(s["detect_s"] for s in stats),
                     "classify": sum(s["classify_s"] for s in stats),
                     "track+aggregate": sum(s["track_s"] for s in stats) + agg}
            total = sum(parts.values())
            print(f"breakdown (jobs=1, full search every {k} frame{'s' if k > 1 else ''}), "
                  f"CPU ms per seat-frame ({1000 * total / n:.2f} ms = {n / total:.0f} seat-frames per core-second):")
            for name, sec in parts.items():
                print(f"  {name:16s} {1000 * sec / n:6.2f} ms  ({100 * sec / total:4.1f} %)")
        base = naive(paths[0])
        ours = rows[0][2]
        best = max(r[2] for r in rows if r[0] == args.jobs)
        print(f"naive baseline (full-res Haar 1.1, per-face calls, 1 process): {base:.1f} seat-frames/s; "
              f"ours jobs=1: {ours / base:.1f}x")
        print(f"best with jobs={args.jobs}: {best:.1f} seat-frames/s (target >= 150): "
              f"{'PASS' if best >= 150 else 'BELOW TARGET'}")
        if not args.skip_memory:
            short = long_recording(tmp / "short.mp4", args.long_minutes / 10)
            longer = long_recording(tmp / "long.mp4", args.long_minutes)
            a, b = peak_memory(short), peak_memory(longer)
            print(f"peak memory (max RSS), 1 fps: {args.long_minutes / 10:g} min -> {a['max_rss_mib']:.0f} MiB, "
                  f"{args.long_minutes:g} min -> {b['max_rss_mib']:.0f} MiB "
                  f"(x{b['max_rss_mib'] / a['max_rss_mib']:.2f} for x10 length; "
                  f"{b['samples']} samples in {b['seconds']:.1f} s)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
