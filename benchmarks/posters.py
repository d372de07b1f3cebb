"""Speed of the shipped multi-label poster model: the CNN ensemble alone against the CNN + the
Fisher-vector member (the default), measured in one run.

    python benchmarks/posters.py [--posters 60] [--threads 2]

Makes ``--posters`` poster-like images in code (300 x 200, smooth colour fields with text-like
stripes; the shared data is not needed), warms both models up, and prints milliseconds per
poster for ``PosterClassifier(fisher=False)`` (the baseline), ``PosterClassifier()`` and the
ratio, then the member's breakdown per poster: dense SIFT + Lab colour, local colour
statistics, the two Fisher vectors, the regressions.

Measured on the 2-core machine (2026-11-29, 40 posters): CNN 7.3 ms, fused 139 ms per poster
(19x); dense SIFT + Lab colour 99 ms of it, colour statistics 2 ms, the two Fisher vectors
10 ms, the regressions 0.02 ms. Posters are not a per-frame path, so the default keeps the
member (0.3007 vs 0.290 val macro mAP, docs/posters.md); ``--no-fisher`` is the fast path.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_posters(n: int, seed: int = 0) -> list[np.ndarray]:
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        small = rng.integers(0, 255, (4, 3, 3)).astype(np.uint8)
        img = cv2.resize(small, (200, 300), interpolation=cv2.INTER_CUBIC)
        for y in rng.integers(10, 280, 4):                       # title-like stripes
            img[y:y + 8, 20:180] = rng.integers(0, 255, 3)
        out.append(np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8))
    return out


def per_poster_ms(fn, n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return 1000 * best / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posters", type=int, default=60)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads")
    a = ap.parse_args()

    from moviemotion.posters.classifier import FISHER, PosterClassifier
    from moviemotion.posters.data import resize

    if not FISHER.is_file():
        raise SystemExit(f"{FISHER}: no shipped Fisher member")
    imgs = make_posters(a.posters)
    cnn = PosterClassifier(fisher=False, threads=a.threads)
    both = PosterClassifier(threads=a.threads)
    cnn.predict(imgs[:2])
    both.predict(imgs[:2])
    t_cnn = per_poster_ms(lambda: cnn.predict(imgs), len(imgs))
    t_both = per_poster_ms(lambda: both.predict(imgs), len(imgs), repeat=1)
    print(f"{len(imgs)} posters, onnxruntime threads {a.threads}")
    print(f"  CNN ensemble alone (baseline)  {t_cnn:7.1f} ms per poster")
    print(f"  CNN + Fisher member (default)  {t_both:7.1f} ms per poster  ({t_both / t_cnn:.1f}x the baseline)")

    import cv2

    from moviemotion.learn.fisher import GridDescriber

    member = both.fisher
    x = np.stack([resize(i, member.size) for i in imgs])
    d = GridDescriber(*member.size, int(member.settings["step"]), member.settings["sizes"])

    rgb = [np.ascontiguousarray(p.transpose(1, 2, 0)) for p in x]
    t_sift = per_poster_ms(lambda: [(d.sift(cv2.cvtColor(r, cv2.COLOR_RGB2GRAY)), d.sift.local_color(r))
                                    for r in rgb], len(rgb), repeat=1)
    t_lcs = per_poster_ms(lambda: [d.color(r) for r in rgb], len(rgb), repeat=1)
    desc = member.describe(x)
    t_fv = per_poster_ms(lambda: [member._fisher_vectors(c, desc) for c in ("sift", "color")],
                         len(x), repeat=1)
    fv = {c: member._fisher_vectors(c, desc) for c in ("sift", "color")}
    t_reg = per_poster_ms(lambda: [fv[c] @ member.coef[c].T for c in fv], len(x))
    print("  member breakdown per poster:")
    print(f"    dense SIFT + Lab colour       {t_sift:7.1f} ms")
    print(f"    local colour statistics       {t_lcs:7.1f} ms")
    print(f"    two Fisher vectors            {t_fv:7.1f} ms")
    print(f"    regressions                   {t_reg:7.3f} ms")


if __name__ == "__main__":
    main()
