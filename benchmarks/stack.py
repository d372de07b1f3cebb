"""Stacked training against the same networks trained one after another, measured in one run.

    python benchmarks/stack.py [--device cuda] [--members 4] [--width 32] [--faces 2048] [--repeat 2]

Trains ``--members`` ``vgg`` networks of ``--width`` for one epoch on ``--faces`` random 48x48
faces (batch 128, EMA, strong augmentation), once one after another (``fit`` per member) and
once stacked (``fit_stack``), and prints seconds per network-epoch of both (medians of
``--repeat`` interleaved rounds) and their ratio. The stack is meant for a GPU, where a small
network's step is bound by the host launching kernels (on an H200, four width-40 networks:
2.35 s per epoch for the stack, 3.5-3.7 s per epoch each as four processes, ~6x; one alone
2.0-2.4 s). On a 2-core CPU it gives nothing (measured 2026-11-28 with the defaults: 7.5 s
one after another, 9.4 s stacked per network-epoch, 0.80x), so nothing stacks by itself: the
GPU recipe asks for it (``stack=G``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from moviemotion.learn.task import Task
    from moviemotion.learn.train import TrainConfig, fit, fit_stack, prepare

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--faces", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    task = Task("faces", (1, 48, 48), tuple("abcdefg"), "multiclass", mean=129.4, std=65.0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (a.faces, 48, 48), dtype=np.uint8)
    y = rng.integers(0, 7, a.faces)
    val = (x[:256], y[:256])
    times: dict[str, list[float]] = {"one after another": [], "stacked": []}
    for _ in range(a.repeat):
        for mode in times:
            with tempfile.TemporaryDirectory() as tmp:
                dirs = [Path(tmp) / f"m{s}" for s in range(a.members)]
                cfgs = [prepare(task, TrainConfig(arch="vgg", arch_args={"width": a.width}, epochs=1,
                                                  batch_size=128, lr=0.05, seed=s, ema=0.999,
                                                  augment="strong", threads=a.threads,
                                                  device=a.device), d)
                        for s, d in enumerate(dirs)]
                t = time.perf_counter()
                if mode == "stacked":
                    fit_stack(task, cfgs, dirs, (x, y), val, quiet=True)
                else:
                    for c, d in zip(cfgs, dirs, strict=True):
                        fit(task, c, d, (x, y), val, quiet=True)
                times[mode].append((time.perf_counter() - t) / a.members)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{a.members} x vgg width {a.width}, one epoch of {a.faces} faces on {a.device}:")
    for k, v in med.items():
        print(f"  {k:<18} {v:7.2f} s per network-epoch")
    print(f"  stacked / one after another: {med['one after another'] / med['stacked']:.2f}x the throughput")


if __name__ == "__main__":
    main()
