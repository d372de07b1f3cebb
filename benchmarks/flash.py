"""Speed of the photosensitivity analyzer against luma-only decoding, measured in one run.

    python benchmarks/flash.py [--seconds 8] [--repeat 3] [--variants]

Generates a 1080p25 H.264 clip (moving shapes over a moving texture, with a flashing strip;
~7 Mbit/s, so decoding is real work) in a temporary folder, then prints frames/s (wall
clock) and CPU ms/frame (all threads), medians of ``--repeat`` interleaved rounds, of:

- ``decode (luma only)``: the reader's fastest path, the Y' plane without color conversion;
- ``analyzer broadcast``: ``moviemotion.flash.analyze(clip, "broadcast")``, everything
  from decoding to the verdict;

and their ratio, by wall clock and by CPU time (target: analyzer >= 0.6 x luma-only decode
at 1080p on 2 cores, about 10 ms CPU per frame or less).
``--variants`` adds the alternatives weighed in docs/flash.md: finer analysis rasters
(``oversample`` 8: 960 x 544; ``None`` / CLI ``--exact``: the full 1920 x 1080, every
pixel linearized before averaging) and the analyzer with the pattern check (960 x 544
raster + FFTs).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def make_clip(path: Path, seconds: float, fps: float = 25.0) -> Path:
    import cv2

    from moviemotion.samples import clips as synth

    size = (1920, 1080)
    shapes = synth.moving_shapes(size, seed=1, n=6)
    strip = synth.flashing(size, 4, area=0.3, where="left", start=seconds / 3,
                           stop=2 * seconds / 3)
    texture = np.random.default_rng(0).integers(0, 40, size=(1080, 1920), dtype=np.uint8)

    def frame(t: float) -> np.ndarray:
        img = shapes(t).copy()
        img[:, :576] = strip(t)[:, :576]
        moved = np.roll(texture, int(t * 50), axis=1)
        return cv2.add(img, cv2.merge([moved, moved, moved]))

    return synth.write_video(path, synth.render(frame, fps, seconds), fps=fps)


def measure(fn) -> tuple[float, float, int]:
    """One run: wall-clock frames/s, CPU ms per frame (all threads), frames."""
    c0, t0 = time.process_time(), time.perf_counter()
    n = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return n / wall, cpu / n * 1000, n


def decode_luma(path: Path) -> int:
    from moviemotion.video import open_video

    n = 0
    with open_video(path) as video:
        for _ in video.frames(mode="gray", full_range=False):  # the plane, nothing else
            n += 1
    return n


def analyzer(path: Path, pattern: bool = False, oversample: int | None = 4) -> int:
    from moviemotion.flash import analyze

    return analyze(path, "broadcast", pattern=pattern, oversample=oversample).n_frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variants", action="store_true")
    args = ap.parse_args()
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "bench1080.mp4", args.seconds)
        mbit = clip.stat().st_size * 8 / args.seconds / 1e6
        print(f"clip: 1920x1080 25 fps H.264, {args.seconds:g} s, {mbit:.1f} Mbit/s; "
              f"cv2 threads {cv2.getNumThreads()}")
        runs = [("decode (luma only)", lambda: decode_luma(clip)),
                ("analyzer broadcast", lambda: analyzer(clip))]
        if args.variants:
            runs += [("analyzer raster 960x544", lambda: analyzer(clip, oversample=8)),
                     ("analyzer 1920x1080 (--exact)", lambda: analyzer(clip, oversample=None)),
                     ("analyzer + pattern check", lambda: analyzer(clip, pattern=True))]
        # Interleaved repeats: each round measures every run once, so a burst of load from
        # other jobs hits one round, not one contender; ratios are taken within a round.
        rounds = [[measure(fn) for _, fn in runs] for _ in range(args.repeat)]
        for k, (name, _) in enumerate(runs):
            fps = statistics.median(r[k][0] for r in rounds)
            cpu = statistics.median(r[k][1] for r in rounds)
            print(f"{name:30s} {fps:7.1f} frames/s   {cpu:6.2f} ms CPU/frame   "
                  f"({rounds[0][k][2]} frames)")
        for k, (name, _) in enumerate(runs[1:], start=1):
            wall = statistics.median(r[k][0] / r[0][0] for r in rounds)
            cpu = statistics.median(r[0][1] / r[k][1] for r in rounds)
            print(f"ratio {name} / decode (luma only): {wall:.2f} "
                  f"(by CPU time per frame: {cpu:.2f})")
        print("target: analyzer broadcast >= 0.60 x decode (luma only); medians of "
              f"{args.repeat} interleaved rounds")


if __name__ == "__main__":
    main()
