"""Poster data: the genre table (``train.csv``/``val.csv``), poster images, a cached array.

A genre table has an ``Id`` column, optionally ``Genre`` (the genres as Python-list text, not
used), then one 0/1 column per genre. Posters are ``images/<Id>.jpg`` beside the tables.
:func:`poster_arrays` reads every poster once, resized to the model's input (H, W), into a
uint8 array (N, 3, H, W) cached as ``.npz`` (reused while the tables and size are the same).

Every problem is a one-line :class:`~moviemotion.errors.InputError` naming the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError
from moviemotion.io import read_csv_rows, read_image

#: The single-label task of the seed: posters with exactly one of these genres.
SINGLE_GENRES = ("Comedy", "Horror", "Action", "Romance")
#: Default model input (height, width): posters are 144 px high, about 2:3.
INPUT_SIZE = (64, 44)
_NOT_GENRES = ("Id", "Genre")


@dataclass(frozen=True)
class GenreTable:
    """One genre table: poster ids, 0/1 labels (N, G) and the genre names."""

    path: Path
    ids: tuple[str, ...]
    labels: np.ndarray
    genres: tuple[str, ...]

    def columns(self, genres: Sequence[str]) -> np.ndarray:
        """The labels of ``genres`` (N, len(genres)); a genre the table lacks is an error."""
        missing = [g for g in genres if g not in self.genres]
        if missing:
            raise InputError(f"{self.path}: missing genre column(s) {', '.join(missing)}")
        return self.labels[:, [self.genres.index(g) for g in genres]]


def read_genre_table(path: str | Path, genres: Sequence[str] | None = None) -> GenreTable:
    """Read a genre table; with ``genres``: those columns must all be there."""
    path = Path(path)
    rows = read_csv_rows(path, "genre table")
    if not rows or "Id" not in rows[0]:
        raise InputError(f"{path}: not a genre table (needs an 'Id' column and 0/1 genre columns)")
    header = rows[0]
    names = tuple(h for h in header if h not in _NOT_GENRES)
    if not names:
        raise InputError(f"{path}: no genre columns (only {', '.join(header)})")
    if genres is not None:
        missing = [g for g in genres if g not in names]
        if missing:
            raise InputError(f"{path}: missing genre column(s) {', '.join(missing)}")
    id_col, cols = header.index("Id"), [header.index(g) for g in names]
    ids, labels = [], np.zeros((len(rows) - 1, len(names)), np.uint8)
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InputError(f"{path}: line {i + 2} has {len(row)} fields, the header {len(header)}")
        ids.append(row[id_col])
        for j, c in enumerate(cols):
            if row[c] not in ("0", "1"):
                raise InputError(f"{path}: line {i + 2}, genre {names[j]}: {row[c]!r} is not 0 or 1")
            labels[i, j] = row[c] == "1"
    if not ids:
        raise InputError(f"{path}: no posters listed")
    return GenreTable(path, tuple(ids), labels, names)


def frequent_genres(table: GenreTable, min_count: int = 50) -> tuple[str, ...]:
    """Genres with at least ``min_count`` posters in ``table`` (the multi-label outputs)."""
    counts = table.labels.sum(axis=0)
    return tuple(g for g, c in zip(table.genres, counts, strict=True) if c >= min_count)


def check_seen(table: GenreTable, genres: Sequence[str]) -> None:
    """Every genre of ``genres`` must have a positive poster in ``table`` (InputError)."""
    counts = dict(zip(genres, table.columns(genres).sum(axis=0).tolist(), strict=True))
    never = [g for g in genres if counts[g] == 0]
    if never:
        raise InputError(f"{table.path}: genre(s) never seen in training: {', '.join(never)}")


def single_label(table: GenreTable, genres: Sequence[str] = SINGLE_GENRES) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, class index) of the posters with exactly one of ``genres``."""
    y = table.columns(genres)
    rows = np.flatnonzero(y.sum(axis=1) == 1)
    return rows, y[rows].argmax(axis=1)


def read_poster(path: str | Path) -> np.ndarray:
    """One poster as RGB uint8 (H, W, 3), grayscale posters converted; unreadable: InputError."""
    return to_rgb(read_image(path, "poster image"), bgr=True)


def to_rgb(img: np.ndarray, bgr: bool = False) -> np.ndarray:
    """An image (H, W) gray, (H, W, 1), (H, W, 3) or (H, W, 4) -> RGB uint8 (H, W, 3)."""
    import cv2

    img = np.asarray(img)
    if img.dtype != np.uint8:
        if img.dtype == np.uint16:
            img = (img // 257).astype(np.uint8)
        else:
            img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise InputError(f"expected a gray or color image, got an array of shape {img.shape}")
    img = img[:, :, :3]
    return np.ascontiguousarray(img[:, :, ::-1] if bgr else img)


def resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """RGB (H, W, 3) -> (3, h, w) uint8 at ``size`` = (h, w), area averaging when shrinking."""
    import cv2

    h, w = size
    interp = cv2.INTER_AREA if img.shape[0] >= h else cv2.INTER_LINEAR
    return cv2.resize(img, (w, h), interpolation=interp).transpose(2, 0, 1)


def poster_arrays(folder: str | Path, ids: Sequence[str], size: tuple[int, int] = INPUT_SIZE,
                  cache: str | Path | None = None) -> np.ndarray:
    """Posters ``<folder>/<id>.jpg`` resized to ``size`` as uint8 (N, 3, H, W), read once and
    kept in ``cache`` (an .npz path; rebuilt when the ids or size change)."""
    from moviemotion.io import atomic_path
    from moviemotion.progress import progress_bar

    folder = Path(folder)
    key = hashlib.sha256(("\n".join(ids) + f"|{size}").encode()).hexdigest()[:16]
    if cache is not None and Path(cache).is_file():
        try:
            with np.load(cache) as z:
                if str(z["key"]) == key:
                    return z["x"]
        except (OSError, ValueError, KeyError):
            pass                                # a stale or broken cache: rebuild it
    out = np.empty((len(ids), 3, *size), np.uint8)
    with progress_bar() as bar:
        t = bar.add_task(f"reading posters at {size[0]}x{size[1]}", total=len(ids), unit="posters")
        for i, pid in enumerate(ids):
            out[i] = resize(read_poster(folder / f"{pid}.jpg"), size)
            bar.advance(t)
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(Path(cache)) as tmp, open(tmp, "wb") as f:
            np.savez(f, x=out, key=np.array(key))
    return out
