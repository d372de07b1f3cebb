"""Training the face-verification embedding on the kit (:mod:`moviemotion.learn`).

A small CNN (``vgg`` by default) maps a gray face crop, normalized for lighting
(:mod:`moviemotion.faceid.illumination`: Tan-Triggs by default, or histogram equalization),
to a unit vector; it is trained with
the triplet loss and semi-hard negative mining (:mod:`moviemotion.learn.triplet`) on the
training identities; the best epoch is chosen by the equal error rate over all pairs of the
validation identities; the model card reports the test identities, seen neither in training
nor in selection (ROC AUC, EER, TAR at FAR 1 % and 0.1 %), next to the raw-pixel cosine
similarity baseline measured on the same pairs (``baselines.json``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.faceid import data as fdata
from moviemotion.io import atomic_write_json
from moviemotion.learn.task import Task

EMBEDDING_DIM = 64


def make_task(x_train: np.ndarray, dim: int = EMBEDDING_DIM) -> Task:
    return Task.embedding("faceid", (1, *x_train.shape[1:]), dim,
                          mean=round(float(x_train.mean()), 2), std=round(float(x_train.std()), 2),
                          augment="light")


def raw_pixel_scores(faces: fdata.FaceSet) -> dict[str, float]:
    """The baseline: cosine similarity of mean-centered raw pixels, over all pairs."""
    from moviemotion.learn.metrics import verification_scores

    v = faces.x.reshape(len(faces.x), -1).astype(np.float64)
    v -= v.mean(axis=1, keepdims=True)
    return verification_scores(faces.y, v)


def _standardized(x: np.ndarray) -> np.ndarray:
    """Faces as rows, each standardized (zero mean, unit deviation over its pixels)."""
    v = x.reshape(len(x), -1).astype(np.float64)
    return (v - v.mean(axis=1, keepdims=True)) / np.maximum(v.std(axis=1, keepdims=True), 1e-9)


def fisherfaces(train: fdata.FaceSet, components: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Belhumeur et al. (1997), "Fisherfaces": PCA to ``components`` dimensions, then LDA,
    both fitted on the training identities of per-image standardized faces; returned as one
    linear map ``(W, b)``: a face's projection is ``standardized(face) @ W + b``."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    v = _standardized(train.x)
    pca = PCA(min(components, len(v) - 1, v.shape[1]), random_state=0).fit(v)
    lda = LinearDiscriminantAnalysis().fit(pca.transform(v), train.y)
    scal = lda.scalings_[:, : lda._max_components]
    w = pca.components_.T @ scal
    b = -(pca.mean_ @ pca.components_.T + lda.xbar_) @ scal
    return w, b


def fisherfaces_embed(x: np.ndarray, projection: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Unit-length Fisherfaces projections of faces ``x`` (see :func:`fisherfaces`)."""
    w, b = projection
    e = _standardized(x) @ w + b
    return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)


def fisherfaces_scores(train: fdata.FaceSet, *evaluate: fdata.FaceSet,
                       components: int = 200) -> list[dict[str, float]]:
    """The learned linear baseline (:func:`fisherfaces`): cosine similarity of the projections
    over all pairs of each ``evaluate`` set."""
    from moviemotion.learn.metrics import verification_scores

    proj = fisherfaces(train, components)
    return [verification_scores(e.y, fisherfaces_embed(e.x, proj)) for e in evaluate]


def fuse(cnn: np.ndarray, fisher: np.ndarray, weight: float) -> np.ndarray:
    """One embedding whose cosine similarity is ``weight`` x the CNN's plus ``1 - weight`` x
    the Fisherfaces' (both unit vectors): ``[sqrt(w) cnn, sqrt(1 - w) fisher]``."""
    return np.concatenate([np.sqrt(weight) * cnn, np.sqrt(1 - weight) * fisher], axis=1)


#: Candidate CNN weights of the fusion, chosen by validation EER (ties: the larger weight).
FUSION_WEIGHTS = tuple(round(w, 2) for w in np.arange(0.0, 1.0001, 0.05))


def choose_fusion(labels: np.ndarray, cnn: np.ndarray, fisher: np.ndarray) -> tuple[float, dict]:
    """The CNN weight of :func:`fuse` with the least EER on (validation) ``labels``; and the
    EER of every candidate."""
    from moviemotion.learn.metrics import verification_scores

    eers = {w: verification_scores(labels, fuse(cnn, fisher, w))["eer"] for w in FUSION_WEIGHTS}
    best = min(FUSION_WEIGHTS, key=lambda w: (round(eers[w], 6), -w))
    return best, eers


