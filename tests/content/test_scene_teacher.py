"""The scene CNN's classical teacher (``content.scene_teacher``) and distillation from it
(``train scenes --teacher``): on a scenes folder drawn here, where every class has its own
stripe orientation and colour, so a teacher that sees them must tell the classes apart."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from moviemotion.content.scene_teacher import (
    apply_temperatures,
    calibrate,
    channel_probs,
    geometric_mean,
    make_teacher,
)
from moviemotion.content.scene_training import (
    DATASET_LABELS,
    DATASETS,
    SCENE_CLASSES,
    load_scene_data,
    teacher_targets,
)
from moviemotion.errors import InputError


def _stripes(label_index: int, n_labels: int, rng: np.random.Generator, size: int) -> np.ndarray:
    """Stripes at an angle and in a colour that depend on the class, with noise and a random phase."""
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    angle = np.pi * label_index / n_labels
    wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / 2.0 + rng.uniform(0, 6.3))
    colour = np.array([40 + 200 * (label_index % 3 == 0), 40 + 200 * (label_index % 3 == 1),
                       40 + 25 * label_index % 200], np.float32)
    img = (0.5 + 0.4 * wave)[..., None] * colour + rng.normal(0, 12, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_scenes_folder(root, per_class=(6, 2), seed=0):
    """scene15/ (gray 64 px) and intel6/ (colour 48 px) with labels.csv: ``per_class`` images
    per class in the training and the validation split (Intel6 draws its own split)."""
    rng = np.random.default_rng(seed)
    for dataset, size, gray in (("scene15", 64, True), ("intel6", 48, False)):
        labels = sorted(DATASET_LABELS[dataset])
        rows = ["path,label,split"]
        for li, label in enumerate(labels):
            for split, n in zip(("train", "val"), per_class, strict=True):
                if dataset == "intel6" and split == "val":
                    continue                           # Intel6: 15 % of train is validation
                count = n if dataset == "scene15" else sum(per_class)
                for k in range(count):
                    img = _stripes(li, len(labels), rng, size)
                    if gray:
                        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
                    path = f"{label}/{split}_{k}.png"
                    (root / dataset / label).mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(root / dataset / path), img if gray else img[:, :, ::-1])
                    rows.append(f"{path},{label},{split if dataset == 'scene15' else 'train'}")
        (root / dataset / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_scenes_folder(tmp_path_factory.mktemp("scenes"))


@pytest.fixture(scope="module")
def teacher(scenes, tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher") / "teacher.npz"
    scores = make_teacher(scenes, out, workers=1, folds=2, say=lambda m: None)
    return out, scores


def test_teacher_file_rows_and_scores(scenes, teacher):
    out, scores = teacher
    data = load_scene_data(scenes, 32, gray_fraction=0, scene15_repeat=1)
    with np.load(out) as f:
        probs, y, d = f["probs"], f["y"], f["dataset"]
        assert np.array_equal(y, data.y_train) and np.array_equal(d, data.d_train)
        assert np.array_equal(f["val_y"], data.y_val) and f["val_probs"].shape == (len(data.y_val), 17)
        assert json.loads(str(f["scores"])) == scores
        settings = json.loads(str(f["settings"]))
    assert settings["folds"] == 2 and [c["name"] for c in settings["channels"]] == ["sift", "color"]
    assert set(settings["temperatures"]) == {"scene15", "intel6"}
    assert probs.shape == (len(y), len(SCENE_CLASSES)) and np.allclose(probs.sum(1), 1, atol=1e-5)
    for di, dataset in enumerate(DATASETS):        # each dataset's rows only on its own classes
        own = sorted(SCENE_CLASSES.index(v) for v in DATASET_LABELS[dataset].values())
        other = np.setdiff1d(np.arange(17), own)
        assert np.all(probs[d == di][:, other] == 0)
    # stripes of one angle and colour per class: the teacher sees them, out of fold too
    assert scores["teacher"]["val"]["mean_accuracy"] >= 0.9
    assert scores["teacher"]["out_of_fold"]["mean_accuracy"] >= 0.9


def test_out_of_fold_probabilities_do_not_memorize():
    """Random features with random labels: a regression that saw an image predicts its label
    (in-sample accuracy 1), out of fold it cannot (about chance)."""
    from types import SimpleNamespace

    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n, classes = 120, np.array([0, 1, 2])          # three of 15-Scene's classes
    x = rng.normal(size=(n, 400)).astype(np.float32)
    y = rng.choice(classes, n)
    data = SimpleNamespace(y_train=y, d_train=np.zeros(n, int), y_val=y[:0], d_val=np.zeros(0, int))
    in_sample = LogisticRegression(C=100, max_iter=2000).fit(x, y).predict(x)
    p_train, _ = channel_probs(x, x[:0], data, C=100.0, folds=4)
    assert (in_sample == y).mean() == 1.0
    assert (p_train.argmax(1) == y).mean() < 0.55


def test_geometric_mean_renormalizes_and_keeps_zeros():
    a = np.array([[0.6, 0.4, 0.0], [0.1, 0.9, 0.0]])
    b = np.array([[0.9, 0.1, 0.0], [0.5, 0.5, 0.0]])
    g = geometric_mean([a, b])
    assert np.allclose(g.sum(1), 1) and np.all(g[:, 2] == 0)
    assert g[0, 0] / g[0, 1] == pytest.approx(np.sqrt(0.6 * 0.9) / np.sqrt(0.4 * 0.1), rel=1e-4)


def test_calibration_sharpens_an_unsure_teacher_per_dataset():
    """A teacher right 90 % of the time but with a top probability of ~0.4 (15-Scene rows)
    and one right 60 % with 0.95 (Intel6 rows): temperatures < 1 and > 1, lower NLL, the
    argmax kept and the other dataset's classes still 0."""
    rng = np.random.default_rng(0)
    n, k = 400, 17
    y = np.concatenate([rng.integers(0, 15, n), rng.choice([1, 2, 8, 12, 15, 16], n)])
    d = np.repeat([0, 1], n)
    top = np.where(rng.random(2 * n) < np.where(d == 0, 0.9, 0.6), y,
                   np.where(d == 0, (y + 1) % 15, 15 + (y == 15)))
    probs = np.zeros((2 * n, k))
    for i in range(2 * n):
        own = np.arange(15) if d[i] == 0 else np.array([1, 2, 8, 12, 15, 16])
        probs[i, own] = (1 - np.where(d[i] == 0, 0.4, 0.95)) / (len(own) - 1)
        probs[i, top[i]] = 0.4 if d[i] == 0 else 0.95
    taus = calibrate(probs, y, d)
    assert taus["scene15"] < 0.8 and taus["intel6"] > 1.2
    cal = apply_temperatures(probs, d, taus)
    assert np.allclose(cal.sum(1), 1, atol=1e-5) and np.array_equal(cal.argmax(1), probs.argmax(1))
    assert np.all(cal[probs == 0] == 0)

    def nll(p):
        return -np.log(p[np.arange(len(y)), y]).mean()

    assert nll(cal) < nll(probs) - 0.05
    assert cal[d == 0].max(1).mean() > 0.6            # about as sure as it is right (0.9)


