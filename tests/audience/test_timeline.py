"""Per-viewer seconds, baselines, the audience aggregate and peaks, from results with known values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from audience_helpers import fake_faces, onehot

from moviemotion.audience.manifest import Recording
from moviemotion.audience.timeline import TimelineSettings, build_timeline, viewer_id
from moviemotion.emotion.labels import EMOTIONS


def rec(label, offset=0.0):
    return Recording(Path(f"{label}.mp4"), label, offset)


def test_viewer_seconds_are_means_over_the_faces_in_each_movie_second():
    t = np.arange(0, 4, 0.5)  # 2 samples per second, 4 s
    probs = np.array([onehot("neutral")] * 2 + [onehot("happy"), onehot("neutral", 0.95)] + [[np.nan] * 7] * 2
                     + [onehot("sad")] * 2)
    tl = build_timeline([(rec("seat01", offset=10.0), fake_faces(t, probs))], movie_duration=20.0)
    v = tl.viewers
    assert set(v["viewer"]) == {"seat01-v1"}
    np.testing.assert_array_equal(v["time"], [10, 11, 12, 13])  # offset shifts to movie time
    np.testing.assert_allclose(v["coverage"], [1, 1, 0, 1])
    np.testing.assert_allclose(v["happy"][1], (0.9 + 0.05 / 6) / 2)
    assert list(v["dominant"]) == ["neutral", "neutral", "", "sad"]
    assert np.isnan(v["happy"][2])
    assert tl.seconds == 20 and tl.audience["viewers"][10:14].tolist() == [1, 1, 0, 1]
    assert tl.audience["viewers"][:10].sum() == 0


def test_baseline_is_the_viewers_median_and_deltas_make_viewers_comparable():
    t = np.arange(0, 20, 1.0)
    calm = onehot("neutral", 0.8)
    # A stoic viewer whose "reaction" is mild, and an expressive one: both react at 10-12.
    stoic = np.array([calm] * 20)
    stoic[10:13] = 0.5 * calm + 0.5 * onehot("surprise", 0.9)
    loud = np.array([onehot("surprise", 0.5) * 0 + onehot("neutral", 0.6)] * 20)
    loud[10:13] = onehot("surprise", 0.95)
    tl = build_timeline([(rec("a"), fake_faces(t, stoic)), (rec("b"), fake_faces(t, loud))], 20.0)
    base = {s["viewer"]: s["baseline"] for s in tl.summaries}
    assert base["a-v1"]["neutral"] == pytest.approx(0.8, abs=1e-6)
    v = tl.viewers
    a = v["viewer"] == "a-v1"
    assert (v["reaction"][a][10:13] == "surprise").all() and (v["reaction"][a][:10] == "none").all()
    assert (v["reaction"][~a][10:13] == "surprise").all()
    assert v["intensity_delta"][a][11] == pytest.approx(0.5 * np.abs(stoic[11] - calm).sum(), abs=1e-6)
    np.testing.assert_allclose(v["intensity"][a][0], 0.2, atol=1e-6)


def test_calibration_window_uses_the_first_seconds_only():
    t = np.arange(0, 10, 1.0)
    probs = np.array([onehot("neutral")] * 3 + [onehot("happy")] * 7)
    whole = build_timeline([(rec("a"), fake_faces(t, probs))], 10.0).summaries[0]["baseline"]
    first = build_timeline([(rec("a"), fake_faces(t, probs))], 10.0,
                           TimelineSettings(calibration=3)).summaries[0]
    assert whole["happy"] == pytest.approx(0.9) and first["baseline"]["neutral"] == pytest.approx(0.9)
    assert first["baseline_samples"] == 3


def test_samples_outside_the_movie_are_dropped():
    t = np.arange(0, 10, 1.0)
    tl = build_timeline([(rec("a", offset=-3), fake_faces(t, [onehot("happy")] * 10))], movie_duration=5.0)
    np.testing.assert_array_equal(tl.viewers["time"], [0, 1, 2, 3, 4])


def test_audience_agreement_and_a_peak_where_most_viewers_react_together():
    t = np.arange(0, 30, 0.5)
    rows = []
    for k in range(4):
        p = np.array([onehot("neutral", 0.85)] * len(t))
        if k < 3:  # three of four viewers laugh at 12-15 s (each a little later)
            p[(t >= 12 + 0.5 * k) & (t < 15 + 0.5 * k)] = onehot("happy", 0.9)
        else:  # the fourth is surprised alone at 22 s
            p[(t >= 22) & (t < 24)] = onehot("surprise", 0.9)
        rows.append((rec(f"s{k}"), fake_faces(t, p)))
    tl = build_timeline(rows, 30.0, TimelineSettings(smooth=3, peak_min_share=0.5))
    aud = tl.audience
    assert aud["viewers"].tolist() == [4] * 30
    assert aud["dominant"][13] == "happy" and aud["agreement"][13] == pytest.approx(0.75)
    assert aud["dominant"][5] == "neutral" and aud["agreement"][5] == 1.0
    assert list(tl.peaks["emotion"]) == ["happy"]  # the lone surprise is no audience peak
    assert 12 <= tl.peaks["time"][0] <= 16 and tl.peaks["share"][0] >= 0.5
    assert len(build_timeline(rows, 30.0, TimelineSettings(peak_min_share=0.2)).peaks) == 2


def test_two_people_in_one_recording_become_two_viewers():
    t = np.repeat(np.arange(0, 5, 1.0), 2)
    probs = np.array([onehot("happy"), onehot("sad")] * 5)
    tl = build_timeline([(rec("wide"), fake_faces(t, probs, track=[0, 1] * 5))], 5.0)
    assert sorted(set(tl.viewers["viewer"])) == [viewer_id("wide", 0), viewer_id("wide", 1)] == ["wide-v1", "wide-v2"]
    assert tl.audience["viewers"].tolist() == [2] * 5
    assert tl.audience["happy"][0] == pytest.approx((0.9 + 0.1 / 6) / 2)


def test_no_faces_gives_empty_viewers():
    t = np.arange(0, 5, 1.0)
    tl = build_timeline([(rec("a"), fake_faces(t, np.full((5, 7), np.nan)))], 5.0)
    assert tl.summaries == [] and len(tl.viewers) == 0 and len(tl.peaks) == 0
    assert set(EMOTIONS) <= set(tl.audience.columns) and len(tl.audience) == 5
