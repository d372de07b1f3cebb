"""Runs and checkpoints made before the learning kit still load, resume and ship."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from moviemotion.emotion.task import build, load_checkpoint
from moviemotion.emotion.train import TrainConfig, train


def test_vgg_keeps_the_shipped_state_dict_layout() -> None:
    keys = list(build("vgg").state_dict())
    bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    # features.0 is the normalization (no weights); each conv-BN-ReLU block, then a max-pool
    blocks = [1, 3, 5, 6, 8, 9]          # depths (1, 1, 2, 2) -> pools at 2, 4, 7, 10
    expected = []
    for b in blocks:
        expected += [f"features.{b}.0.weight"] + [f"features.{b}.1.{k}" for k in bn]
    assert keys == expected + ["head.3.weight", "head.3.bias"]


def test_pre_kit_checkpoint_loads_and_resumes(tiny_npz: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(data=str(tiny_npz), arch="vgg", arch_args={"width": 4}, epochs=1,
                      batch_size=16, augment="none", threads=1, seed=3, schedule="constant")
    run = train(cfg, tmp_path / "run", quiet=True)
    for name in ("best.pt", "last.pt"):             # rewrite as the old trainer wrote them
        ckpt = torch.load(run / name, weights_only=False)
        ckpt.pop("task")
        if "best_score" in ckpt:
            ckpt["best_acc"] = ckpt.pop("best_score")
        torch.save(ckpt, run / name)
    old_cfg = json.loads((run / "config.json").read_text())
    for key in ("task", "resume_command"):
        old_cfg.pop(key, None)
    (run / "config.json").write_text(json.dumps(old_cfg))
    net, ckpt = load_checkpoint(run / "best.pt")
    assert ckpt["epoch"] == 1 and net.head[3].out_features == 7
    train(TrainConfig(data=str(tiny_npz), epochs=2), run, resume=True, quiet=True)
    assert torch.load(run / "last.pt", weights_only=False)["epoch"] == 2