def test_teacher_targets_follow_the_repeats_and_refuse_other_images(scenes, teacher, tmp_path):
    out, _ = teacher
    data = load_scene_data(scenes, 32, scene15_repeat=3)
    aligned = teacher_targets(out, data, 3)
    with np.load(out) as f:
        probs, d = f["probs"], f["dataset"]
    s15 = probs[d == 0]
    assert aligned.shape == (len(data.y_train), 17)
    assert np.array_equal(aligned[:3 * len(s15)], np.concatenate([s15] * 3))
    assert np.array_equal(aligned[3 * len(s15):], probs[d == 1])
    small = load_scene_data(scenes, 32, scene15_repeat=3, limit=4)
    with pytest.raises(InputError, match="made for other training images"):
        teacher_targets(out, small, 3)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a scene teacher file"):
        teacher_targets(tmp_path / "bad.npz", data, 3)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "moviemotion", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_distilled_scene_run_records_its_teacher_and_resumes(scenes, teacher, tmp_path):
    out, _ = teacher
    run = tmp_path / "kd"
    common = ["train", "scenes", "--data", scenes, "--size", "32", "-A", "width=4",
              "--batch-size", "16", "--threads", "1", "-q", "-o", run]
    r = _cli(*common, "--epochs", "1", "--teacher", out, "--alpha", "0.3", "--temperature", "2")
    assert r.returncode == 0, r.stderr
    record = json.loads((run / "distill.json").read_text())
    assert record["teachers"] == [str(out)] and record["alpha"] == 0.3
    assert record["temperature"] == 2.0 and record["teacher_train_accuracy"] >= 0.9
    config = json.loads((run / "config.json").read_text())
    assert "--teacher" in config["command"] and "--alpha 0.3" in config["command"]
    r = _cli(*common, "--epochs", "2", "--resume")          # reads distill.json
    assert r.returncode == 0, r.stderr
    assert len((run / "metrics.csv").read_text().splitlines()) == 3
    bad = _cli("train", "scenes", "--data", scenes, "--teacher", tmp_path / "none.npz", "-q",
               "--epochs", "1", "-o", tmp_path / "x")
    assert bad.returncode != 0 and "none.npz" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
