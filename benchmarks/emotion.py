"""Emotion-model speed: faces/s with onnxruntime on 2 threads, batch 1 and batch 64.

Measures the shipped default model beside the ``mini_xception`` and ``bionic`` presets
(randomly initialized exports: speed does not depend on the weights) in the same run,
and prints each as a ratio to ``mini_xception``. Wall-clock faces/s is what a user sees;
faces per CPU-second (process CPU time) is steadier on a shared machine. Target: the
shipped model >= 500 faces/s at batch 64 on 2 cores. ``--against FORMER.onnx`` also measures a
former model in the same run and prints the shipped model's speed as a ratio to it (issue 11:
at least 0.5x of the model it replaces; e.g. ``git show b58b315:moviemotion/emotion/weights/default.onnx``
is the float width-32 model shipped before the int8 one).

Usage: ``python benchmarks/emotion.py [--threads 2] [--seconds 3] [--model other.onnx] [--against former.onnx]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from moviemotion.emotion import DEFAULT_MODEL, Predictor

TARGET = 500.0
BATCHES = (1, 64)


def rates(predictor: Predictor, batch: int, seconds: float) -> tuple[float, float]:
    """(faces per wall-clock second, faces per CPU-second) scoring batches of ``batch``."""
    faces = np.random.default_rng(0).integers(0, 256, (batch, 48, 48), dtype=np.uint8)
    predictor.predict(faces)                                  # warm-up
    n, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while (wall := time.perf_counter() - wall0) < seconds:
        predictor.predict(faces)
        n += batch
    return n / wall, n / max(time.process_time() - cpu0, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the model under test")
    ap.add_argument("--against", type=Path, help="a former model, measured in the same run")
    args = ap.parse_args()

    import torch

    from moviemotion.emotion.export import export_onnx
    from moviemotion.emotion.task import build

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"shipped": args.model, **({"former": args.against} if args.against else {})}
        for arch in ("mini_xception", "bionic"):
            paths[arch] = export_onnx(build(arch).eval(), Path(tmp) / f"{arch}.onnx")
        rows, sizes = {}, {}
        for name, path in paths.items():
            p = Predictor(path, threads=args.threads)
            rows[name] = {b: rates(p, b, args.seconds) for b in BATCHES}
            sizes[name] = Path(path).stat().st_size / 1e6
    base = rows["mini_xception"]
    print(f"onnxruntime {args.threads} threads: faces/s wall-clock (ratio to mini_xception) "
          f"| faces per CPU-second")
    print(f"{'model':<15}" + "".join(f"{'batch ' + str(b):>30}" for b in BATCHES) + "  size MB")
    for name, r in rows.items():
        cells = "".join(f"{r[b][0]:>12.0f} ({r[b][0] / base[b][0]:4.2f}x) | {r[b][1]:>6.0f}"
                        for b in BATCHES)
        print(f"{name:<15}{cells}  {sizes[name]:7.1f}")
    fps = rows["shipped"][64][0]
    print(f"shipped model at batch 64: {fps:.0f} faces/s (target >= {TARGET:.0f}): "
          f"{'PASS' if fps >= TARGET else 'FAIL'}")
    if "former" in rows:
        ratio = fps / rows["former"][64][0]
        cpu = rows["shipped"][64][1] / rows["former"][64][1]
        print(f"shipped vs former at batch 64: {ratio:.2f}x wall-clock, {cpu:.2f}x per CPU-second "
              f"(target >= 0.5x): {'PASS' if ratio >= 0.5 else 'FAIL'}")


if __name__ == "__main__":
    main()
