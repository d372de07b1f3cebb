"""Training: learns a separable toy problem, is reproducible, resumes, writes its run folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from moviemotion.emotion.train import TrainConfig, load_checkpoint, train
from moviemotion.errors import InputError, ModelError


def _config(data: Path, **kw) -> TrainConfig:
    base = dict(data=str(data), arch="vgg", arch_args={"width": 4}, epochs=2, batch_size=16,
                lr=0.05, augment="none", threads=1, seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _weights(run_dir: Path, name: str = "last.pt") -> dict[str, torch.Tensor]:
    return torch.load(run_dir / name, weights_only=False)["model"]


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_learns_separable_data_and_writes_run_folder(tiny_npz: Path, tmp_path: Path) -> None:
    run = train(_config(tiny_npz, epochs=6, augment="light"), tmp_path / "run", quiet=True)
    for name in ("config.json", "metrics.csv", "best.pt", "last.pt", "model.onnx",
                 "evaluation.json", "classification_report.txt", "confusion_matrix.png"):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    result = json.loads((run / "evaluation.json").read_text())
    assert result["full"]["accuracy"] > 0.6            # chance is 1/7
    assert result["duplicates"] == 2 and result["dedup"]["n"] == 26
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["optimizer"] == "sgd" and cfg["label_smoothing"] == 0.1  # filled from the recipe


def test_same_seed_same_weights(tiny_npz: Path, tmp_path: Path) -> None:
    a = train(_config(tiny_npz, augment="strong"), tmp_path / "a", quiet=True)
    b = train(_config(tiny_npz, augment="strong"), tmp_path / "b", quiet=True)
    c = train(_config(tiny_npz, augment="strong", seed=4), tmp_path / "c", quiet=True)
    assert _same(_weights(a), _weights(b))
    assert not _same(_weights(a), _weights(c))


def test_resume_continues_from_checkpoint(tiny_npz: Path, tmp_path: Path) -> None:
    full = train(_config(tiny_npz, schedule="constant"), tmp_path / "full", quiet=True)
    part = train(_config(tiny_npz, schedule="constant", epochs=1), tmp_path / "part", quiet=True)
    with pytest.raises(InputError, match="already holds a run"):
        train(_config(tiny_npz, epochs=2), part, quiet=True)
    train(_config(tiny_npz, epochs=2, command="resume-cmd"), part, resume=True, quiet=True)
    cfg = json.loads((part / "config.json").read_text())
    assert cfg["epochs"] == 2 and cfg["resumed_with"] == ["resume-cmd"]
    rows = list(csv.DictReader((part / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert _same(_weights(full), _weights(part))


def test_resume_needs_a_run(tiny_npz: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nothing to resume"):
        train(_config(tiny_npz), tmp_path / "empty", resume=True)


def test_bad_options(tiny_npz: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown augmentation"):
        train(_config(tiny_npz, augment="wild"), tmp_path / "x")
    with pytest.raises(ModelError, match="checkpoint not found"):   # D9: a model file, exit 4
        load_checkpoint(tmp_path / "missing.pt")


def test_ship_int8_scores_the_quantized_file(tiny_npz: Path, tmp_path: Path) -> None:
    """`ship emotion RUN --mirror --int8`: the installed file is the quantized mirror model,
    the card's scores are that file's (the float model's kept beside them), and its
    probabilities still sum to 1."""
    import numpy as np
    import onnx

    from moviemotion.emotion import Predictor
    from moviemotion.emotion.export import ship

    run = train(_config(tiny_npz, epochs=4, augment="light"), tmp_path / "run", quiet=True)
    dest = ship(run, tmp_path / "w" / "default.onnx", mirror=True, int8=True)
    assert "QuantizeLinear" in [n.op_type for n in onnx.load(str(dest)).graph.node]
    assert dest.read_bytes() == (run / "model-mirror-int8.onnx").read_bytes()
    card = json.loads(dest.with_suffix(".json").read_text())
    assert card["mirror_averaged"] is True and card["quantized"]["calibration"] == "84 Training faces, seed 0"  # all of them (< 512)
    ev = json.loads((run / "int8" / "evaluation.json").read_text())
    assert card["metrics"]["full"]["accuracy"] == ev["full"]["accuracy"]
    assert card["quantized"]["float_metrics"]["full"]["n"] == card["metrics"]["full"]["n"]
    x = np.random.default_rng(0).integers(0, 256, (5, 48, 48)).astype(np.uint8)
    np.testing.assert_allclose(Predictor(dest).predict(x).sum(1), 1, atol=1e-5)
