"""Training the face check (faceid.facecheck): the face split, the threshold choice, a tiny run."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from moviemotion.faceid import facecheck as fc


def _hashes(pool):
    return {hashlib.sha1(np.ascontiguousarray(f).tobytes()).hexdigest() for src in pool.values() for f in src}


@pytest.mark.shared_data
def test_training_side_and_held_out_faces_never_meet(shared_data):
    train = fc.face_pool(shared_data, "train", 400, 0)
    held = fc.face_pool(shared_data, "held-out", 400, 0)
    assert len(train["yale"]) == len(held["yale"]) == 400
    assert not _hashes(train) & _hashes(held)
    with pytest.raises(ValueError):
        fc.face_pool(shared_data, "test", 10, 0)


def _scored():
    """Two frames at width 640 with known candidates: (width, faces, is-face, score, p)."""
    return [
        (640, 2, np.array([True, True, False, False]), np.array([0.9, 0.1, 0.1, 0.05]),
         np.array([1.0, 0.8, 0.6, 0.2])),
        (640, 1, np.array([True, False]), np.array([0.03, 0.5]), np.array([0.4, 0.1])),
    ]


def test_operating_points_count_faces_and_false_positives_by_hand():
    pts = fc.operating_points(_scored(), threshold=0.25, taus=np.array([0.3, 0.5, 0.7, 0.9]))[640]
    # tau 0.3: kept 0.9(face) 0.1/p.8(face) 0.1/p.6(no) | 0.03/p.4(face) 0.5(no, strong)
    assert pts[0] == {"tau": 0.3, "recall": 1.0, "fp_per_frame": 1.0}
    assert pts[1] == {"tau": 0.5, "recall": 2 / 3, "fp_per_frame": 1.0}
    assert pts[2] == {"tau": 0.7, "recall": 2 / 3, "fp_per_frame": 0.5}
    assert pts[3] == {"tau": 0.9, "recall": 1 / 3, "fp_per_frame": 0.5}
    assert fc.choose_threshold({640: pts}, max_fp=0.5) == 0.7
    assert fc.choose_threshold({640: pts}, max_fp=0.1) == 1.0      # nothing qualifies: no weak ones


@pytest.mark.shared_data
def test_a_tiny_run_trains_chooses_and_ships(shared_data, tmp_path):
    from moviemotion.faces.check import FaceCheck
    from moviemotion.learn.train import TrainConfig

    cfg = TrainConfig(arch="vgg", arch_args={"width": 4, "depths": (1, 1, 1, 1)}, epochs=1,
                      batch_size=64, seed=0, command="moviemotion train facecheck --data x")
    run = fc.train_facecheck(shared_data, tmp_path / "run", cfg, frames=12, photos=12,
                             val_frames=10, quiet=True)
    points = json.loads((run / "operating_points.json").read_text())
    assert 0.0 <= points["check_threshold"] <= 1.0
    assert points["candidates"]["faces"] > 0 and points["candidates"]["photo_negatives"] > 0
    dest = fc.ship(run, tmp_path / "check.onnx")
    card = json.loads(dest.with_suffix(".json").read_text())
    assert card["check_threshold"] == points["check_threshold"]
    assert FaceCheck(dest)(np.zeros((64, 64), np.uint8), np.array([[8, 8, 40, 40]])).shape == (1,)
