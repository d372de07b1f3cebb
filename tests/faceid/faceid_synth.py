"""A small face set built in code: each identity is a fixed random pattern, seen under
changing brightness and noise (what verification must see through)."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np


def make_faces(root: Path, identities: int = 16, per_identity: int = 6, seed: int = 0,
               single: str | None = None) -> Path:
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for k in range(identities):
        pattern = cv2.resize(rng.uniform(40, 215, (6, 5)), (42, 48), interpolation=cv2.INTER_CUBIC)
        n = 1 if single == f"id{k:02d}" else per_identity
        for j in range(n):
            img = np.clip(pattern * rng.uniform(0.7, 1.2) + rng.normal(0, 6, pattern.shape), 0, 255)
            rel = f"id{k:02d}/{j}.png"
            (root / rel).parent.mkdir(exist_ok=True)
            cv2.imwrite(str(root / rel), img.astype(np.uint8))
            rows.append([rel, f"id{k:02d}"])
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "identity"])
        w.writerows(rows)
    return root
