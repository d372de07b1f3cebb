"""Affect heads: MediaEval 2018 loaders, training on generated movies with known answers,
the affect analyzer (generated data only; no MediaEval data here)."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.content.affect import (
    AffectAnalyzer,
    AffectHeads,
    fear_seconds,
    load_mediaeval,
    read_fear,
    read_valence_arousal,
    seconds_to_intervals,
    train_affect,
    write_annotations,
)
from moviemotion.errors import InputError, ModelError
from moviemotion.learn.metrics import interval_iou
from moviemotion.signals import Signals


def synthetic_movie(seed: int, n: int = 400):
    """A per-second movie table whose valence/arousal are known functions of its columns and
    whose fear intervals are where a 'darkness' feature is high and loudness too."""
    rng = np.random.default_rng(seed)

    def smooth(x, k=9):
        return np.convolve(x, np.ones(k) / k, mode="same")

    motion = smooth(rng.random(n) * 2)
    loud = smooth(rng.normal(-25, 6, n))
    bright = smooth(rng.random(n))
    fear_flag = np.zeros(n, bool)
    for start in rng.choice(np.arange(20, n - 60), 3, replace=False):
        fear_flag[start:start + int(rng.integers(15, 40))] = True
    bright[fear_flag] = bright[fear_flag] * 0.2
    loud[fear_flag] += 12
    table = Signals.from_columns("movie", "seconds", {
        "time": np.arange(n, dtype=float), "motion": motion, "loudness_momentary": loud,
        "brightness": bright, "colorfulness": smooth(rng.random(n) * 50)})
    valence = np.tanh(1.5 * (bright - 0.5)) - 0.3 * fear_flag
    arousal = np.tanh(0.8 * (motion - 1) + 0.06 * (loud + 25))
    return table, valence, arousal, seconds_to_intervals(fear_flag)


def test_loaders_read_the_mediaeval_layout(tmp_path):
    (tmp_path / "MEDIAEVAL18_00_Valence-Arousal.txt").write_text(
        "Time\tValence\tArousal\n0\t0.1\t-0.2\n1\t0.15\t-0.1\n2\t0.2\t0.0\n")
    (tmp_path / "MEDIAEVAL18_00_Fear.txt").write_text("Id\tStart\tEnd\n1\t0.5\t2.5\n")
    va = read_valence_arousal(tmp_path / "MEDIAEVAL18_00_Valence-Arousal.txt")
    assert va.kind == "seconds" and list(va.time) == [0, 1, 2]
    assert np.allclose(va["valence"], [0.1, 0.15, 0.2]) and np.allclose(va["arousal"], [-0.2, -0.1, 0])
    fear = read_fear(tmp_path / "MEDIAEVAL18_00_Fear.txt")
    assert fear.kind == "events" and list(fear.time) == [0.5] and list(fear.end) == [2.5]
    assert list(fear_seconds(fear, 4)) == [1, 1, 1, 0]  # 0.5 s of second 0 counts
    movies = load_mediaeval(tmp_path)
    assert set(movies) == {"MEDIAEVAL18_00"} and set(movies["MEDIAEVAL18_00"]) == {"va", "fear"}


@pytest.mark.parametrize("text, problem", [
    ("Time\tValence\tArousal\n0\t0.1\n", "3 columns"),
    ("Time\tValence\tArousal\n1\t0.1\t0\n0\t0.1\t0\n", "not increasing"),
    ("Time\tValence\tArousal\n0\tx\t0\n", "expected numbers"),
])
def test_bad_valence_arousal_files_name_the_file(tmp_path, text, problem):
    p = tmp_path / "m_Valence-Arousal.txt"
    p.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        read_valence_arousal(p)
    assert str(p) in str(err.value)


def test_bad_fear_interval(tmp_path):
    p = tmp_path / "m_Fear.txt"
    p.write_text("5\t3\n")
    with pytest.raises(InputError, match="end is not after"):
        read_fear(p)


def test_intervals_round_trip():
    flags = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1])
    assert seconds_to_intervals(flags) == [(1, 3), (5, 6), (7, 10)]
    assert seconds_to_intervals(flags, min_s=2) == [(1, 3), (7, 10)]


def test_heads_learn_known_answers_and_run_as_analyzer(tmp_path):
    movies, ann = {}, {}
    for i in range(5):
        table, v, a, fear = synthetic_movie(i)
        movies[f"m{i}"] = table
        write_annotations(tmp_path / "ann", f"m{i}", v, a, fear)
    ann = load_mediaeval(tmp_path / "ann")
    scores = train_affect(movies, ann, tmp_path / "run", ["m4"], epochs=12, seed=0)
    # known functions of the features: the heads must find them on an unseen movie
    assert scores["valence"]["pearson"] > 0.8 and scores["arousal"]["pearson"] > 0.8
    assert scores["valence"]["mse"] < 0.05
    assert scores["fear"]["interval_iou"] > 0.6 and scores["fear"]["ap"] > 0.8
    # the same numbers from the analyzer applying the saved heads
    analyzer = AffectAnalyzer(model=tmp_path / "run")
    table, _, _, truth = synthetic_movie(4)

    class Run:
        complete, analyzed_until = True, 400.0

    out = analyzer.derive({}, table, Run())
    seconds, intervals = out
    assert seconds.columns == ["time", "valence", "arousal_learned", "fear_p", "fear"]
    assert np.corrcoef(seconds["arousal_learned"], synthetic_movie(4)[2])[0, 1] > 0.8
    assert interval_iou(truth, list(zip(intervals.time, intervals.end, strict=True))) > 0.6
    Run.complete, Run.analyzed_until = False, 200.0
    cut = analyzer.derive({}, table, Run())[0]
    assert np.isnan(cut["valence"][200:]).all() and not np.isnan(cut["valence"][:200]).any()


def test_heads_need_their_columns_and_a_model(tmp_path):
    with pytest.raises(InputError, match="needs a trained model"):
        AffectAnalyzer()
    with pytest.raises(ModelError, match="no affect model"):
        AffectHeads(tmp_path)
