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


@dataclass(frozen=True)
class FaceSet:
    """Faces ``x`` (uint8, N x 48 x 48) with class indices ``y`` (int64, N)."""

    x: np.ndarray
    y: np.ndarray
    name: str = ""
    whole_file: bool = False      # the source had no split column: every split is the same faces

    def __len__(self) -> int:
        return len(self.y)

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
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as d:
            missing = {"x", "y", "split"} - set(d.files)
            if missing:
                raise InputError(f"{path}: missing arrays {sorted(missing)} (has {d.files})")
            keep = d["split"] == SPLITS.index(split)
            x, y = d["x"][keep], d["y"][keep]
    except InputError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, zlib errors, OSError, ValueError ...
        raise InputError(f"{path}: not a readable .npz file ({_first_line(exc)})") from None
    if not np.issubdtype(y.dtype, np.integer):
        raise InputError(f"{path}: array 'y' must hold class numbers 0-6 (found {y.dtype})")
    y = y.astype(np.int64)
    return _checked(x, y, f"{path.name}:{split}", path)


def load_csv(path: str | Path, split: str) -> FaceSet:
    """The Kaggle ``fer2013.csv``: columns ``emotion``, ``pixels`` (2304 numbers), ``Usage``.

    A CSV without a ``Usage`` column is taken as a single split (any ``split`` reads it; the
    :class:`FaceSet` says ``whole_file``). Parsed column-wise with pyarrow (no Python loop
    per row); errors name the first bad row.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    split = split_name(split)
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"pixels": pa.string(), "Usage": pa.string()}))
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses
        raise InputError(f"{path}: not a readable CSV file ({_first_line(exc)})") from None
    missing = {"emotion", "pixels"} - set(table.column_names)
    if missing:
        raise InputError(f"{path}: missing column(s) {sorted(missing)}; expected emotion, "
                         f"pixels and Usage (found {table.column_names})")
    whole_file = "Usage" not in table.column_names
    if whole_file:
        rows = np.arange(table.num_rows)
    else:
        usage = table["Usage"].to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(usage == split)
    take = pa.array(rows, pa.int64())
    try:
        y = np.asarray(table["emotion"].take(take).to_numpy(zero_copy_only=False), dtype=np.int64)
    except (TypeError, ValueError):
        raise InputError(f"{path}: column 'emotion' must hold class numbers 0-6") from None
    x = _parse_pixels(table["pixels"].take(take), rows, path)
    return _checked(x, y, f"{path.name}:{split}", path, whole_file=whole_file)


def _parse_pixels(column, rows: np.ndarray, path: Path) -> np.ndarray:
    """(N, 48, 48) uint8 from a column of space-separated numbers; InputError naming the
    first row (1-based file line, header = line 1) whose values are not 2304 numbers 0-255."""
    import warnings

    import pyarrow.compute as pc

    n, want = len(rows), SIZE * SIZE
    # Fast path, for the file as Kaggle writes it (digits and single spaces): one parse of the
    # whole column; the checks below make it exact, anything else takes the checked path.
    if n and column.null_count == 0 and pc.all(pc.match_substring_regex(
            column, r"^[0-9]+( [0-9]+)*$")).as_py():
        spaces = pc.count_substring(column, " ").to_numpy(zero_copy_only=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            values = np.fromstring(" ".join(column.to_pylist()), dtype=np.int64, sep=" ")
        if (spaces == want - 1).all() and values.size == n * want and values.max() <= 255:
            return values.astype(np.uint8).reshape(n, SIZE, SIZE)
    lists = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(column))
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(lists)
    row_of = np.repeat(np.arange(n), lengths)
    digits = pc.utf8_is_digit(flat).to_numpy(zero_copy_only=False).astype(bool)
    short = pc.utf8_length(flat).to_numpy(zero_copy_only=False) <= 3
    ok = digits & short
    values = np.zeros(len(flat), np.int64)
    try:
        values[ok] = pc.cast(flat.filter(ok), "int64").to_numpy(zero_copy_only=False)
    except Exception:  # unusual digit characters
        ok[:] = False
        digits[:] = False
    bad_number = np.zeros(n, bool)
    bad_number[row_of[~digits]] = True
    bad_range = np.zeros(n, bool)
    bad_range[row_of[(digits & ~short) | (values > 255)]] = True
    bad_count = lengths != want
    bad = np.flatnonzero(bad_number | bad_count | bad_range)
    if len(bad):
        k = bad[0]
        if bad_number[k]:
            raise InputError(f"{path}: row {rows[k] + 2}: 'pixels' is not a list of numbers "
                             f"0-255")
        raise InputError(f"{path}: row {rows[k] + 2}: 'pixels' must hold {want} values "
                         f"0-255 (found {lengths[k]}"
                         f"{', one above 255' if bad_range[k] else ''})")
    return values.astype(np.uint8).reshape(n, SIZE, SIZE)


def load_folder(root: str | Path, split: str) -> FaceSet:
    """An image tree ``root/<split>/<class>/*.png|jpg`` (or ``root/<class>/*`` for one split).

    Class folder names must be emotion names (case-insensitive); images are converted
    to grayscale and resized to 48x48 when needed.
    """
    import cv2

    from moviemotion.video.images import IMAGE_SUFFIXES  # not at module level: that needs PyAV

    suffixes = IMAGE_SUFFIXES | {".pgm"}
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
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in suffixes)
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
    return _checked(np.stack(xs), np.asarray(ys, np.int64), f"{root.name}:{split}", base,
                    whole_file=base == root)


def _split_folder(root: Path, split: str) -> Path:
    for name in _FOLDER_NAMES[split]:
        if (root / name).is_dir():
            return root / name
    subdirs = {p.name.lower() for p in root.iterdir() if p.is_dir()}
    if not subdirs:
        raise InputError(f"{root}: empty folder (expected {split}/<class>/*.png)")
    if subdirs & set(EMOTIONS):
        return root              # root/<class>/* : a single split (FaceSet.whole_file)
    raise InputError(f"{root}: no folder for split {split} (looked for "
                     f"{', '.join(_FOLDER_NAMES[split])}; found {', '.join(sorted(subdirs))})")


def _checked(x: np.ndarray, y: np.ndarray, name: str, path: Path,
             whole_file: bool = False) -> FaceSet:
    if x.ndim != 3 or x.shape[1:] != (SIZE, SIZE):
        raise InputError(f"{path}: faces must be {SIZE}x{SIZE}, found shape {x.shape}")
    if len(y) == 0:
        raise InputError(f"{path}: no faces in split {name.rsplit(':', 1)[-1]}")
    if len(y) != len(x):
        raise InputError(f"{path}: {len(x)} faces but {len(y)} labels")
    if y.min() < 0 or y.max() >= len(EMOTIONS):
        raise InputError(f"{path}: class indices must be 0-{len(EMOTIONS) - 1}")
    if x.dtype != np.uint8:
        if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
            raise InputError(f"{path}: pixel values must be numbers 0-255 (found {x.dtype})")
        lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
        if not (0 <= lo and hi <= 255) or (np.issubdtype(x.dtype, np.floating)
                                           and not np.array_equal(x, np.round(x))):
            raise InputError(f"{path}: pixel values must be whole numbers 0-255 "
                             f"(found {lo:g} to {hi:g})")
    return FaceSet(np.ascontiguousarray(x, dtype=np.uint8), y, name, whole_file)


def duplicates_of(faces: FaceSet, reference: FaceSet) -> np.ndarray:
    """Boolean mask of the faces in ``faces`` that are byte-identical to a face in ``reference``.

    FER2013 holds such exact copies across its splits; evaluation reports accuracy with
    and without them.
    """
    row = np.dtype((np.void, SIZE * SIZE))
    a = np.ascontiguousarray(faces.x).reshape(len(faces), -1).view(row).ravel()
    b = np.ascontiguousarray(reference.x).reshape(len(reference), -1).view(row).ravel()
    return np.isin(a, b)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
