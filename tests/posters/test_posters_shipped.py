"""The shipped multi-label poster model (CNN ensemble + Fisher member) re-measured on the real
validation posters: it reproduces its model card and the fusion beats the CNN alone
(skips without ../shared/data; ~2.5 min)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from moviemotion.learn.metrics import mean_average_precision
from moviemotion.posters.classifier import FISHER, MODELS, PosterClassifier
from moviemotion.posters.data import read_poster


@pytest.mark.skipif(not FISHER.is_file(), reason="no shipped Fisher member")
def test_shipped_fusion_reproduces_its_card_on_the_validation_posters(shared_data):
    root = shared_data / "posters"
    if not (root / "val.csv").is_file():
        pytest.skip("no posters in the shared data")
    card = json.loads(FISHER.with_suffix(".json").read_text())["metrics"]["val"]
    both = PosterClassifier(threads=2)
    assert both.fisher is not None and MODELS["multilabel"].is_file()
    with open(root / "val.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    y = np.array([[int(r[g]) for g in both.genres] for r in rows])
    fused, cnn = [], []
    cnn_only = PosterClassifier(fisher=False, threads=2)
    for a in range(0, len(rows), 100):
        imgs = [read_poster(root / "images" / f"{r['Id']}.jpg") for r in rows[a:a + 100]]
        fused.append(both.predict(imgs))
        cnn.append(cnn_only.predict(imgs))
    m_fused = mean_average_precision(y, np.concatenate(fused))
    m_cnn = mean_average_precision(y, np.concatenate(cnn))
    assert m_fused == pytest.approx(card["mAP"], abs=2e-3)
    assert m_cnn == pytest.approx(card["cnn_mAP"], abs=2e-3)
    assert m_fused > m_cnn + 0.005
