"""Dataset loaders: npz, FER2013 CSV, image folders, their errors, duplicate detection."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from emotion_synth import synthetic_faces

from moviemotion.emotion.data import FaceSet, duplicates_of, load, split_name
from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError


def _write_csv(path: Path, x: np.ndarray, y: np.ndarray, usage: list[str],
               header: str = "emotion,pixels,Usage") -> Path:
    rows = [header] + [f'{label},"{" ".join(map(str, face.ravel()))}",{u}'
                       for face, label, u in zip(x, y, usage, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_npz_splits(tiny_npz: Path) -> None:
    train, test = load(tiny_npz, "Training"), load(tiny_npz, "public")
    assert (len(train), len(test)) == (84, 28)
    assert train.x.dtype == np.uint8 and train.x.shape[1:] == (48, 48)
    assert train.y.dtype == np.int64
    assert (train.class_counts() == 12).all()


def test_csv_round_trip(tmp_path: Path) -> None:
    x, y = synthetic_faces(2)
    usage = ["Training"] * 10 + ["PublicTest"] * 4
    path = _write_csv(tmp_path / "fer2013.csv", x, y, usage)
    train, test = load(path, "train"), load(path, "PublicTest")
    np.testing.assert_array_equal(train.x, x[:10])
    np.testing.assert_array_equal(test.y, y[10:])


def test_csv_wrong_columns(tmp_path: Path) -> None:
    x, y = synthetic_faces(1)
    path = _write_csv(tmp_path / "bad.csv", x, y, ["Training"] * 7, header="label,pixels,Usage")
    with pytest.raises(InputError, match=r"bad.csv: missing column\(s\) \['emotion'\]"):
        load(path, "Training")


@pytest.mark.parametrize("pixels, why", [("1 2 x 4", "not a list of numbers"),
                                         ("1 2 3", "must hold 2304 values"),
                                         (" ".join(["300"] * 2304), "must hold 2304 values")])
def test_csv_bad_pixels(tmp_path: Path, pixels: str, why: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f'emotion,pixels,Usage\n3,"{pixels}",Training\n')
    with pytest.raises(InputError, match=f"row 2: .*{why}"):
        load(path, "Training")


def _write_tree(root: Path, x: np.ndarray, y: np.ndarray, split: str = "train") -> None:
    for i, (face, label) in enumerate(zip(x, y, strict=True)):
        d = root / split / EMOTIONS[label]
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / f"{i:03d}.png"), face)


def test_image_folder_tree(tmp_path: Path) -> None:
    x, y = synthetic_faces(2)
    _write_tree(tmp_path, x, y, "train")
    _write_tree(tmp_path, x[:7], y[:7], "test")
    train = load(tmp_path, "Training")
    assert len(train) == 14 and len(load(tmp_path, "PublicTest")) == 7
    # Same faces, same labels (order is by class folder, then file name).
    got = {(face.tobytes(), label) for face, label in zip(train.x, train.y, strict=True)}
    assert got == {(face.tobytes(), label) for face, label in zip(x, y, strict=True)}


def test_image_folder_resizes_color_images(tmp_path: Path) -> None:
    d = tmp_path / "train" / "happy"
    d.mkdir(parents=True)
    cv2.imwrite(str(d / "big.jpg"), np.full((96, 96, 3), 200, np.uint8))
    faces = load(tmp_path, "train")
    assert faces.x.shape == (1, 48, 48) and abs(int(faces.x[0, 10, 10]) - 200) <= 2
    assert faces.y.tolist() == [EMOTIONS.index("happy")]


def test_image_folder_unknown_class(tmp_path: Path) -> None:
    x, y = synthetic_faces(1)
    _write_tree(tmp_path, x, y)
    (tmp_path / "train" / "bored").mkdir()
    with pytest.raises(InputError, match="unknown class folder 'bored'"):
        load(tmp_path, "train")


def test_image_folder_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty folder"):
        load(tmp_path, "train")
    (tmp_path / "train" / "sad").mkdir(parents=True)
    with pytest.raises(InputError, match="hold no images"):
        load(tmp_path, "train")


def test_missing_and_unknown_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope.csv", "train")
    (tmp_path / "faces.txt").write_text("hi")
    with pytest.raises(InputError, match="expected a .npz"):
        load(tmp_path / "faces.txt", "train")
    with pytest.raises(InputError, match="unknown split"):
        split_name("holdout")


def test_duplicates_of_finds_exact_copies_only() -> None:
    x, y = synthetic_faces(2)
    ref = FaceSet(x[:5], y[:5])
    probe = x[3:9].copy()
    probe[-1] = x[0]
    probe[-1, 0, 0] ^= 1                    # one changed pixel: not a duplicate
    mask = duplicates_of(FaceSet(probe, y[3:9]), ref)
    assert mask.tolist() == [True, True, False, False, False, False]


def test_single_split_folder(tmp_path: Path) -> None:
    x, y = synthetic_faces(1)
    for i, (face, label) in enumerate(zip(x, y, strict=True)):
        (tmp_path / EMOTIONS[label]).mkdir()
        cv2.imwrite(str(tmp_path / EMOTIONS[label] / f"{i}.png"), face)
    assert len(load(tmp_path, "PublicTest")) == 7
    (tmp_path / "Bored").mkdir()
    with pytest.raises(InputError, match="unknown class folder 'Bored'"):
        load(tmp_path, "PublicTest")


def test_folder_without_the_split(tmp_path: Path) -> None:
    (tmp_path / "train" / "happy").mkdir(parents=True)
    with pytest.raises(InputError, match="no folder for split PrivateTest"):
        load(tmp_path, "private")
