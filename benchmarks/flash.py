"""Speed of the photosensitivity analyzer against luma-only decoding, measured in one run.

    python benchmarks/flash.py [--seconds 8] [--repeat 2] [--variants]

Generates a 1080p25 H.264 clip (moving shapes over a moving texture, with a flashing strip;
~6 Mbit/s, so decoding is real work) in a temporary folder, then prints frames/s (wall
clock, best of ``--repeat``) and CPU ms/frame (all threads) of:

- ``decode (luma only)``: the reader's fastest path, the Y' plane without colour conversion;
- ``analyzer broadcast``: ``moviemotion.flash.analyze(clip, "broadcast")``, everything
  from decoding to the verdict;

and their ratio (target: analyzer >= 0.6 x luma-only decode at 1080p on 2 cores).
``--variants`` adds the alternatives weighed in docs/flash.md: finer analysis rasters
(``oversample`` 8: 960 x 544; ``None`` / CLI ``--exact``: the full 1920 x 1080, every
pixel linearised before averaging) and the analyzer with the pattern check (960 x 544 raster + FFTs).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def make_clip(path: Path, seconds: float, fps: float = 25.0) -> Path:
    import cv2

    from moviemotion.video import synth

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


def measure(fn, repeat: int) -> tuple[float, float, int]:
    """Best wall-clock frames/s, CPU ms per frame of that run, frames."""
    best = None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        n = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or n / wall > best[0]:
            best = (n / wall, cpu / n * 1000, n)
    return best


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
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--variants", action="store_true")
    args = ap.parse_args()
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "bench1080.mp4", args.seconds)
        mbit = clip.stat().st_size * 8 / args.seconds / 1e6
        print(f"clip: 1920x1080 25 fps H.264, {args.seconds:g} s, {mbit:.1f} Mbit/s; "
              f"cv2 threads {cv2.getNumThreads()}")
        rows = [("decode (luma only)", measure(lambda: decode_luma(clip), args.repeat)),
                ("analyzer broadcast", measure(lambda: analyzer(clip), args.repeat))]
        if args.variants:
            for k, label in ((8, "960x544"), (None, "1920x1080 (--exact)")):
                rows.append((f"analyzer raster {label}",
                             measure(lambda k=k: analyzer(clip, oversample=k), args.repeat)))
            rows.append(("analyzer + pattern check",
                         measure(lambda: analyzer(clip, pattern=True), args.repeat)))
        for name, (fps, cpu_ms, n) in rows:
            print(f"{name:38s} {fps:7.1f} frames/s   {cpu_ms:6.2f} ms CPU/frame   ({n} frames)")
        base = rows[0][1][0]
        for name, (fps, _, _) in rows[1:]:
            print(f"ratio {name} / decode (luma only): {fps / base:.2f}")
        print("target: analyzer broadcast >= 0.60 x decode (luma only)")


if __name__ == "__main__":
    main()
