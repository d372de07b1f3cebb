"""Emotion-model speed: faces/s with onnxruntime on 2 threads, batch 1 and batch 64.

Measures the shipped default model beside the ``mini_xception`` and ``bionic`` presets
(randomly initialised exports: speed does not depend on the weights) in the same run,
and prints each as a ratio to ``mini_xception``. Target: the shipped model >= 500 faces/s
at batch 64.

Usage: ``python benchmarks/emotion.py [--threads 2] [--seconds 3] [--model other.onnx]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from moviemotion.emotion import DEFAULT_MODEL, Predictor

TARGET = 500.0


def faces_per_second(predictor: Predictor, batch: int, seconds: float) -> float:
    faces = np.random.default_rng(0).integers(0, 256, (batch, 48, 48), dtype=np.uint8)
    predictor.predict(faces)                                  # warm-up
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        predictor.predict(faces)
        n += batch
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the model under test")
    args = ap.parse_args()

    import torch

    from moviemotion.emotion.export import export_onnx
    from moviemotion.emotion.models import build

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"shipped": args.model}
        for arch in ("mini_xception", "bionic"):
            paths[arch] = export_onnx(build(arch).eval(), Path(tmp) / f"{arch}.onnx")
        rows, sizes = {}, {}
        for name, path in paths.items():
            p = Predictor(path, threads=args.threads)
            rows[name] = {b: faces_per_second(p, b, args.seconds) for b in (1, 64)}
            sizes[name] = Path(path).stat().st_size / 1e6
    base = rows["mini_xception"]
    print(f"onnxruntime, {args.threads} threads, faces/s (ratio to mini_xception)")
    print(f"{'model':<15}{'batch 1':>20}{'batch 64':>20}  size MB")
    for name, r in rows.items():
        print(f"{name:<15}{r[1]:>12.0f} ({r[1] / base[1]:.2f}x){r[64]:>12.0f} "
              f"({r[64] / base[64]:.2f}x)  {sizes[name]:.1f}")
    verdict = "PASS" if rows["shipped"][64] >= TARGET else "FAIL"
    print(f"shipped model at batch 64: {rows['shipped'][64]:.0f} faces/s "
          f"(target >= {TARGET:.0f}): {verdict}")


if __name__ == "__main__":
    main()
