"""Tiny synthetic problems with known answers, one per task kind."""

from __future__ import annotations

import numpy as np


def blocks(n: int, size: int = 16, channels: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, C, size, size) uint8 on noise; quadrant mask (n, 4) 0/1 says which quadrants
    hold a bright block (each image at least one)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(20, 70, (n, channels, size, size)).astype(np.uint8)
    quads = rng.integers(0, 2, (n, 4))
    quads[quads.sum(1) == 0, rng.integers(0, 4)] = 1
    h = size // 2
    for q in range(4):
        r, c = divmod(q, 2)
        sel = quads[:, q] == 1
        x[sel, :, r * h + 2:r * h + h - 2, c * h + 2:c * h + h - 2] = 230
    return x, quads


def one_block(n: int, k: int = 3, size: int = 16, channels: int = 3, seed: int = 0):
    """Multiclass: class j is one bright block in quadrant j (k <= 4 classes)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.integers(20, 70, (n, channels, size, size)).astype(np.uint8)
    h = size // 2
    for j in range(k):
        r, c = divmod(j, 2)
        x[y == j, :, r * h + 2:r * h + h - 2, c * h + 2:c * h + h - 2] = 230
    order = rng.permutation(n)
    return x[order], y[order]


def sequences(n: int, t: int = 4, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Regression: (n, t, d) float inputs; two targets: the mean of the first feature and
    the last step's second feature."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, t, d)).astype(np.float32)
    y = np.stack([x[:, :, 0].mean(1), x[:, -1, 1]], axis=1).astype(np.float32)
    return x, y


def identities(n_ids: int, per_id: int, size: int = 16, seed: int = 0):
    """Embedding: gray images (N, size, size) of ``n_ids`` identities (a fixed random pattern
    each, plus noise) and the identity of each."""
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 256, (n_ids, size, size))
    y = np.repeat(np.arange(n_ids), per_id)
    x = np.clip(patterns[y] + rng.normal(0, 25, (len(y), size, size)), 0, 255).astype(np.uint8)
    return x, y
