"""Checks on the real FER2013 data (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moviemotion.emotion import DEFAULT_MODEL, Predictor
from moviemotion.emotion.data import duplicates_of, load
from moviemotion.emotion.evaluate import evaluate

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def fer(shared_data: Path) -> Path:
    path = shared_data / "fer2013_train_public.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_fer_splits_and_duplicates(fer: Path) -> None:
    train, test = load(fer, "Training"), load(fer, "PublicTest")
    assert (len(train), len(test)) == (28_709, 3_589)
    assert (train.class_counts() > 400).all()
    assert 0 < duplicates_of(test, train).sum() < 400


def test_shipped_model_scores_as_its_card_says(fer: Path) -> None:
    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    result = evaluate(Predictor(threads=2).predict, load(fer, "PublicTest"),
                      reference=load(fer, "Training"))
    assert result["full"].accuracy == pytest.approx(card["metrics"]["full"]["accuracy"], abs=1e-3)
    assert result["dedup"].accuracy == pytest.approx(card["metrics"]["dedup"]["accuracy"],
                                                     abs=1e-3)
    assert result["full"].accuracy > 0.62           # majority class alone scores 25%
    recall = np.asarray(result["full"].recall)
    assert recall[3] > 0.7                           # happy is the easiest class
