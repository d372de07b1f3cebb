"""Face-verification data: a folder of face crops with ``labels.csv`` (``path,identity``),
read once into a gray uint8 array, and a seeded split by identity.

Every problem is a one-line :class:`~moviemotion.errors.InputError` naming the file: a
missing or unreadable image, a table without ``path``/``identity`` columns, an identity with
a single image (no positive pair: nothing to learn or verify).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError
from moviemotion.io import read_csv_rows, read_image

#: Model input (height, width): Yale B crops are 192x168.
INPUT_SIZE = (48, 42)


@dataclass(frozen=True)
class FaceSet:
    """Face images (N, H, W) uint8, identity per face (N,) and the identity names."""

    x: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]

    def subset(self, identities: Sequence[int]) -> FaceSet:
        keep = np.isin(self.y, identities)
        return FaceSet(self.x[keep], self.y[keep], self.names)


def read_labels(folder: str | Path) -> list[tuple[Path, str]]:
    """(image path, identity) rows of ``<folder>/labels.csv``; every identity needs 2+ images."""
    folder = Path(folder)
    path = folder / "labels.csv" if folder.is_dir() else folder
    table = read_csv_rows(path, "face table (labels.csv with path,identity)")
    rows = [dict(zip(table[0], r, strict=False)) for r in table[1:] if r] if table else []
    if not rows or not {"path", "identity"} <= set(rows[0]):
        raise InputError(f"{path}: needs the columns path,identity and at least one row")
    out = [(path.parent / r["path"], r["identity"]) for r in rows]
    counts = Counter(i for _, i in out)
    single = sorted(i for i, c in counts.items() if c < 2)
    if single:
        raise InputError(f"{path}: identity {', '.join(single[:5])} has a single image "
                         "(verification needs at least 2 images per identity)")
    return out


def read_face(path: str | Path, size: tuple[int, int] | None = INPUT_SIZE) -> np.ndarray:
    """One face crop as gray uint8 (H, W) at ``size`` (None: as stored; color converted, BT.601)."""
    import cv2

    img = read_image(path, "face image", cv2.IMREAD_GRAYSCALE)
    return img if size is None else to_gray(img, size)


def to_gray(img: np.ndarray, size: tuple[int, int] = INPUT_SIZE, bgr: bool = False) -> np.ndarray:
    """A face crop of any size, gray or color (RGB, or BGR with ``bgr``) -> gray (H, W)."""
    import cv2

    img = np.asarray(img)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        img = cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]),
                           cv2.COLOR_BGR2GRAY if bgr else cv2.COLOR_RGB2GRAY)
    if img.ndim != 2 or min(img.shape) < 1:
        raise InputError(f"expected a gray or color face crop, got an array of shape {img.shape}")
    h, w = size
    interp = cv2.INTER_AREA if img.shape[0] >= h else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=interp)


def equalize(x: np.ndarray) -> np.ndarray:
    """Histogram-equalized copies of gray faces (N, H, W) uint8: what the embedding sees
    (it takes away most of the global lighting; the raw-pixel baseline does without)."""
    import cv2

    return np.stack([cv2.equalizeHist(np.ascontiguousarray(f)) for f in x]) if len(x) else x.copy()


def read_faces(folder: str | Path, size: tuple[int, int] = INPUT_SIZE) -> FaceSet:
    """Every face of ``folder`` (see :func:`read_labels`) at ``size``."""
    from moviemotion.progress import progress_bar

    rows = read_labels(folder)
    names = tuple(sorted({i for _, i in rows}))
    index = {n: k for k, n in enumerate(names)}
    x = np.empty((len(rows), *size), np.uint8)
    with progress_bar() as bar:
        t = bar.add_task("reading faces", total=len(rows), unit="faces")
        for k, (p, _) in enumerate(rows):
            x[k] = read_face(p, size)
            bar.advance(t)
    return FaceSet(x, np.array([index[i] for _, i in rows], np.int64), names)


def split_identities(n_identities: int, seed: int = 0, val: int = 5,
                     test: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded split of identity indices into (train, val, test); val picks the best epoch,
    test (never seen in training or selection) is what the model card reports."""
    if n_identities < val + test + 2:
        raise InputError(f"{n_identities} identities: too few to hold out {val} + {test} "
                         "and train on at least 2")
    order = np.random.default_rng(seed).permutation(n_identities)
    return np.sort(order[val + test:]), np.sort(order[:val]), np.sort(order[val:val + test])
