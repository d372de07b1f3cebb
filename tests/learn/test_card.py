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
