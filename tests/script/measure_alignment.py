"""Measure the alignment on derived pairs (the table in docs/script.md).

``.venv/bin/python tests/script/measure_alignment.py [--seeds 3] [--first-seed 0] [TEXT_FOLDER]`` (default:
``$MOVIEMOTION_SHARED_DATA/text`` or ``../shared/data/text``)

Per screenplay: the share of scenes whose start and end are both within 1 s of the truth,
without and with shot cuts (mean and worst seed), within 3 s, and the *observable bound*: the
share an ideal estimator would expect without cuts, given the same matched lines, when each
free element's time has the derivation's spread (uniform +-20 %, a standard deviation of
0.2/sqrt(3) of its length) -- the rest is randomness no text length can predict.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from scipy.special import erf

from moviemotion.samples.script import derive_pair
from moviemotion.script import align as A
from moviemotion.script.screenplay import read_screenplay
from moviemotion.script.subtitles import read_subtitles

NAMES = ("Brick-and-Steel", "Big-Fish", "The-Last-Birthday-Card")
SPREAD = 0.2 / np.sqrt(3)


def bound(sp, a: A.Alignment, subs, duration: float) -> tuple[float, float]:
    """(expected share within 1 s for an ideal estimator, share of scenes with a boundary
    whose conditional spread exceeds 0.5 s)."""
    lay = A._layout(sp, a.cues_of_line, subs.time, subs.end)
    n = lay.mu.size
    lay.var = lay.mu ** 2 * SPREAD ** 2
    fixed = {k: v for k, v in lay.fixed.items() if 0 < k < n} | {0: 0.0, n: duration}
    pos = sorted(fixed)
    times, sigma = np.zeros(n + 1), np.zeros(n + 1)
    for b1, b2 in zip(pos[:-1], pos[1:], strict=True):
        lay._segment(b1, fixed[b1], b2, fixed[b2], times, sigma)
    s = np.append(sigma[lay.heads], 0.0)
    p = erf(1 / (np.maximum(s, 1e-9) * np.sqrt(2)))
    return float(np.mean(p[:-1] * p[1:])), float(np.mean((s[:-1] > 0.5) | (s[1:] > 0.5)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("MOVIEMOTION_SHARED_DATA",
                                  Path(__file__).resolve().parents[3] / "shared" / "data"))
    ap.add_argument("folder", nargs="?", default=default / "text")
    ap.add_argument("--seeds", type=int, default=3, help="how many seeds")
    ap.add_argument("--first-seed", type=int, default=0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    print("screenplay | within 1 s (mean, worst) | with cuts (mean, worst) | within 3 s | "
          "observable bound | scenes with a boundary spread > 0.5 s")
    for name in NAMES:
        sp = read_screenplay(Path(args.folder) / f"{name}.fountain")
        ok, ok_cuts, ok3, bounds, spread = [], [], [], [], []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            pair = derive_pair(sp, seed=seed)
            (tmp / "d.srt").write_text(pair.srt)
            subs = read_subtitles(tmp / "d.srt", offset=pair.offset, speed=pair.speed)
            for cuts, out in ((None, ok), (pair.cuts, ok_cuts)):
                a = A.align(sp, subs, pair.duration, cuts)
                err = np.maximum(np.abs(a.scenes.time - pair.scene_start),
                                 np.abs(a.scenes.end - pair.scene_end))
                out.append(np.mean(err <= 1))
                if cuts is None:
                    ok3.append(np.mean(err <= 3))
                    b, s = bound(sp, a, subs, pair.duration)
                    bounds.append(b)
                    spread.append(s)
        print(f"{name} | {np.mean(ok):.1%}, {min(ok):.1%} | {np.mean(ok_cuts):.1%}, "
              f"{min(ok_cuts):.1%} | {np.mean(ok3):.1%} | {np.mean(bounds):.1%} | "
              f"{np.mean(spread):.0%}")


if __name__ == "__main__":
    main()
