"""One tiny training per task kind (seconds each): run folder, scores, ONNX = torch, the
Predictor, class activation maps and embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from learn_synth import blocks, identities, one_block, sequences

from moviemotion.learn import Predictor, Task
from moviemotion.learn.train import TrainConfig, load_checkpoint, predict_torch, train

FAST = dict(threads=1, seed=1, schedule="constant", command="pytest")


def _check_export(run: Path, task: Task, x_val: np.ndarray) -> np.ndarray:
    net, ckpt, stored = load_checkpoint(run / "best.pt")
    assert stored == task
    expected = predict_torch(net, x_val, task)
    p = Predictor(run / "model.onnx", threads=1, batch_size=7)
    got = p.predict(x_val)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert p.task is not None and p.task.name == task.name and p.task.kind == task.kind
    assert p.classes == task.outputs
    assert p.input_shape == task.input_shape
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["task"]["kind"] == task.kind and cfg["arch"]
    return got


def test_multiclass_images_with_cam(tmp_path: Path) -> None:
    task = Task("scene-like", (3, 16, 16), ("tl", "tr", "bl"), "multiclass", mean=100.0, std=60.0)
    xtr, ytr = one_block(90, seed=1)
    xva, yva = one_block(30, seed=2)
    cfg = TrainConfig(arch="vgg", arch_args={"width": 8}, epochs=4, batch_size=16, lr=0.05,
                      augment="none", **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr), (xva, yva), quiet=True)
    for name in ("config.json", "metrics.csv", "best.pt", "last.pt", "model.onnx",
                 "evaluation.json", "classification_report.txt", "confusion_matrix.png"):
        assert (run / name).is_file(), name
    ev = json.loads((run / "evaluation.json").read_text())
    assert ev["accuracy"] > 0.8 and ev["full"]["confusion"] and ev["classes"] == ["tl", "tr", "bl"]
    probs = _check_export(run, task, xva)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    # Class activation maps: their mean is the logit; the true class's map peaks in its block.
    net, _, _ = load_checkpoint(run / "best.pt")
    with torch.no_grad():
        f = net.forward_features(torch.from_numpy(xva).float())
        maps = net.class_maps(f)
        np.testing.assert_allclose(maps.mean(dim=(2, 3)), net.forward_head(f), atol=1e-4)
        assert net.embed(torch.from_numpy(xva).float()).shape == (30, 64)


def test_multilabel(tmp_path: Path) -> None:
    task = Task("poster-like", (3, 16, 16), ("q0", "q1", "q2", "q3"), "multilabel",
                mean=100.0, std=60.0)
    xtr, ytr = blocks(120, seed=1)
    xva, yva = blocks(40, seed=2)
    cfg = TrainConfig(arch="mini_xception", epochs=3, batch_size=16, lr=3e-3, augment="none",
                      **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr.astype(np.float32)), (xva, yva),
                quiet=True)
    ev = json.loads((run / "evaluation.json").read_text())
    assert {"mAP", "micro_f1", "macro_f1", "samples_f1", "ap", "thresholds"} <= set(ev)
    assert ev["mAP"] > 0.6                       # chance: the share of positives, ~0.5
    probs = _check_export(run, task, xva)
    # the F1-best thresholds found on validation data travel inside the model
    assert Predictor(run / "model.onnx").task.thresholds == tuple(ev["thresholds"].values())
    assert ((probs >= 0) & (probs <= 1)).all() and not np.allclose(probs.sum(1), 1)


def test_regression_sequences(tmp_path: Path) -> None:
    task = Task("affect-like", (4, 3), ("level", "last"), "regression")
    xtr, ytr = sequences(400, seed=1)
    xva, yva = sequences(100, seed=2)
    cfg = TrainConfig(arch="mlp", arch_args={"hidden": [32]}, epochs=25, batch_size=32,
                      lr=1e-2, **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr), (xva, yva), quiet=True)
    ev = json.loads((run / "evaluation.json").read_text())
    assert ev["pearson"] > 0.9 and ev["mse"] < 0.2 * float(np.var(yva))
    _check_export(run, task, xva)
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0] == "epoch,lr,train_loss,val_loss,val_mse,val_pearson,val_spearman,seconds"


def test_embedding_with_triplet_loss(tmp_path: Path) -> None:
    task = Task.embedding("faceid-like", (1, 16, 16), 8, mean=128.0, std=64.0)
    xtr, ytr = identities(6, 12, seed=1)
    xva, yva = xtr[::3].copy(), ytr[::3].copy()
    cfg = TrainConfig(arch="vgg", arch_args={"width": 4}, epochs=3, batch_size=24, lr=0.05,
                      augment="flip", **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr), (xva, yva), quiet=True)
    ev = json.loads((run / "evaluation.json").read_text())
    assert {"roc_auc", "eer", "tar_at_far_1e-2", "tar_at_far_1e-3"} <= set(ev)
    assert ev["eer"] < 0.3                       # random embeddings: about 0.5
    emb = _check_export(run, task, xva)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)


def test_dataset_same_as_arrays_and_resume(tmp_path: Path) -> None:
    task = Task("toy", (1, 16, 16), ("a", "b", "c"), mean=100.0, std=60.0)
    xtr, ytr = one_block(48, channels=1, seed=3)
    xva, yva = one_block(12, channels=1, seed=4)
    xtr, xva = xtr[:, 0], xva[:, 0]                  # (N, H, W): the channel axis is added
    cfg = TrainConfig(arch="vgg", arch_args={"width": 4}, epochs=2, batch_size=16, lr=0.05,
                      augment="light", **FAST)

    class Faces(torch.utils.data.Dataset):
        def __len__(self):
            return len(ytr)

        def __getitem__(self, i):
            return xtr[i], ytr[i]

    a = train(task, cfg, tmp_path / "a", (xtr, ytr), (xva, yva), quiet=True)
    b = train(task, cfg, tmp_path / "b", Faces(), (xva, yva), quiet=True)
    part = TrainConfig(**{**cfg.__dict__, "epochs": 1})
    c = train(task, part, tmp_path / "c", (xtr, ytr), (xva, yva), quiet=True)
    c = train(task, TrainConfig(epochs=2, command="again"), c, (xtr, ytr), (xva, yva),
              resume=True, quiet=True)
    weights = [torch.load(r / "last.pt", weights_only=False)["model"] for r in (a, b, c)]
    for w in weights[1:]:
        assert all(torch.equal(weights[0][k], w[k]) for k in weights[0])
    cfg_c = json.loads((c / "config.json").read_text())
    assert cfg_c["resumed_with"] == ["again"] and cfg_c["resume_command"].endswith("--resume")


@pytest.mark.parametrize("images, shape", [
    ([np.full((30, 50, 3), 200, np.uint8), np.full((8, 8), 10, np.uint8)], (3, 16, 16)),
    ([np.full((30, 50, 3), 200, np.uint8), np.full((64, 64), 10, np.uint8)], (1, 16, 16)),
])
def test_predictor_takes_any_image(tmp_path: Path, images, shape) -> None:
    from moviemotion.learn.archs import build
    from moviemotion.learn.onnx import export_onnx

    task = Task("img", shape, ("a", "b"), mean=100.0, std=50.0)
    torch.manual_seed(0)
    path = export_onnx(build("mini_xception", task), tmp_path / "m.onnx", task)
    p = Predictor(path, threads=1)
    x = p.prepare_images(images)
    assert x.shape == (2, *shape) and x.dtype == np.float32
    assert x[0].mean() == pytest.approx(200, abs=1) and x[1].mean() == pytest.approx(10, abs=1)
    np.testing.assert_allclose(p.predict_images(images), p.predict(x))


def test_asymmetric_loss_is_the_logistic_loss_without_its_asymmetry() -> None:
    """Without focusing and clipping it is 4x the mean logistic loss; with them an easy
    negative (p below the clip) costs nothing and a hard negative costs more than easy ones."""
    from moviemotion.learn.train import asymmetric_loss

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 5, generator=gen) * 2
    y = (torch.rand(6, 5, generator=gen) < 0.3).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
    torch.testing.assert_close(asymmetric_loss(logits, y, gamma_neg=0, gamma_pos=0, clip=0), 4 * bce)
    negative = torch.zeros(1, 1)
    easy = asymmetric_loss(torch.logit(torch.tensor([[0.03]])), negative)
    mid = asymmetric_loss(torch.logit(torch.tensor([[0.3]])), negative)
    hard = asymmetric_loss(torch.logit(torch.tensor([[0.9]])), negative)
    assert easy == 0 and 0 < mid < hard
    plain = lambda p: float(torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(0.0)))  # noqa: E731
    assert float(hard) / float(mid) > plain(0.9) / plain(0.3)      # focusing on the hard one
    logits.requires_grad_(True)
    asymmetric_loss(logits, y).backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
