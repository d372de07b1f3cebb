"""The shipped face embedding on the real data: its card's test score is what FaceVerifier
measures on the unseen identities, and it beats the raw-pixel baseline on the same pairs."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from moviemotion.faceid.verifier import MODEL, FaceVerifier
from moviemotion.learn.metrics import verification_scores

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="no shipped face model")


def test_shipped_model_on_unseen_identities(shared_data):
    root = shared_data / "faces" / "yaleb_cropped"
    card = json.loads(MODEL.with_suffix(".json").read_text())
    test_ids = set(card["identities"]["test"])
    assert not test_ids & set(card["identities"]["train"])
    rows = [ln.split(",") for ln in (root / "labels.csv").read_text().split()[1:]]
    rows = [(p, i) for p, i in rows if i in test_ids]
    faces = [cv2.imread(str(root / p), cv2.IMREAD_GRAYSCALE) for p, _ in rows]
    labels = np.array([i for _, i in rows])
    v = FaceVerifier()
    scores = verification_scores(labels, v.embed(faces))
    assert scores["eer"] == pytest.approx(card["metrics"]["test identities"]["eer"], abs=0.01)
    assert scores["eer"] <= 0.05  # the target on unseen identities (CNN fused with Fisherfaces)
    assert scores["eer"] < card["metrics"]["test identities, CNN alone"]["eer"]
    pixels = np.stack([cv2.resize(f, (42, 48), interpolation=cv2.INTER_AREA) for f in faces])
    flat = pixels.reshape(len(pixels), -1).astype(float)
    baseline = verification_scores(labels, flat - flat.mean(axis=1, keepdims=True))
    assert scores["eer"] < baseline["eer"] - 0.2
    assert scores["roc_auc"] > baseline["roc_auc"] + 0.2
