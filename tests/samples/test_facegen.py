"""The generative face model and the demo seats rendered from it: no one's face, read right."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moviemotion.emotion import EMOTIONS, Predictor
from moviemotion.faces import crop_faces, make_detector
from moviemotion.samples import facegen
from moviemotion.samples.facegen import FaceModel
from moviemotion.samples.screening import SCENES, blink, default_seats, seat_renderer

DEMO = tuple(sorted({f for _, _, f in SCENES} | {"fear"}))  # feelings the demo's seats show


@pytest.fixture(scope="module")
def model():
    return FaceModel.load()


@pytest.fixture(scope="module")
def predictor():
    return Predictor(threads=2)


def test_shipped_statistics_are_small_and_hold_no_image(model):
    assert facegen.STATS_PATH.stat().st_size < 3_000_000
    assert model.classes == EMOTIONS
    with np.load(facegen.STATS_PATH) as z:
        assert all(z[k].ndim < 3 or k == "basis" for k in z.files)  # no (N, 48, 48) image stack
        assert "sha256:" in str(z["emotion_model"]) and "facegen" in str(z["command"])


def test_viewers_are_deterministic_distinct_and_alike_across_expressions(model):
    a, b = model.viewer(0), model.viewer(0)
    assert all(np.array_equal(a[e], b[e]) for e in a)
    other = model.viewer(1)
    assert not np.array_equal(a["neutral"], other["neutral"])
    assert {f.shape for f in a.values()} == {(48, 48)}
    # a viewer's happy face is nearer its own neutral face than a random chosen happy face is
    layout = facegen._layout
    own = ((layout(a["happy"][None]) - layout(a["neutral"][None])) ** 2).sum()
    others = [((layout(f[None]) - layout(a["neutral"][None])) ** 2).sum()
              for f in model.render("happy", model.chosen("happy"))]
    assert own <= np.median(others)


def test_samples_are_new_faces_from_the_class_statistics(model):
    rng = np.random.default_rng(3)
    z = model.sample("happy", 50, rng)
    assert np.abs(z).max() <= facegen.CLIP_SD
    faces = model.render("happy", z)
    assert faces.shape == (50, 48, 48) and faces.dtype == np.uint8
    assert np.allclose(faces.reshape(50, -1).mean(1), facegen.LEVEL, atol=3)
    assert len({f.tobytes() for f in faces}) == 50


def test_chosen_faces_read_as_their_class(model, predictor):
    for e in DEMO:
        read = predictor.predict(model.render(e, model.chosen(e))).argmax(1)
        assert (read == EMOTIONS.index(e)).mean() >= 0.8, e


def test_blink_closes_only_the_eye_band(model):
    face = model.viewer(0)["neutral"]
    shut = blink(face)
    changed = np.argwhere(shut != face)
    assert len(changed) and changed[:, 0].min() >= 14 and changed[:, 0].max() < 25
    assert np.array_equal(shut[30:], face[30:])


def test_fit_makes_a_loadable_model_from_faces(tmp_path, predictor):
    """A tiny fit on stand-in data (random blobs per class): the pipeline, not the faces."""
    rng = np.random.default_rng(0)
    x = np.clip(rng.normal(128, 40, (70, 48, 48)), 0, 255).astype(np.uint8)
    data = tmp_path / "tiny.npz"
    np.savez(data, x=x, y=np.repeat(np.arange(7), 10).astype(np.uint8), split=np.zeros(70, np.uint8),
             classes=np.array(EMOTIONS))
    out = facegen.fit(data, tmp_path / "g.npz", components=4, keep=3, candidates=30, seed=1)
    m = FaceModel.load(out)
    assert m.basis.shape == (7, 4, 48 * 48)
    for k, e in enumerate(m.classes):  # whatever was kept reads right
        z = m.chosen(e)
        assert len(z) <= 3
        if len(z):
            assert (predictor.predict(m.render(e, z)).argmax(1) == k).all()


def test_rendered_demo_faces_read_as_scripted(predictor):
    """The requirement: the shipped emotion model reads >= 80 % of the demo's rendered faces
    (found by the default detector in the seat videos' frames, cropped as the audience job
    does) as the scripted expression. Frames within 0.5 s of a change of expression, and
    while a viewer is away, are left out."""
    det = make_detector(detect_width=320, min_face=0.15)
    shown = found = right = 0
    for i, seat in enumerate(default_seats(4)):
        render = seat_renderer(seat, seed=i)
        for t in np.arange(0.25, 24 - seat.offset, 0.75):
            mt = t + seat.offset
            want = seat.expression(mt)
            if want != seat.expression(mt - 0.5) or (seat.away and seat.away[0] - 0.5 <= mt < seat.away[1] + 0.5):
                continue
            gray = cv2.cvtColor(render(t), cv2.COLOR_RGB2GRAY)
            shown += 1
            d = det.detect(gray)
            if not len(d):
                continue
            found += 1
            got = EMOTIONS[int(predictor.predict(crop_faces(gray, d.boxes[:1]))[0].argmax())]
            right += got == want
    assert found >= 0.9 * shown, (found, shown)
    assert right >= 0.8 * found, (right, found)
