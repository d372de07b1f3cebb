"""Evaluation scores, test-time augmentation views, the confusion-matrix picture."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from emotion_synth import synthetic_faces

from moviemotion.emotion.data import FaceSet
from moviemotion.emotion.evaluate import evaluate, scores, tta_views, write_report


def test_scores_known_answer() -> None:
    y = np.array([0, 0, 3, 3, 3, 6])
    pred = np.array([0, 3, 3, 3, 6, 6])
    s = scores(np.eye(7)[pred], y)
    assert s.accuracy == 4 / 6
    assert s.precision[0] == 1.0 and s.recall[0] == 0.5
    assert s.recall[3] == 2 / 3 and s.precision[3] == 2 / 3
    assert s.confusion[0][3] == 1 and s.confusion[3][6] == 1
    assert s.support == [2, 0, 0, 3, 0, 0, 1]
    # Macro-F1 averages over all 7 classes (absent classes count as 0).
    assert abs(s.macro_f1 - np.mean([2 / 3, 0, 0, 2 / 3, 0, 0, 2 / 3])) < 1e-9


def test_tta_views() -> None:
    x = np.arange(2 * 48 * 48, dtype=np.uint8).reshape(2, 48, 48)
    views = tta_views(x)
    assert len(views) == 10 and all(v.shape == x.shape for v in views)
    np.testing.assert_array_equal(views[0], x)
    np.testing.assert_array_equal(views[1], x[:, :, ::-1])
    np.testing.assert_array_equal(views[2][:, 2:], x[:, :-2])   # content moved down 2 px


def test_evaluate_with_dedup_and_report(tmp_path: Path) -> None:
    x, y = synthetic_faces(3)
    test = FaceSet(x, y, "toy")
    reference = FaceSet(x[:4], y[:4])

    def oracle(faces: np.ndarray) -> np.ndarray:      # right except on the first 4 faces
        out = np.eye(7, dtype=np.float32)[y].copy()
        out[:4] = np.roll(out[:4], 1, axis=1)
        return out[: len(faces)]

    result = evaluate(oracle, test, reference=reference)
    assert result["duplicates"] == 4
    assert result["full"].accuracy == (21 - 4) / 21
    assert result["dedup"].accuracy == 1.0 and result["dedup"].n == 17
    files = write_report(result, tmp_path / "report", title="oracle")
    names = {f.name for f in files}
    assert {"evaluation.json", "classification_report.txt", "confusion_matrix.png"} <= names
    img = cv2.imread(str(tmp_path / "report" / "confusion_matrix.png"))
    assert img is not None and img.shape[0] > 300
    assert "accuracy" in (tmp_path / "report" / "classification_report.txt").read_text()
