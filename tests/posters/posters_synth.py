"""A small poster data set built in code: the genre decides the poster's color, so a model
can learn it; tables in the real data's format (Id, Genre, one 0/1 column per genre)."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance"]
COLORS = {"Action": (40, 60, 220), "Comedy": (250, 230, 40), "Horror": (20, 10, 10),
          "Romance": (240, 120, 180), "Drama": (120, 120, 120)}


def make_posters(root: Path, n_train: int = 48, n_val: int = 24, seed: int = 0,
                 genres: list[str] = GENRES) -> Path:
    """``root`` with train.csv, val.csv and images/<Id>.jpg (144 px high, some gray)."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    single = ["Action", "Comedy", "Horror", "Romance"]
    for split, n in (("train", n_train), ("val", n_val)):
        rows = []
        for i in range(n):
            main = single[i % 4]
            labels = {main} | ({"Drama"} if i % 3 == 0 else set())
            pid = f"{split}{i:04d}"
            img = np.empty((144, 96 + int(rng.integers(0, 8)), 3), np.uint8)
            img[:] = COLORS[main][::-1]                                # BGR for OpenCV
            img[60:90] = COLORS["Drama"][::-1] if "Drama" in labels else img[60:90]
            img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
            if i % 7 == 6:                                             # a grayscale poster
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            cv2.imwrite(str(root / "images" / f"{pid}.jpg"), img)
            rows.append([pid, str(sorted(labels))] + [int(g in labels) for g in genres])
        with open(root / f"{split}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["Id", "Genre", *genres])
            w.writerows(rows)
    return root
