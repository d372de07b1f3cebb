"""Face detection, crops and tracking on frames drawn in code with known face positions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moviemotion.errors import InputError
from moviemotion.faces import (
    Detections,
    HaarDetector,
    crop_faces,
    iou_matrix,
    make_detector,
    track_faces,
)
from moviemotion.samples.faces import EXPRESSIONS, STYLES, background, draw_face


def face_frame(centers, height=200, expression="neutral", size=(640, 480), style=0):
    img = background(size, seed=style)
    for c in centers:
        draw_face(img, c, height, expression, STYLES[style])
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


@pytest.mark.parametrize("style", range(len(STYLES)))
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_haar_finds_each_synthetic_face(style, expression):
    det = HaarDetector()
    found = 0
    positions = [(300 + dx, 220 + dy, h) for dx in (-20, 0, 20) for dy in (0, 10) for h in (190, 230)]
    for x, y, h in positions:
        d = det.detect(face_frame([(x, y)], h, expression, style=style))
        if not len(d):
            continue  # an occasional miss is what tracking tolerates
        found += 1
        best = d.boxes[np.argmax(d.scores)]
        cx, cy = best[0] + best[2] / 2, best[1] + best[3] / 2
        assert abs(cx - x) < 30 and abs(cy - y) < 50
        assert 0.4 * h < best[2] < 1.25 * h  # roughly the drawn face's size, in full-frame pixels
    assert found >= len(positions) - 1


def test_two_faces_in_a_wide_shot_and_none_in_an_empty_one():
    gray = face_frame([(170, 220), (470, 220)], 170)
    det = make_detector("haar", detect_width=400, min_face=0.15).detect(gray)
    xs = sorted(b[0] + b[2] / 2 for b in det.boxes)
    assert len(xs) == 2 and abs(xs[0] - 170) < 30 and abs(xs[1] - 470) < 30
    assert len(HaarDetector().detect(background((640, 480)).mean(2).astype(np.uint8))) == 0


def test_detect_near_refinds_a_face_that_moved_and_loses_one_that_left():
    det = HaarDetector()
    first = det.detect(face_frame([(300, 220)], 220))
    moved = det.detect_near(face_frame([(320, 230)], 230), first.boxes)
    assert len(moved) == 1
    c = moved.boxes[0, :2] + moved.boxes[0, 2:] / 2
    assert abs(c[0] - 320) < 25 and abs(c[1] - 230) < 45
    assert len(det.detect_near(cv2.cvtColor(background((640, 480)), cv2.COLOR_RGB2GRAY), first.boxes)) == 0
    assert len(det.detect_near(face_frame([(300, 220)], 220), np.zeros((0, 4)))) == 0


def test_min_face_excludes_small_faces():
    gray = face_frame([(320, 240)], 110)
    assert len(HaarDetector(min_face=0.15).detect(gray)) == 1
    assert len(HaarDetector(min_face=0.4).detect(gray)) == 0


@pytest.mark.parametrize("knobs", [{"scale_factor": 1.0}, {"min_face": 0}, {"detect_width": 8},
                                   {"min_neighbors": -1}])
def test_bad_detector_knobs_are_input_errors(knobs):
    with pytest.raises(InputError):
        HaarDetector(**knobs)
    with pytest.raises(InputError, match="unknown face detector"):
        make_detector("dlib")


def test_crops_resize_boxes_and_replicate_borders():
    gray = np.tile(np.arange(200, dtype=np.uint8), (100, 1))  # value = x
    c = crop_faces(gray, np.array([[50, 10, 96, 80]]), size=48)
    assert c.shape == (1, 48, 48) and c.dtype == np.uint8
    assert abs(int(c[0, :, 0].mean()) - 51) <= 1 and abs(int(c[0, :, -1].mean()) - 144) <= 1
    edge = crop_faces(gray, np.array([[-20, 0, 40, 40]]), size=40)[0]
    assert (edge[:, :20] == 0).all() and edge[0, 30] == 10  # left of the frame replicates column 0
    assert crop_faces(gray, np.zeros((0, 4))).shape == (0, 48, 48)


def test_iou_matrix_known_values():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 5, 5]])
    np.testing.assert_allclose(iou_matrix(a, b)[0], [1.0, 50 / 150, 0.0])


def test_tracker_keeps_two_people_apart_and_tolerates_misses():
    t, boxes = [], []
    for k in range(20):
        s = k * 0.5
        if k not in (5, 6):  # left person missed for a second
            t.append(s)
            boxes.append([100 + k, 100, 80, 80])
        t.append(s)
        boxes.append([400 - k, 110, 90, 90])
    order = np.argsort(t, kind="stable")
    t, boxes = np.array(t)[order], np.array(boxes, float)[order]
    ids = track_faces(t, boxes, max_gap=2.0)
    left = boxes[:, 0] < 250
    assert set(ids[left]) == {0} and set(ids[~left]) == {1}


def test_tracker_joins_a_seat_after_a_long_gap_and_drops_false_hits():
    t = np.r_[np.arange(0, 5, 0.5), 4.0, np.arange(10, 15, 0.5)]
    boxes = np.array([[200, 150, 100, 100]] * 10 + [[500, 20, 30, 30]] + [[206, 148, 100, 100]] * 10, float)
    order = np.argsort(t, kind="stable")
    t, boxes = t[order], boxes[order]
    ids = track_faces(t, boxes, max_gap=1.0, min_share=0.1, n_samples=30)
    false_hit = boxes[:, 0] == 500
    assert (ids[false_hit] == -1).all()
    assert set(ids[~false_hit]) == {0}


def test_detections_empty():
    d = Detections.empty()
    assert len(d) == 0 and d.boxes.shape == (0, 4)
