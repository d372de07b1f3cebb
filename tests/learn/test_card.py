"""Model cards: JSON + markdown with the command, data, seed, scores and confusion matrix."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from moviemotion.learn import Task
from moviemotion.learn.card import card_markdown, model_card, write_card


def test_card_json_and_markdown(tmp_path: Path) -> None:
    model = tmp_path / "scene.onnx"
    model.write_bytes(b"not really a model, but bytes to hash")
    task = Task("scene", (3, 128, 128), ("coast", "forest"), mean=(120.0, 110.0, 100.0),
                std=(60.0, 60.0, 60.0))
    cfg = {"arch": "vgg", "arch_args": {"width": 16}, "epochs": 3, "seed": 7,
           "command": "moviemotion train scene --data x -o run", "data": "/data/scene15/labels.csv",
           "train_split": "train", "val_split": "val"}
    card = model_card(task, cfg, {"val": {"n": 10, "accuracy": 0.8}}, model=model, best_epoch=2,
                      confusion=[[4, 1], [1, 4]], mirror_averaged=False)
    written = write_card(model, card)
    assert [p.name for p in written] == ["scene.json", "scene.md"]
    stored = json.loads((tmp_path / "scene.json").read_text())
    assert stored["file"]["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert stored["data"] == "labels.csv" and stored["seed"] == 7 and stored["best_epoch"] == 2
    md = (tmp_path / "scene.md").read_text()
    assert "`moviemotion train scene --data x -o run`" in md
    assert "| val | 0.8000 | 10 |" in md                       # accuracy, n
    assert "| coast | 4 | 1 |" in md and "seed 7" in md
    assert card_markdown(stored) == md
    assert "int8" not in md and "| note |" not in md
    quantized = {**stored, "note": "warm start: the recipe's warm teacher",
                 "quantized": {"scheme": "static int8 QDQ", "calibration": "512 Training faces, seed 0",
                               "float_metrics": {"val": {"n": 10, "accuracy": 0.81}}}}
    md = card_markdown(quantized)
    assert "| int8 | static int8 QDQ; calibrated on 512 Training faces, seed 0; the float model's " \
           "accuracy: val 0.8100 |" in md
    assert "| note | warm start: the recipe's warm teacher |" in md


def test_ship_a_run_with_its_card(tmp_path: Path) -> None:
    import numpy as np
    from learn_synth import one_block

    from moviemotion.learn import Predictor
    from moviemotion.learn.ship import ship
    from moviemotion.learn.train import TrainConfig, train

    task = Task("toy", (3, 16, 16), ("tl", "tr", "bl"), mean=100.0, std=60.0)
    xtr, ytr = one_block(45, seed=1)
    xva, yva = one_block(15, seed=2)
    cfg = TrainConfig(arch="mini_xception", epochs=1, batch_size=16, augment="none", threads=1,
                      command="moviemotion train toy")
    run = train(task, cfg, tmp_path / "run", (xtr, ytr), (xva, yva), quiet=True)
    plain = ship(run, tmp_path / "w" / "toy.onnx")
    assert plain.read_bytes() == (run / "model.onnx").read_bytes()
    card = json.loads(plain.with_suffix(".json").read_text())
    ev = json.loads((run / "evaluation.json").read_text())
    assert card["metrics"]["val"]["accuracy"] == ev["accuracy"] and card["best_epoch"] == 1
    assert card["confusion"] == ev["full"]["confusion"] and card["command"] == "moviemotion train toy"
    mirrored = ship(run, tmp_path / "w" / "toy-m.onnx", val_data=(xva, yva), mirror=True)
    card = json.loads(mirrored.with_suffix(".json").read_text())
    p = Predictor(mirrored)
    assert p.metadata["mirror_averaged"] == "true" and card["mirror_averaged"] is True
    acc = float(np.mean(p.predict(xva).argmax(1) == yva))
    assert card["metrics"]["val"]["accuracy"] == acc and card["metrics"]["val"]["n"] == 15
