"""One recording -> per-sample faces: sampling, full searches vs re-finds, tracking into viewers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audience_helpers import BrightnessClassifier

from moviemotion.audience.recording import RecordingSettings, analyze_recording
from moviemotion.errors import InputError, ModelError
from moviemotion.samples import clips as synth
from moviemotion.samples.faces import STYLES, background, draw_face


@pytest.fixture(scope="module")
def wide_shot(tmp_path_factory):
    """Two people side by side for 6 s at 5 fps; the right one leaves at 2.0-2.6 s."""
    def frame(t):
        img = background((640, 480), seed=3)
        draw_face(img, (170 + 6 * math.sin(t), 220), 175, "happy" if t > 3 else "neutral", STYLES[0])
        if not 2.0 <= t < 2.6:
            draw_face(img, (470, 225), 170, "neutral", STYLES[2])
        return img

    return synth.write_video(tmp_path_factory.mktemp("wide") / "wide.mp4", synth.render(frame, 5, 6), fps=5)


def test_two_people_become_two_tracks_across_searches_and_gaps(wide_shot):
    settings = RecordingSettings(fps=5, detect_every=4, detector="haar", detector_knobs={"detect_width": 400})
    res = analyze_recording(wide_shot, BrightnessClassifier(), settings)
    tab = res.table.to_pydict()
    t = np.array(tab["time"])
    assert res.stats["samples"] == len(np.unique(t)) == 30
    x = np.array(tab["x"], float)
    track = np.array(tab["track"])
    face = np.array(tab["face"])
    left = face & (x < 320)
    right = face & (x >= 320)
    assert set(track[left]) == {0} and set(track[right]) == {1}
    assert left.sum() >= 28  # found on (nearly) every sample, mostly by re-finding near the last box
    gone = (t >= 2.0) & (t < 2.6)
    assert not (right & gone).any()  # the empty seat is not mistaken for a face
    detected = np.array(tab["detected"])
    full = np.unique(t[detected & face])
    assert len(full) <= 8  # full-frame searches only every 4th sample
    probs = np.array([tab[e] for e in BrightnessClassifier.classes]).T[face]
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)


def test_progress_callback_and_wrong_model_classes(wide_shot):
    seen = []
    analyze_recording(wide_shot, BrightnessClassifier(), RecordingSettings(fps=2), on_progress=seen.append)
    assert seen[-1] == 12 and seen == sorted(seen)

    class Wrong(BrightnessClassifier):
        classes = ("a", "b")

    with pytest.raises(ModelError, match="classes"):
        analyze_recording(wide_shot, Wrong(), RecordingSettings())
    with pytest.raises(InputError):
        RecordingSettings(fps=0)
    assert RecordingSettings(batch=8).fingerprint() == RecordingSettings(batch=64).fingerprint()
    assert RecordingSettings(fps=3).fingerprint() != RecordingSettings().fingerprint()
