"""Face verification: the seed's siamese network (hand gradients = autograd), the semi-hard
triplet loss, training by identity split on the kit, FaceVerifier, bad input."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from faceid_synth import make_faces

from moviemotion.errors import InputError
from moviemotion.faceid import data as fdata
from moviemotion.learn.archs import build
from moviemotion.learn.archs.siamese import Siamese, hand_gradients
from moviemotion.learn.task import Task
from moviemotion.learn.triplet import semi_hard_triplet_loss


@pytest.mark.parametrize("distance", ["difference", "absolute"])
def test_siamese_hand_gradients_equal_autograd(distance: str):
    torch.manual_seed(0)
    net = Siamese((2, 10), 1, mean=3.0, std=2.0, hidden=7, distance=distance).double()
    x = torch.randn(9, 2, 10, dtype=torch.float64) * 4 + 3
    t = torch.randint(0, 2, (9, 1)).double()
    y = torch.sigmoid(net(x))
    loss = -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).mean()    # the seed's cross-entropy
    loss.backward()
    hand = hand_gradients(net, x, t)
    assert torch.allclose(hand["W1"], net.layer1.weight.grad, atol=1e-12)
    assert torch.allclose(hand["b1"], net.layer1.bias.grad, atol=1e-12)
    assert torch.allclose(hand["W2"], net.layer2.weight.grad, atol=1e-12)
    assert torch.allclose(hand["b2"], net.layer2.bias.grad, atol=1e-12)
    assert net.layer1.weight.grad.abs().sum() > 0                       # not a trivial check


def test_siamese_twins_share_weights_and_flip_sign():
    net = build("siamese", Task("pairs", (2, 6), ("same",), "multilabel"), hidden=5).eval()
    x = torch.rand(4, 2, 6)
    swapped = x.flip(1)
    with torch.no_grad():
        assert torch.allclose(net.forward_features(x), -net.forward_features(swapped))
        same = torch.stack([x[:, 0], x[:, 0]], 1)
        assert torch.allclose(net.forward_features(same), torch.zeros(4, 5), atol=1e-6)


def test_siamese_preset_trains_on_the_kit(tmp_path: Path):
    """The seed's a1 - a2 cannot score pairs symmetrically (documented); |a1 - a2| learns."""
    from moviemotion.learn.train import TrainConfig, train

    rng = np.random.default_rng(0)
    protos = rng.normal(0, 1, (6, 8))
    i, j = rng.integers(0, 6, 400), rng.integers(0, 6, 400)
    j[:200] = i[:200]
    x = np.stack([protos[i], protos[j]], 1) + rng.normal(0, 0.1, (400, 2, 8))
    y = (i == j).astype(np.float32)[:, None]
    task = Task("pairs", (2, 8), ("same",), "multilabel")
    cfg = TrainConfig(arch="siamese", arch_args={"hidden": 16, "distance": "absolute"}, epochs=15,
                      seed=0, lr=0.01)
    run = train(task, cfg, tmp_path / "r", (x[:300].astype(np.float32), y[:300]),
                (x[300:].astype(np.float32), y[300:]), quiet=True)
    prevalence = float(y[300:].mean())
    assert json.loads((run / "evaluation.json").read_text())["mAP"] > prevalence + 0.5


def brute_force_semi_hard(e: np.ndarray, labels: np.ndarray, margin: float) -> float:
    e = e / np.linalg.norm(e, axis=1, keepdims=True)
    d = np.linalg.norm(e[:, None] - e[None], axis=2)
    losses = []
    for a, p in itertools.permutations(range(len(labels)), 2):
        if labels[a] != labels[p]:
            continue
        negs = [n for n in range(len(labels)) if labels[n] != labels[a]]
        farther = [d[a, n] for n in negs if d[a, n] > d[a, p]]
        dn = min(farther) if farther else max(d[a, n] for n in negs)
        losses.append(max(0.0, d[a, p] - dn + margin))
    return float(np.mean(losses))


def test_semi_hard_triplet_loss_matches_its_definition():
    rng = np.random.default_rng(1)
    e = rng.normal(size=(12, 4))
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3])
    got = float(semi_hard_triplet_loss(torch.tensor(e), torch.tensor(labels), 0.3))
    assert got == pytest.approx(brute_force_semi_hard(e, labels, 0.3), rel=1e-6)
    assert got > 0


