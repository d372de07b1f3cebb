"""Per-line and per-scene feelings, the arc, and the comparison, on audiences with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from script_helpers import write_audience

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.script import arc as arcs
from moviemotion.script import compare as cmp
from moviemotion.script.feelings import summarize
from moviemotion.script.inputs import read_audience


def test_lines_get_the_feelings_that_follow_them(audience_dir):
    aud = read_audience(audience_dir)
    out = summarize(aud, np.array([4.0, 11.0, 14.0]), np.array([6.0, 13.0, 17.0]), lag=1.0)
    # lag 1 s: [5, 7) is happy, [12, 14) surprise, [15, 18) sad
    assert out["dominant"] == ["happy", "surprise", "sad"]
    assert out["happy"][0] == pytest.approx(0.8)
    assert out["viewers"] == [3.0, 3.0, 3.0]
    assert out["peaks"] == [1, 1, 1] and out["peak_emotions"] == ["happy", "surprise", "sad"]
    assert out["valence"][0] == pytest.approx(0.8 * 0.81 + sum(
        0.2 / 6 * arcs.CIRCUMPLEX[e][0] for e in EMOTIONS if e != "happy"))
    no_lag = summarize(aud, np.array([4.0]), np.array([6.0]), lag=0.0)
    assert no_lag["happy"][0] == pytest.approx(0.8 / 2, abs=1e-3)  # half neutral, half happy


def test_circumplex_mapping_and_smoothing():
    p = np.eye(7)[[EMOTIONS.index("happy"), EMOTIONS.index("sad")]]
    v, a = arcs.valence_arousal(p)
    assert v.tolist() == [0.81, -0.63] and a.tolist() == [0.51, -0.27]
    x = np.array([0, 0, 3, np.nan, 0, 0], float)
    assert arcs.smooth(x, 3)[2] == pytest.approx(1.5)  # NaN skipped: (0 + 3) / 2


@pytest.mark.parametrize("shape", arcs.ARCS)
def test_each_story_arc_is_recognized(shape):
    tpl = arcs.arc_templates(300)[shape]
    rng = np.random.default_rng(1)
    scores = arcs.arc_scores(tpl + rng.normal(0, 0.3, tpl.size))
    assert max(scores, key=scores.get) == shape and scores[shape] > 0.8


def test_moment_pattern():
    p = arcs.moment_pattern([10, 50, 30, 90], ["happy", "sad", "fear", "surprise"], 100)
    assert p["moments"] == 4 and p["median_spacing_s"] == 20
    assert p["per_act"] == {"act 1": 1, "act 2": 2, "act 3": 1}
    assert p["alternation"] == pytest.approx(2 / 3)  # +, -, -, +


def test_bootstrap_tells_different_audiences_apart(tmp_path):
    plan = [(10, 20, "happy")]
    a = read_audience(write_audience(tmp_path / "a", 30, plan, viewers=12, noise=0.05, seed=1))
    b = read_audience(write_audience(tmp_path / "b", 30, plan, viewers=12, noise=0.05, seed=2,
                                     shift=0.5))
    a2 = read_audience(write_audience(tmp_path / "a2", 30, plan, viewers=12, noise=0.05, seed=3))
    ca, cb, ca2 = (cmp.viewer_cube(r, 30) for r in (a, b, a2))
    res = cmp.bootstrap_difference(cmp.scene_cube(ca, np.array([10.0]), np.array([20.0])),
                                   cmp.scene_cube(cb, np.array([10.0]), np.array([20.0])), 500)
    h = cmp.MEASURES.index("happy")
    truth = 1.3 / 1.5 - 0.8  # happy 0.8 + 0.5, renormalized, minus 0.8
    assert res["diff"][0, h] == pytest.approx(truth, abs=0.02)
    assert 0 < res["low"][0, h] <= truth <= res["high"][0, h]  # B is happier, and we can tell
    same = cmp.bootstrap_difference(ca, ca2, 500)
    inside = (same["low"] <= 0) & (same["high"] >= 0)
    assert inside[:, h].mean() > 0.85  # the same film to similar rooms: mostly no difference
    table = cmp.long_table(res, {"scene": [1]})
    row = table["measure"].index("happy")
    assert table["significant"][row] is True
