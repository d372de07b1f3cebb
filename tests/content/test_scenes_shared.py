"""The scene data and the shipped scene model on the real data (skip without ../shared/data
or without a shipped model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moviemotion.content.scene_training import (
    DATASET_LABELS,
    DATASETS,
    SCENE_CLASSES,
    dataset_classes,
    load_scene_data,
)
from moviemotion.content.scenes import DEFAULT_MODEL


@pytest.fixture(scope="module")
def scenes_dir(shared_data):
    d = shared_data / "scenes"
    if not (d / "scene15" / "labels.csv").is_file() or not (d / "intel6" / "labels.csv").is_file():
        pytest.skip("scene data not found")
    return d


def test_label_set_and_loading(scenes_dir):
    data = load_scene_data(scenes_dir, size=32, seed=0, limit=20)
    assert data.x_train.shape[1:] == (3, 32, 32) and data.x_train.dtype == np.uint8
    # 15-Scene (gray) is repeated twice per epoch; Intel6 sea is the union's coast
    assert (data.d_train == 0).sum() == 40 and (data.d_val == 0).sum() == 20
    intel = data.y_val[data.d_val == 1]
    assert set(intel) <= set(dataset_classes("intel6"))
    assert SCENE_CLASSES.index("coast") in dataset_classes("intel6")
    assert DATASET_LABELS["intel6"]["sea"] == "coast" and len(SCENE_CLASSES) == 17
    gray = data.x_train[data.d_train == 0]
    assert (gray[:, 0] == gray[:, 1]).all() and (gray[:, 1] == gray[:, 2]).all()
    # the Intel6 validation split is seeded: the same images every time, none in training
    again = load_scene_data(scenes_dir, size=32, seed=0, limit=20, train=False)
    assert np.array_equal(again.x_val, data.x_val) and len(again.x_train) == 0


def test_shipped_model_scores_match_its_card(scenes_dir):
    if not DEFAULT_MODEL.is_file():
        pytest.skip("no scene model shipped")
    from moviemotion.content.scene_training import evaluate_scenes

    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    scores = evaluate_scenes(DEFAULT_MODEL, scenes_dir, threads=2, seed=card["seed"])
    for d in DATASETS:
        assert scores[d]["accuracy"] == pytest.approx(card["metrics"][f"{d} val"]["accuracy"],
                                                      abs=0.002)
        assert scores[d]["accuracy"] > 1.5 / len(dataset_classes(d))  # far above chance


def test_train_and_ship_pipeline_on_a_tiny_subset(scenes_dir, tmp_path):
    """train scenes -> ship scenes, on 12 images per dataset and split, one epoch: the run
    folder, the model with its feature-map output and the card with per-dataset scores."""
    from moviemotion.content.scene_training import ship_scenes, train_scenes
    from moviemotion.content.scenes import SceneClassifier
    from moviemotion.learn.train import TrainConfig

    cfg = TrainConfig(arch="resnet", arch_args={"width": 4}, epochs=1, seed=0, threads=1,
                      batch_size=16)
    run = train_scenes(scenes_dir, tmp_path / "run", size=32, config=cfg, limit=12,
                       on_finish=lambda _: None)
    assert (run / "best.pt").is_file() and (run / "metrics.csv").is_file()
    header = (run / "metrics.csv").read_text().splitlines()[0]
    assert "val_scene15_accuracy" in header and "val_intel6_accuracy" in header
    dest = ship_scenes(run, scenes_dir, tmp_path / "scenes.onnx", threads=1)
    card = json.loads(dest.with_suffix(".json").read_text())
    assert set(card["metrics"]) == {"scene15 val", "intel6 val"}
    assert card["metrics"]["scene15 val"]["n"] == 1495 and card["file"]["bytes"] == dest.stat().st_size
    assert len(card["per_dataset_confusion"]["intel6"]["matrix"]) == 6
    assert dest.with_suffix(".md").read_text().startswith("## Model card")
    sc = SceneClassifier(dest, threads=1)
    assert sc.classes == SCENE_CLASSES and sc.cam(np.zeros((30, 40), np.uint8)).shape == (30, 40)


def _train_scenes_cli(scenes_dir, run, *options: str):
    """`moviemotion train scenes` of one epoch on 12 images per dataset and split."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "moviemotion", "train", "scenes", "--data", str(scenes_dir),
                        "--size", "32", "-A", "width=4", "--epochs", "1", "--batch-size", "16",
                        "--limit", "12", "--threads", "1", "-q", *options, "-o", str(run)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def test_train_scenes_command_takes_the_kits_regularization(scenes_dir, tmp_path):
    """`train scenes --mixup --ema` reach the trainer and the run's recorded command."""
    run = tmp_path / "run"
    _train_scenes_cli(scenes_dir, run, "--mixup", "0.2", "--ema", "0.9")
    config = json.loads((run / "config.json").read_text())
    assert config["mixup"] == 0.2 and config["ema"] == 0.9 and config["cutmix"] == 0.0
    assert "--mixup 0.2 --ema 0.9" in config["command"]


def test_stacked_scene_runs_share_one_validation_split(scenes_dir, tmp_path):
    """`train scenes --stack 2 --seed 5`: two ordinary runs (seeds 5 and 6) trained at once;
    both validate on the same images as a seed-0 run (the split does not follow the seed)."""
    run = tmp_path / "stack"
    r = _train_scenes_cli(scenes_dir, run, "--seed", "5", "--stack", "2")
    assert f"ship scenes {run / 's5'}" in " ".join((r.stdout + r.stderr).split())
    sets = []
    for index, seed in enumerate((5, 6)):
        config = json.loads((run / f"s{seed}" / "config.json").read_text())
        assert config["seed"] == seed and config["stack_index"] == index
        assert (run / f"s{seed}" / "best.pt").is_file()
        with np.load(run / f"s{seed}" / "validation_sets.npz") as z:
            sets.append((z["y"].copy(), z["d"].copy()))
    alone = load_scene_data(scenes_dir, size=32, seed=0, limit=12, train=False)
    for y, d in sets:
        assert np.array_equal(y, alone.y_val) and np.array_equal(d, alone.d_val)