def test_semi_hard_loss_is_zero_for_separated_identities():
    e = torch.tensor([[1.0, 0], [0.99, 0.01], [0, 1.0], [0.01, 0.99]])
    assert float(semi_hard_triplet_loss(e, torch.tensor([0, 0, 1, 1]), 0.2)) == 0.0


def test_identity_split_is_seeded_and_disjoint():
    a = fdata.split_identities(38, seed=0)
    b = fdata.split_identities(38, seed=0)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert sorted(np.concatenate(a).tolist()) == list(range(38))
    assert [len(s) for s in a] == [26, 5, 7]
    assert not np.array_equal(fdata.split_identities(38, seed=1)[2], a[2])


def test_training_ships_a_verifier(faces_dir: Path, tmp_path: Path):
    from moviemotion.faceid.training import ship, train_faceid
    from moviemotion.faceid.verifier import FaceVerifier
    from moviemotion.learn.train import TrainConfig

    cfg = TrainConfig(data=str(faces_dir), arch="vgg", arch_args={"width": 4, "dropout": 0.0},
                      epochs=3, batch_size=32, optimizer="adam", lr=0.003, seed=0, threads=1)
    run = train_faceid(faces_dir, tmp_path / "run", cfg, dim=8, size=(32, 28), quiet=True)
    test = json.loads((run / "test.json").read_text())
    assert test["identities"] == 7 and 0 <= test["eer"] <= 1
    split = json.loads((run / "split.json").read_text())
    assert not set(split["train"]) & (set(split["val"]) | set(split["test"]))
    baselines = json.loads((run / "baselines.json").read_text())
    base = baselines["raw_pixel_cosine"]["test"]
    assert {"tan-triggs_pixel_cosine", "tan-triggs_lbp_chi_square", "tan-triggs_fisherfaces"} <= set(baselines)
    assert 0 <= baselines["tan-triggs_fisherfaces"]["test"]["eer"] <= 1
    assert set(base) == {"roc_auc", "eer", "tar_at_far_1e-2", "tar_at_far_1e-3"}
    model = ship(run, tmp_path / "faceid.onnx")
    card = json.loads(model.with_suffix(".json").read_text())
    assert "test identities, baseline raw-pixel cosine" in card["metrics"]
    v = FaceVerifier(model)
    assert -1 <= v.threshold <= 1
    assert v.preprocess == split["preprocess"] == "tan-triggs"          # the verifier follows training
    rng = np.random.default_rng(0)
    faces = [rng.integers(0, 255, (192, 168), np.uint8), rng.integers(0, 255, (60, 50, 3), np.uint8)]
    e = v.embed(faces)
    fusion = card["fusion"]
    dims = 8 + (fusion["fisherfaces_dims"] if fusion["cnn_weight"] < 1 else 0)
    assert fusion["cnn_weight"] in fusion_weights() and v.dim == dims
    assert e.shape == (2, dims) and np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert FaceVerifier(ship(run, tmp_path / "cnn.onnx", fusion=False)).dim == 8
    assert v.similarity(e[0], e[0]) == pytest.approx(1.0, abs=1e-5)
    assert v.similarity(e, e).shape == (2, 2)
    color = np.repeat(faces[0][:, :, None], 3, axis=2)                  # gray as RGB: same face
    assert v.similarity(v.embed([color])[0], e[0]) == pytest.approx(1.0, abs=1e-4)


def fusion_weights():
    from moviemotion.faceid.training import FUSION_WEIGHTS

    return FUSION_WEIGHTS


def _identities(n_ids=12, per=10, dim=(32, 28), seed=0):
    rng = np.random.default_rng(seed)
    protos = rng.normal(128, 40, (n_ids, *dim))
    x = np.concatenate([p + rng.normal(0, 25, (per, *dim)) for p in protos]).clip(0, 255)
    return fdata.FaceSet(x.astype(np.float32), np.repeat(np.arange(n_ids), per), [f"id{i}" for i in range(n_ids)])


