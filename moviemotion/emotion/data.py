"""Face datasets: FER2013 as users have it (the Kaggle CSV, an image-folder tree, our .npz).

Every loader returns a :class:`FaceSet`: ``x`` uint8 ``(N, 48, 48)`` raw grayscale
faces and ``y`` int64 class indices in :data:`~moviemotion.emotion.labels.EMOTIONS`
order. Splits are named as in FER2013's ``Usage`` column: ``Training``,
``PublicTest``, ``PrivateTest`` (aliases such as ``train``, ``public``, ``val`` work).

>>> from moviemotion.emotion.data import load
>>> train = load("fer2013.csv", "Training")               # doctest: +SKIP
>>> test = load("fer2013/", "test")                       # doctest: +SKIP  (image folders)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError

SIZE = 48
SPLITS = ("Training", "PublicTest", "PrivateTest")
_ALIASES = {
    "training": "Training", "train": "Training",
    "publictest": "PublicTest", "public": "PublicTest", "val": "PublicTest",
    "valid": "PublicTest", "validation": "PublicTest", "test": "PublicTest",
    "privatetest": "PrivateTest", "private": "PrivateTest",
}
# Folder names an image tree may use for each split, most specific first.
_FOLDER_NAMES = {
    "Training": ("Training", "training", "train"),
    "PublicTest": ("PublicTest", "publictest", "public", "val", "valid", "validation", "test"),
    "PrivateTest": ("PrivateTest", "privatetest", "private"),
}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".pgm"}


@dataclass(frozen=True)
class FaceSet:
    """Faces ``x`` (uint8, N x 48 x 48) with class indices ``y`` (int64, N)."""

    x: np.ndarray
    y: np.ndarray
    name: str = ""

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, keep: np.ndarray, name: str | None = None) -> FaceSet:
        """The faces where the boolean mask (or index array) ``keep`` selects."""
        return FaceSet(self.x[keep], self.y[keep], self.name if name is None else name)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=len(EMOTIONS))


def split_name(split: str) -> str:
    """Canonical FER2013 split name for ``split`` (case-insensitive aliases)."""
    canon = _ALIASES.get(split.lower().replace("_", "").replace("-", ""))
    if canon is None:
        raise InputError(f"unknown split {split!r}; use Training, PublicTest or PrivateTest")
    return canon


def load(path: str | Path, split: str) -> FaceSet:
    """Load one split from a ``.npz``, a FER2013 ``.csv`` or an image-folder tree."""
    path = Path(path)
    split = split_name(split)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return load_folder(path, split)
    if path.suffix.lower() == ".npz":
        return load_npz(path, split)
    if path.suffix.lower() == ".csv":
        return load_csv(path, split)
    raise InputError(f"{path}: expected a .npz, a .csv or a folder of class folders")


def load_npz(path: str | Path, split: str) -> FaceSet:
    """Our ``.npz``: arrays ``x`` (N,48,48) uint8, ``y`` class index, ``split`` (0/1/2)."""
    path = Path(path)
    split = split_name(split)
    try:
        with np.load(path, allow_pickle=False) as d:
            missing = {"x", "y", "split"} - set(d.files)
            if missing:
                raise InputError(f"{path}: missing arrays {sorted(missing)} (has {d.files})")
            keep = d["split"] == SPLITS.index(split)
            x, y = d["x"][keep], d["y"][keep].astype(np.int64)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc})") from exc
    return _checked(x, y, f"{path.name}:{split}", path)


def load_csv(path: str | Path, split: str) -> FaceSet:
    """The Kaggle ``fer2013.csv``: columns ``emotion``, ``pixels`` (2304 numbers), ``Usage``.

    A CSV without a ``Usage`` column is taken as a single split (any ``split`` reads it).
    """
    import pyarrow.csv as pacsv

    path = Path(path)
    split = split_name(split)
    try:
        table = pacsv.read_csv(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses
        raise InputError(f"{path}: not a readable CSV file ({exc})") from exc
    missing = {"emotion", "pixels"} - set(table.column_names)
    if missing:
        raise InputError(f"{path}: missing column(s) {sorted(missing)}; expected emotion, "
                         f"pixels and Usage (found {table.column_names})")
    cols = table.to_pydict()
    if "Usage" in cols:
        rows = [i for i, u in enumerate(cols["Usage"]) if u == split]
    else:
        rows = list(range(table.num_rows))
    pixels = [cols["pixels"][i] for i in rows]
    try:
        y = np.asarray([cols["emotion"][i] for i in rows], dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: column 'emotion' must hold class numbers 0-6") from exc
    x = np.empty((len(rows), SIZE, SIZE), np.uint8)
    for k, (row, s) in enumerate(zip(rows, pixels, strict=True)):
        try:
            values = np.array(str(s).split(), dtype=np.int64)
        except ValueError:
            raise InputError(f"{path}: row {row + 2}: 'pixels' is not a list of numbers") from None
        if values.size != SIZE * SIZE or values.min() < 0 or values.max() > 255:
            raise InputError(f"{path}: row {row + 2}: 'pixels' must hold {SIZE * SIZE} values "
                             f"0-255 (found {values.size})")
        x[k] = values.reshape(SIZE, SIZE)
    return _checked(x, y, f"{path.name}:{split}", path)


def load_folder(root: str | Path, split: str) -> FaceSet:
    """An image tree ``root/<split>/<class>/*.png|jpg`` (or ``root/<class>/*`` for one split).

    Class folder names must be emotion names (case-insensitive); images are converted
    to grayscale and resized to 48x48 when needed.
    """
    import cv2

    root = Path(root)
    split = split_name(split)
    base = _split_folder(root, split)
    class_dirs = sorted(p for p in base.iterdir() if p.is_dir())
    if not class_dirs:
        raise InputError(f"{base}: no class folders (expected {', '.join(EMOTIONS)})")
    xs, ys = [], []
    for d in class_dirs:
        label = d.name.lower()
        if label not in EMOTIONS:
            raise InputError(f"{d}: unknown class folder {d.name!r}; class folders must be "
                             f"named {', '.join(EMOTIONS)}")
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        for f in files:
            img = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise InputError(f"{f}: not a readable image")
            if img.shape != (SIZE, SIZE):
                img = cv2.resize(img, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
            xs.append(img)
        ys += [EMOTIONS.index(label)] * len(files)
    if not xs:
        raise InputError(f"{base}: the class folders hold no images (.png, .jpg)")
    return _checked(np.stack(xs), np.asarray(ys, np.int64), f"{root.name}:{split}", base)


def _split_folder(root: Path, split: str) -> Path:
    for name in _FOLDER_NAMES[split]:
        if (root / name).is_dir():
            return root / name
    subdirs = {p.name.lower() for p in root.iterdir() if p.is_dir()}
    if not subdirs:
        raise InputError(f"{root}: empty folder (expected {split}/<class>/*.png)")
    if subdirs & set(EMOTIONS):
        return root              # root/<class>/* : a single split
    raise InputError(f"{root}: no folder for split {split} (looked for "
                     f"{', '.join(_FOLDER_NAMES[split])}; found {', '.join(sorted(subdirs))})")


def _checked(x: np.ndarray, y: np.ndarray, name: str, path: Path) -> FaceSet:
    if x.ndim != 3 or x.shape[1:] != (SIZE, SIZE):
        raise InputError(f"{path}: faces must be {SIZE}x{SIZE}, found shape {x.shape}")
    if len(y) == 0:
        raise InputError(f"{path}: no faces in split {name.rsplit(':', 1)[-1]}")
    if y.min() < 0 or y.max() >= len(EMOTIONS):
        raise InputError(f"{path}: class indices must be 0-{len(EMOTIONS) - 1}")
    return FaceSet(np.ascontiguousarray(x, dtype=np.uint8), y, name)


def duplicates_of(faces: FaceSet, reference: FaceSet) -> np.ndarray:
    """Boolean mask of the faces in ``faces`` that are byte-identical to a face in ``reference``.

    FER2013 holds such exact copies across its splits; evaluation reports accuracy with
    and without them.
    """
    row = np.dtype((np.void, SIZE * SIZE))
    a = np.ascontiguousarray(faces.x).reshape(len(faces), -1).view(row).ravel()
    b = np.ascontiguousarray(reference.x).reshape(len(reference), -1).view(row).ravel()
    return np.isin(a, b)
