"""Speed and memory of ``moviemotion movie`` against a decode-only PyAV loop, in one run.

    python benchmarks/movie.py [--seconds 10] [--repeat 3] [--memory]
    python benchmarks/movie.py score          # shot detection precision/recall (shared data)

Speed: generates a 1080p25 H.264 clip with AAC sound (moving shapes over a moving texture,
cuts every few seconds; ~7 Mbit/s, so decoding is real work) and prints frames/s (wall) and
CPU ms/frame (all threads), medians of ``--repeat`` interleaved rounds, of

- ``decode only``: ``for frame in container.decode(video=0)`` with PyAV's threading, no
  conversion (the floor of any analysis);
- ``movie (all defaults)``: :func:`moviemotion.jobs.movie.run_movie` with every default
  analyzer (shots, motion, look, audio, faces, flashes, arousal), tables and run.json
  written (no HTML);
- each analyzer alone in the pass;

and the ratio movie / decode by CPU time (target >= 0.45) and by wall clock.

``--memory``: peak resident memory of the movie job (a fresh process per clip) on clips of
``--seconds`` and 4 x ``--seconds``; the growth per minute of film extrapolated to 2 hours
(target: < 1.5 GB for a 2-hour film).

``score``: shots against the hand-checked Big Buck Bunny list (hard cuts within +-1 frame,
the dissolve, the text overlays) and against PySceneDetect's goldens for its own clips
(content + threshold detectors; a golden counts as found within one frame of one of our
boundaries or inside one of our gradual transitions): precision and recall per clip.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from flash import measure  # benchmarks/flash.py: wall frames/s, CPU ms per frame, frames

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def make_clip(path: Path, seconds: float, fps: int = 25, size=(1920, 1080)) -> Path:
    import av
    import cv2

    from moviemotion.samples import clips as synth

    cuts = list(np.arange(2.5, seconds, 2.5))
    scenes = synth.scene_cuts(size, cuts, seed=1)
    texture = np.random.default_rng(0).integers(0, 40, size=(size[1], size[0]), dtype=np.uint8)
    rate = 48000
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(fps))
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        vs.options = {"crf": "18", "preset": "veryfast", "bf": "0"}
        aus = out.add_stream("aac", rate=rate)
        aus.layout = "stereo"
        n = int(seconds * fps)
        per = rate // fps
        for i in range(n):
            t = i / fps
            moved = np.roll(texture, int(t * 50), axis=1)
            img = cv2.add(scenes(t), cv2.merge([moved, moved, moved]))
            for p in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
            level = 0.05 if (t // 5) % 2 else 0.4
            sound = (level * rng.uniform(-1, 1, (2, per))).astype(np.float32)
            af = av.AudioFrame.from_ndarray(sound.reshape(1, -1), format="flt", layout="stereo")
            af.sample_rate, af.pts = rate, i * per
            for p in aus.encode(af):
                out.mux(p)
        for s in (vs, aus):
            for p in s.encode(None):
                out.mux(p)
    return path


def decode_only(path: Path) -> int:
    import av

    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            n += 1
    return n


def movie(path: Path, analyzers: str | None = None) -> int:
    import warnings

    from moviemotion.jobs.movie import run_movie

    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_movie(path, out, analyzers=analyzers, html=False)
    return done.run.frames


def speed(args) -> None:
    from moviemotion.content import ANALYZERS

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", args.seconds)
        runs = {"decode only": lambda: decode_only(clip), "movie (all defaults)": lambda: movie(clip)}
        if not args.quick:
            for name in [n for n, cls in ANALYZERS.items() if cls.default]:
                runs[f"  {name} alone"] = (lambda n=name: movie(clip, n))
        got: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
        movie(clip)  # warm-up: imports (SciPy, onnxruntime), model loading
        for _ in range(args.repeat):
            for k, fn in runs.items():
                fps, ms, _ = measure(fn)
                got[k].append((fps, ms))
    print(f"1080p25 H.264 + AAC, {args.seconds:g} s, median of {args.repeat} rounds")
    print(f"{'':26s} {'frames/s':>9s} {'CPU ms/frame':>13s}")
    med = {k: (statistics.median(f for f, _ in v), statistics.median(m for _, m in v))
           for k, v in got.items()}
    for k, (fps, ms) in med.items():
        print(f"{k:26s} {fps:9.1f} {ms:13.2f}")
    d, m = med["decode only"], med["movie (all defaults)"]
    print(f"ratio movie/decode: CPU {d[1] / m[1]:.2f}x (target >= 0.45), wall {m[0] / d[0]:.2f}x")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(args) -> None:
    """Resident memory sampled during one pass over a clip of 4 x --seconds; the growth after
    the first quarter (decoder and model warm-up) is extrapolated to a 2-hour film."""
    import warnings

    from moviemotion.jobs.movie import run_movie

    secs = 4 * args.seconds
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "m.mp4", secs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_movie(clip, Path(tmp) / "out", html=False,
                      on_frame=lambda t: samples.append((t, _rss_mb()))
                      if not samples or t - samples[-1][0] >= 1.0 else None)
    t = np.array([s[0] for s in samples])
    m = np.array([s[1] for s in samples])
    late = t >= secs / 4
    slope = float(np.polyfit(t[late], m[late], 1)[0]) * 60 if late.sum() > 2 else float("nan")
    for q in (0.25, 0.5, 1.0):
        k = min(int(np.searchsorted(t, q * secs)), len(t) - 1)
        print(f"RSS at {t[k]:5.1f} s of 1080p film: {m[k]:.0f} MB")
    print(f"growth after warm-up {slope:.2f} MB per minute of film -> 2 h: "
          f"{m[-1] + slope * (120 - secs / 60):.0f} MB (target < 1500 MB)")


def score() -> None:
    from moviemotion.content.shots import ShotsAnalyzer
    from moviemotion.video.source import analyze_movie, open_source

    def shots_of(path):
        with open_source(path) as src:
            fps = src.info.fps
            return analyze_movie(src, [ShotsAnalyzer()]).tables["shots"][1], fps

    video = SHARED / "video"
    truth = json.loads((video / "bbb_first60s_shots.json").read_text())
    shots, fps = shots_of(video / "bbb_first60s_640x360.mp4")
    rows = shots.to_pylist()[1:]
    hard = truth["hard_cuts_first_frame_of_new_shot"]
    gradual = [(g["start"] - 5, g["end"] + 5, g["type"]) for g in truth["gradual"]]
    tp = sum(1 for r in rows if r["transition"] == "cut"
             and any(abs(r["start_frame"] - h) <= 1 for h in hard))
    tp_grad = sum(1 for r in rows if r["transition"] != "cut"
                  and any(a <= r["start_frame"] <= b for a, b, _ in gradual))
    found_hard = sum(1 for h in hard if any(abs(r["start_frame"] - h) <= 1 and
                                            r["transition"] == "cut" for r in rows))
    found_diss = any(r["transition"] == "dissolve" and 745 <= r["start_frame"] <= 825 for r in rows)
    overlay = [r for r in rows for a, b, _ in truth["other"]["overlays_not_transitions"]
               if a < r["start_frame"] <= b]
    n = len(rows)
    print(f"Big Buck Bunny 60 s: {n} boundaries; hard cuts found {found_hard}/{len(hard)} "
          f"(+-1 frame), dissolve found: {found_diss}, boundaries inside text overlays: "
          f"{len(overlay)}, first shot begins with: {shots['transition'][0]}")
    print(f"  precision {(tp + tp_grad) / max(n, 1):.2f}, recall (hard cuts) "
          f"{found_hard / len(hard):.2f}")
    folder = video / "pyscenedetect"
    for clip in ("testvideo.mp4", "goldeneye-vfr-drop3.mp4", "fades.mp4", "counter.mp4"):
        import av

        with av.open(str(folder / clip)) as c:
            rate = float(c.streams.video[0].guessed_rate)
        golden = sorted({round(f / rate, 6) for d in ("ContentDetector", "ThresholdDetector")
                         for f in json.loads((folder / "goldens" / f"{clip}.{d}.default.json")
                                             .read_text())["cuts"]})
        shots, fps = shots_of(folder / clip)
        ours = shots.to_pylist()[1:]
        fr = 1.0 / fps

        def near(r, t, fr=fr):
            return (abs(r["time"] - t) <= fr + 1e-6
                    or r["transition_start"] - fr <= t <= r["transition_end"] + fr)

        rec = sum(1 for t in golden if any(near(r, t) for r in ours))
        prec = sum(1 for r in ours if any(near(r, t) for t in golden))
        print(f"{clip:26s} goldens {len(golden)}, ours {len(ours)} "
              f"({', '.join(r['transition'] for r in ours) or '-'}): recall "
              f"{rec}/{len(golden)}, precision {prec}/{len(ours)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", default="speed", choices=("speed", "score"))
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--quick", action="store_true", help="no per-analyzer rows")
    args = ap.parse_args()
    if args.what == "score":
        score()
    elif args.memory:
        memory(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