def train_faceid(data_dir: str | Path, run_dir: str | Path, config: Any, *, dim: int = EMBEDDING_DIM,
                 margin: float = 0.2, size: tuple[int, int] = fdata.INPUT_SIZE,
                 limit: int | None = None, resume: bool = False, quiet: bool = False,
                 preprocess: str = "tan-triggs") -> Path:
    """Train the embedding (a :class:`~moviemotion.learn.train.TrainConfig` ``config``) in
    ``run_dir``; writes the kit's run files plus ``split.json`` (identities per split),
    ``baselines.json`` and ``test.json`` (the best epoch on the test identities). ``preprocess``:
    one of :data:`~moviemotion.faceid.illumination.PREPROCESS` (recorded in ``split.json``)."""
    import torch

    from moviemotion.faceid.illumination import lbp_scores, normalize
    from moviemotion.learn.train import finish, load_checkpoint, predict_torch, train
    from moviemotion.learn.triplet import semi_hard_triplet_loss

    run_dir = Path(run_dir)
    faces = fdata.read_faces(data_dir, size)
    tr_ids, va_ids, te_ids = fdata.split_identities(len(faces.names), config.seed)
    raw = {"val": faces.subset(va_ids), "test": faces.subset(te_ids)}
    faces = fdata.FaceSet(normalize(faces.x, preprocess), faces.y, faces.names)
    tr, va, te = faces.subset(tr_ids), faces.subset(va_ids), faces.subset(te_ids)
    if limit:
        tr = fdata.FaceSet(tr.x[::max(1, len(tr.x) // limit)], tr.y[::max(1, len(tr.x) // limit)], tr.names)
    task = make_task(tr.x, dim)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / "split.json", {
        **{k: [faces.names[i] for i in v] for k, v in (("train", tr_ids), ("val", va_ids), ("test", te_ids))},
        "preprocess": preprocess, "size": list(size)})
    atomic_write_json(run_dir / "baselines.json", {
        "raw_pixel_cosine": {k: raw_pixel_scores(v) for k, v in raw.items()},
        f"{preprocess}_pixel_cosine": {"val": raw_pixel_scores(va), "test": raw_pixel_scores(te)},
        f"{preprocess}_lbp_chi_square": {"val": lbp_scores(va.y, va.x), "test": lbp_scores(te.y, te.x)},
        f"{preprocess}_fisherfaces": dict(zip(("val", "test"), fisherfaces_scores(tr, va, te), strict=True))})

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return semi_hard_triplet_loss(out, y, margin)

    def on_finish(folder: Path) -> None:
        finish(task, folder, (va.x, va.y))
        net, ckpt, t = load_checkpoint(folder / "best.pt", task)
        emb = predict_torch(net, te.x, t)
        atomic_write_json(folder / "test.json", {"split": "test identities", "n": len(te.y),
                                                 "identities": len(set(te.y.tolist())),
                                                 "epoch": ckpt["epoch"], **t.score(te.y, emb)})

    return train(task, config, run_dir, (tr.x, tr.y), (va.x, va.y), resume=resume, quiet=quiet,
                 loss_fn=loss, on_finish=on_finish)


def eer_threshold(labels: np.ndarray, embeddings: np.ndarray) -> float:
    """The cosine-similarity threshold at the equal-error point over all pairs."""
    from sklearn.metrics import roc_curve

    from moviemotion.learn.metrics import pairs

    same, sim = pairs(labels, embeddings)
    fpr, tpr, thr = roc_curve(same, sim)
    i = int(np.argmin(np.abs((1 - tpr) - fpr)))
    return float(min(1.0, thr[i]))


def fused_task(task: Task, projection: tuple[np.ndarray, np.ndarray]) -> Task:
    """The embedding task of :func:`fused_network`: the CNN's dimensions, then Fisherfaces'."""
    import dataclasses

    dim = task.num_outputs + projection[0].shape[1]
    return dataclasses.replace(task, outputs=tuple(f"e{i}" for i in range(dim)))


def fused_network(net, task: Task, projection: tuple[np.ndarray, np.ndarray], weight: float):
    """``net`` (raw face -> embedding) with a Fisherfaces branch beside it, in one torch module
    whose (unit) output is :func:`fuse` of both: what the shipped ONNX file computes."""
    import torch
    from torch import nn

    from moviemotion.learn.train import activate

    class Fused(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net
            self.register_buffer("w", torch.as_tensor(projection[0], dtype=torch.float32))
            self.register_buffer("b", torch.as_tensor(projection[1], dtype=torch.float32))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            cnn = activate(self.net(x), task.kind)
            v = x.flatten(1)
            v = (v - v.mean(1, keepdim=True)) / v.std(1, unbiased=False, keepdim=True).clamp_min(1e-9)
            fisher = nn.functional.normalize(v @ self.w + self.b, dim=1)
            return torch.cat([math.sqrt(weight) * cnn, math.sqrt(1 - weight) * fisher], dim=1)

    return Fused().eval()


def ship(run_dir: str | Path, dest: str | Path | None = None, fusion: bool = True) -> Path:
    """Install a finished run's best checkpoint as the shipped embedding (or at ``dest``):
    ONNX with ``threshold`` (validation EER point) in its metadata, and a model card with
    the test-identity scores next to the raw-pixel baseline on the same pairs.

    ``fusion``: the CNN is shipped fused with Fisherfaces fitted on the training identities
    (:func:`fused_network`), the CNN's weight chosen on the validation identities (1.0: the
    CNN alone)."""
    import json

    from moviemotion.faceid.illumination import normalize
    from moviemotion.faceid.verifier import MODEL
    from moviemotion.learn.card import model_card, write_card
    from moviemotion.learn.metrics import verification_scores
    from moviemotion.learn.onnx import export_onnx
    from moviemotion.learn.ship import require_run_files
    from moviemotion.learn.train import load_checkpoint, predict_torch, read_metrics

    run_dir = Path(run_dir)
    require_run_files(run_dir, ("best.pt", "config.json", "split.json", "test.json", "evaluation.json"), "faceid")
    config = json.loads((run_dir / "config.json").read_text())
    net, ckpt, task = load_checkpoint(run_dir / "best.pt")
    split = json.loads((run_dir / "split.json").read_text())
    faces = fdata.read_faces(config["data"], tuple(task.input_shape[1:]))
    preprocess = split.get("preprocess", "equalize")
    faces = fdata.FaceSet(normalize(faces.x, preprocess), faces.y, faces.names)
    tr, val, te = (faces.subset([faces.names.index(n) for n in split[k]]) for k in ("train", "val", "test"))
    proj = fisherfaces(tr) if fusion else None
    weight, eers = 1.0, {}
    if proj is not None:  # the CNN's and Fisherfaces' similarities, weighted on validation
        weight, eers = choose_fusion(val.y, predict_torch(net, val.x, task), fisherfaces_embed(val.x, proj))
    export_net, export_task = net, task
    if weight < 1.0:
        export_net, export_task = fused_network(net, task, proj, weight), fused_task(task, proj)

    def embed(x: np.ndarray) -> np.ndarray:
        return predict_torch(export_net, x, export_task)

    val_embedded = embed(val.x)
    threshold = eer_threshold(val.y, val_embedded)
    dest = Path(dest) if dest is not None else MODEL
    test = json.loads((run_dir / "test.json").read_text())
    fused_test = verification_scores(te.y, embed(te.x))
    export_onnx(export_net, dest, export_task, metadata={
        "arch": config["arch"], "epoch": ckpt["epoch"], "seed": config["seed"],
        "threshold": f"{threshold:.6f}", "preprocess": preprocess, "test_eer": fused_test["eer"],
        "cnn_weight": weight, "command": config.get("command", "")})
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    baselines = json.loads((run_dir / "baselines.json").read_text())
    base = baselines["raw_pixel_cosine"]
    keep = ("roc_auc", "eer", "tar_at_far_1e-2", "tar_at_far_1e-3")
    metrics = {"test identities": {k: fused_test[k] for k in keep},
               "test identities, CNN alone": {k: test[k] for k in keep},
               "test identities, baseline raw-pixel cosine": {k: base["test"][k] for k in keep},
               "val identities": {k: verification_scores(val.y, val_embedded)[k] for k in keep},
               "val identities, CNN alone (epoch selection)": {k: evaluation[k] for k in keep if k in evaluation},
               "val identities, baseline raw-pixel cosine": {k: base["val"][k] for k in keep}}
    fisher_key = f"{preprocess}_fisherfaces"
    if fisher_key in baselines:
        metrics["test identities, Fisherfaces alone"] = {k: baselines[fisher_key]["test"][k] for k in keep}
    rows = read_metrics(run_dir)
    card = model_card(export_task, config, metrics, model=dest, best_epoch=int(ckpt["epoch"]),
                      identities=split, threshold=threshold,
                      fusion={"cnn_weight": weight, "chosen_on": "validation identities, least EER",
                              "validation_eer_per_weight": {str(k): round(v, 4) for k, v in eers.items()},
                              "fisherfaces_dims": 0 if proj is None else int(proj[0].shape[1])},
                      training_seconds=round(sum(float(r["seconds"]) for r in rows)))
    write_card(dest, card)
    return dest
