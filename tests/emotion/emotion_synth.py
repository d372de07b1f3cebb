"""Tiny synthetic face sets with known answers (no shared data needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moviemotion.emotion.labels import EMOTIONS


def synthetic_faces(per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Separable 48x48 "faces": class k is a bright 12x12 block at a position of its own
    on a noisy background."""
    rng = np.random.default_rng(seed)
    n = per_class * len(EMOTIONS)
    y = np.repeat(np.arange(len(EMOTIONS)), per_class)
    x = rng.integers(40, 90, (n, 48, 48)).astype(np.uint8)
    for k in range(len(EMOTIONS)):
        r, c = divmod(k, 3)
        x[y == k, 4 + 14 * r:16 + 14 * r, 4 + 14 * c:16 + 14 * c] = 220
    order = rng.permutation(n)
    return x[order], y[order]


def write_npz(path: Path, per_class_train: int = 12, per_class_test: int = 4) -> Path:
    xtr, ytr = synthetic_faces(per_class_train, seed=1)
    xte, yte = synthetic_faces(per_class_test, seed=2)
    xte[:2] = xtr[:2]                      # two exact duplicates of training faces
    yte[:2] = ytr[:2]
    np.savez(path, x=np.concatenate([xtr, xte]), y=np.concatenate([ytr, yte]).astype(np.uint8),
             split=np.r_[np.zeros(len(ytr)), np.ones(len(yte))].astype(np.uint8),
             classes=np.array(EMOTIONS))
    return path
