"""The detector's second look at weak candidates (faces.check): logic, errors, shipped model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moviemotion.errors import InputError, ModelError
from moviemotion.faces import CenterFaceDetector
from moviemotion.faces.centerface import CHECK_FROM, CHECK_THRESHOLD, MODEL_PATH
from moviemotion.faces.check import CHECK_MODEL, FaceCheck


def _frame() -> np.ndarray:
    """A drawn backdrop (objects, stripes, shading) without faces: CenterFace sees a few weak
    candidates in it (heatmap scores between CHECK_FROM and its threshold), no strong one."""
    import cv2

    from moviemotion.samples.faces import textured_background

    return cv2.cvtColor(textured_background((640, 480), np.random.default_rng(1)), cv2.COLOR_RGB2GRAY)


class _Check:
    """A stand-in check that answers ``p`` and remembers what it was asked."""

    def __init__(self, p: float):
        self.p, self.asked = p, []

    def __call__(self, gray, boxes):
        self.asked.append(np.asarray(boxes).copy())
        return np.full(len(boxes), self.p, np.float32)


def test_only_weak_candidates_are_looked_at_and_kept_on_a_yes():
    det = CenterFaceDetector(detect_width=320, min_face=0.01)
    plain = CenterFaceDetector(detect_width=320, min_face=0.01, check=False)
    lowest = CenterFaceDetector(detect_width=320, min_face=0.01, check=False, threshold=CHECK_FROM)
    frame = _frame()
    strong, every = plain.detect(frame), lowest.detect(frame)
    assert len(every) > len(strong)                  # the backdrop gives weak candidates
    det.check = _Check(0.0)                          # "no face" to every weak candidate
    no = det.detect(frame)
    assert len(no) == len(strong)
    assert sum(len(b) for b in det.check.asked) == len(every) - len(strong)
    det.check = _Check(1.0)                          # "face" to every one
    yes = det.detect(frame)
    assert len(yes) == len(every)
    assert np.allclose(np.sort(yes.scores), np.sort(every.scores))   # CenterFace's scores kept
    det.check = _Check(CHECK_THRESHOLD)              # exactly the threshold counts as a face
    assert len(det.detect(frame)) == len(every)


def test_check_off_and_bad_knobs():
    det = CenterFaceDetector(check=False)
    assert det.check is None and det.settings()["check"] is None
    assert CenterFaceDetector().settings()["check"] == {
        "model": CHECK_MODEL.name, "from": CHECK_FROM, "threshold": CHECK_THRESHOLD}
    with pytest.raises(InputError, match="check_from"):
        CenterFaceDetector(check_from=0.0)
    low = CenterFaceDetector(threshold=0.01)          # a threshold below check_from: no weak band
    low.check = _Check(0.0)
    low.detect(_frame())
    assert low.check.asked == []
    with pytest.raises(InputError, match="check_threshold"):
        CenterFaceDetector(check_threshold=1.5)


def test_missing_or_foreign_check_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        FaceCheck(tmp_path / "none.onnx")
    with pytest.raises(ModelError, match="not a face-check model"):
        FaceCheck(MODEL_PATH)                        # CenterFace itself: the wrong input
    with pytest.raises(ModelError, match="not found"):
        CenterFaceDetector(check_model=tmp_path / "none.onnx")


def test_shipped_check_says_no_to_flat_and_noise_and_its_card_matches_the_code():
    check = FaceCheck()
    boxes = np.array([[100, 80, 120, 120], [300, 200, 60, 60], [-20, -20, 80, 80]], np.float32)
    assert (check(np.full((480, 640), 128, np.uint8), boxes) < 0.5).all()
    assert (check(_frame(), boxes) < 0.5).all()
    card = json.loads(CHECK_MODEL.with_suffix(".json").read_text())
    assert card["check_threshold"] == CHECK_THRESHOLD
    assert "train facecheck" in card["command"]
    assert check(np.zeros((10, 10), np.uint8), np.zeros((0, 4))).shape == (0,)