def test_fisherfaces_is_pca_then_lda_as_one_linear_map():
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from moviemotion.faceid.training import fisherfaces, fisherfaces_embed

    faces = _identities()
    w, b = fisherfaces(faces, components=40)
    v = faces.x.reshape(len(faces.x), -1).astype(np.float64)
    v = (v - v.mean(1, keepdims=True)) / v.std(1, keepdims=True)
    pca = PCA(40, random_state=0).fit(v)
    ref = LinearDiscriminantAnalysis().fit(pca.transform(v), faces.y).transform(pca.transform(v))
    np.testing.assert_allclose(v @ w + b, ref, atol=1e-6)
    e = fisherfaces_embed(faces.x * 2 + 7, (w, b))  # per-image standardized: affine-invariant
    np.testing.assert_allclose(e, ref / np.linalg.norm(ref, axis=1, keepdims=True), atol=1e-6)


def test_fused_network_computes_the_weighted_similarity():
    from moviemotion.faceid.training import (
        choose_fusion,
        fisherfaces,
        fisherfaces_embed,
        fuse,
        fused_network,
        fused_task,
    )
    from moviemotion.learn.metrics import pairs
    from moviemotion.learn.train import predict_torch

    faces = _identities()
    task = Task.embedding("faceid", (1, 32, 28), 6)
    torch.manual_seed(0)
    net = build("vgg", task, width=4, dropout=0.0).eval()
    proj = fisherfaces(faces, components=40)
    cnn, fisher = predict_torch(net, faces.x, task), fisherfaces_embed(faces.x, proj)
    fused = predict_torch(fused_network(net, task, proj, 0.3), faces.x, fused_task(task, proj))
    np.testing.assert_allclose(fused, fuse(cnn, fisher, 0.3), atol=1e-5)
    _, sim = pairs(faces.y, fused)
    _, s_cnn = pairs(faces.y, cnn)
    _, s_fisher = pairs(faces.y, fisher)
    np.testing.assert_allclose(sim, 0.3 * s_cnn + 0.7 * s_fisher, atol=1e-5)
    # an embedding that is noise beside Fisherfaces that separate these identities: the
    # fusion leans on Fisherfaces
    noise = np.random.default_rng(1).normal(size=cnn.shape)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    weight, eers = choose_fusion(faces.y, noise, fisher)
    assert weight < 0.5 and eers[weight] == min(eers.values()) and eers[weight] < eers[1.0]


# ---- bad input -------------------------------------------------------------------------------

def test_identity_with_a_single_image_names_the_file(tmp_path: Path):
    root = make_faces(tmp_path / "f", identities=3, per_identity=3, single="id01")
    with pytest.raises(InputError, match=r"labels\.csv: identity id01 has a single image"):
        fdata.read_labels(root)


def test_unreadable_face_and_bad_table(tmp_path: Path):
    root = make_faces(tmp_path / "f", identities=2, per_identity=2)
    (root / "id00" / "0.png").write_bytes(b"broken")
    with pytest.raises(InputError, match=r"0\.png: not a readable image"):
        fdata.read_faces(root)
    (root / "labels.csv").write_text("file,person\na.png,x\n")
    with pytest.raises(InputError, match="needs the columns path,identity"):
        fdata.read_labels(root)


def test_cli_errors_are_one_line(tmp_path: Path):
    root = make_faces(tmp_path / "f", identities=3, per_identity=3, single="id02")
    env = {**os.environ, "COLUMNS": "120"}
    p = subprocess.run([sys.executable, "-m", "moviemotion", "train", "faceid", "--data", str(root),
                        "-o", str(tmp_path / "r")], capture_output=True, text=True, env=env, timeout=300)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1 and "identity id02 has a single image" in lines[0]
    bad = tmp_path / "x.png"
    bad.write_text("no")
    p = subprocess.run([sys.executable, "-m", "moviemotion", "faceid", str(bad), str(bad)],
                       capture_output=True, text=True, env=env, timeout=300)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1 and "x.png: not a readable image" in lines[0]
    for opt, value, says in (("--preprocess", "gamma", "expected one of equalize, tan-triggs"),
                             ("--size", "64", "expected HEIGHTxWIDTH")):
        p = subprocess.run([sys.executable, "-m", "moviemotion", "train", "faceid", "--data", str(root),
                            opt, value, "-o", str(tmp_path / "r2")], capture_output=True, text=True,
                           env=env, timeout=300)
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        assert p.returncode == 2 and len(lines) == 1 and says in lines[0]
