"""Decode throughput of moviemotion's reader against a plain PyAV loop, measured in one run.

    python benchmarks/decode.py [--seconds 6] [--repeats 3]

Prints frames per wall-clock second and per CPU second (robust when the machine is busy) for 1080p and 480p H.264 clips (generated here), RGB and luma-only, for
the plain loop (``container.decode`` with threads, then ``to_ndarray``) and for
``moviemotion.video.open_video(...).frames(...)``, and the ratio reader / plain.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from moviemotion.samples import clips as synth
from moviemotion.video import open_video


def plain_pyav(path: Path, mode: str) -> int:
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            if mode == "rgb":
                f.to_ndarray(format="rgb24")
            else:
                p = f.planes[0]
                np.frombuffer(p, np.uint8).reshape(f.height, p.line_size)[:, : f.width].copy()
            n += 1
    return n


def reader(path: Path, mode: str) -> int:
    n = 0
    with open_video(path) as v:
        for _ in v.frames(mode=mode, full_range=False):
            n += 1
    return n


def best_fps(fn, path: Path, mode: str, repeats: int) -> tuple[float, float]:
    """Best frames per wall-clock second and per CPU second (all threads) over ``repeats``."""
    wall = cpu = 0.0
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        n = fn(path, mode)
        wall = max(wall, n / (time.perf_counter() - t))
        cpu = max(cpu, n / (time.process_time() - c))
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        print(f"{'clip':>6} {'mode':>5} {'plain f/s':>10} {'reader f/s':>11} {'ratio':>6}"
              f" {'plain f/cpu-s':>14} {'reader f/cpu-s':>15} {'ratio':>6}")
        for name, size in (("1080p", (1920, 1080)), ("480p", (854, 480))):
            path = Path(d) / f"{name}.mp4"
            synth.write_video(path, synth.render(synth.moving_shapes(size), 25, args.seconds), fps=25)
            for mode in ("gray", "rgb"):
                pw, pc = best_fps(plain_pyav, path, mode, args.repeats)
                ow, oc = best_fps(reader, path, mode, args.repeats)
                print(f"{name:>6} {mode:>5} {pw:10.1f} {ow:11.1f} {ow / pw:6.2f}"
                      f" {pc:14.1f} {oc:15.1f} {oc / pc:6.2f}")


if __name__ == "__main__":
    main()
