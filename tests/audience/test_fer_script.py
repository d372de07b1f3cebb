"""Seat recordings built from real FER2013 PublicTest faces with a scripted sequence of
expressions: the recovered per-second timeline must follow the script.

Each seat shows one face image per 2-second segment (upscaled, on a plain background),
its emotion taken from the seat's script. Faces the Haar cascade cannot find in the
rendered frame are skipped when picking (this test is about the timeline, not the
detector). The agreement of the per-second dominant emotion with the script is compared
to the model's own accuracy on the very same 48x48 images, and the pipeline's answer to
the model's direct answer (the pipeline should lose little by detecting and re-cropping).
Faces are read from ../shared/data only; nothing derived from them is kept.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moviemotion.audience import Recording, TimelineSettings
from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import ModelError
from moviemotion.faces import HaarDetector
from moviemotion.jobs.audience import run_audience
from moviemotion.samples import clips as synth

SEGMENT = 2  # seconds per face
FPS = 4
SIZE = (640, 480)
FACE = 200  # pixels, upscaled from 48
SCRIPTS = {  # label -> (offset, emotions per segment)
    "seatA": (0.0, "neutral happy surprise sad angry happy fear neutral sad surprise happy angry neutral happy sad".split()),
    "seatB": (2.0, "happy sad neutral surprise happy angry fear happy neutral sad surprise happy neutral angry".split()),
    "seatC": (-2.0, "surprise neutral happy sad fear angry neutral happy surprise sad happy neutral angry happy fear".split()),
}


def place(face48: np.ndarray, jitter: tuple[int, int]) -> np.ndarray:
    img = np.empty((SIZE[1], SIZE[0], 3), np.uint8)
    img[:] = np.linspace(70, 110, SIZE[0], dtype=np.uint8)[None, :, None]
    big = cv2.resize(face48, (FACE, FACE), interpolation=cv2.INTER_CUBIC)
    x = (SIZE[0] - FACE) // 2 + jitter[0]
    y = (SIZE[1] - FACE) // 2 - 20 + jitter[1]
    img[y:y + FACE, x:x + FACE] = big[:, :, None]
    return img


def pick_faces(x, y, rng, wanted: list[str], jitter: np.ndarray, detector: HaarDetector) -> list[int]:
    """One detectable PublicTest image per wanted emotion (no image used twice)."""
    used, out = set(), []
    for name, shift in zip(wanted, jitter, strict=True):
        pool = rng.permutation(np.flatnonzero(y == EMOTIONS.index(name)))
        for i in pool:
            if i in used:
                continue
            gray = cv2.cvtColor(place(x[i], tuple(shift)), cv2.COLOR_RGB2GRAY)
            if len(detector.detect(gray)) == 1:
                used.add(i)
                out.append(int(i))
                break
    return out


@pytest.mark.shared_data
@pytest.mark.slow
def test_timeline_follows_a_scripted_sequence_of_real_faces(shared_data, tmp_path):
    from moviemotion.emotion import Predictor

    path = shared_data / "fer2013_train_public.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    try:
        model = Predictor()
    except ModelError as exc:
        pytest.skip(f"no shipped emotion model yet: {exc.message}")
    data = np.load(path)
    test = data["split"] == 1
    x, y = data["x"][test], data["y"][test]
    rng = np.random.default_rng(5)
    detector = HaarDetector()
    recs, truth, direct = [], {}, {}
    for label, (offset, script) in SCRIPTS.items():
        jit = rng.integers(-6, 7, size=(len(script), 2))
        idx = pick_faces(x, y, rng, script, jit, detector)
        assert len(idx) == len(script)
        pred = model.predict(x[idx]).argmax(1)
        n = len(script) * SEGMENT * FPS
        frames = (place(x[idx[k // (SEGMENT * FPS)]], tuple(jit[k // (SEGMENT * FPS)])) for k in range(n))
        recs.append(Recording(synth.write_video(tmp_path / f"{label}.mp4", frames, fps=FPS), label, offset))
        for s in range(len(script) * SEGMENT):  # movie second -> scripted / directly predicted emotion
            truth[(label, int(s + offset))] = script[s // SEGMENT]
            direct[(label, int(s + offset))] = EMOTIONS[pred[s // SEGMENT]]
    res = run_audience(recs, tmp_path / "out", factory=Predictor, show_progress=False, write_report=False,
                       timeline_settings=TimelineSettings())
    assert not res.failures and len(res.timeline.summaries) == len(SCRIPTS)
    vw = res.timeline.viewers
    got = {(r, int(s)): d for r, s, d in zip(vw["recording"], vw["time"], vw["dominant"], strict=True)
           if (r, int(s)) in truth and d}
    coverage = len(got) / len([k for k in truth if k[1] >= 0])
    vs_script = np.mean([got[k] == truth[k] for k in got])
    vs_direct = np.mean([got[k] == direct[k] for k in got])
    model_acc = np.mean([direct[k] == truth[k] for k in got])
    print(f"\nFER scripted screening: {len(got)} viewer-seconds, coverage {coverage:.0%}; "
          f"timeline agrees with the script {vs_script:.1%} (the model on the same 48x48 images: "
          f"{model_acc:.1%}); timeline agrees with the model's direct answers {vs_direct:.1%}")
    assert coverage >= 0.9
    assert vs_direct >= 0.7
    assert vs_script >= model_acc - 0.15 and vs_script >= 0.4
