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


def fisherfaces_scores(train: fdata.FaceSet, *evaluate: fdata.FaceSet,
                       components: int = 200) -> list[dict[str, float]]:
    """A learned linear baseline (Belhumeur et al. 1997, "Fisherfaces"): PCA to ``components``
    dimensions, then LDA, both fitted on the training identities; cosine similarity of the
    projections over all pairs of each ``evaluate`` set (faces standardized per image)."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from moviemotion.learn.metrics import verification_scores

    def flat(x: np.ndarray) -> np.ndarray:
        v = x.reshape(len(x), -1).astype(np.float64)
        return (v - v.mean(axis=1, keepdims=True)) / np.maximum(v.std(axis=1, keepdims=True), 1e-9)

    pca = PCA(min(components, len(train.x) - 1, train.x[0].size), random_state=0).fit(flat(train.x))
    lda = LinearDiscriminantAnalysis().fit(pca.transform(flat(train.x)), train.y)
    return [verification_scores(e.y, lda.transform(pca.transform(flat(e.x)))) for e in evaluate]


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


def ship(run_dir: str | Path, dest: str | Path | None = None) -> Path:
    """Install a finished run's best checkpoint as the shipped embedding (or at ``dest``):
    ONNX with ``threshold`` (validation EER point) in its metadata, and a model card with
    the test-identity scores next to the raw-pixel baseline on the same pairs."""
    import csv
    import json

    from moviemotion.errors import ModelError
    from moviemotion.faceid.illumination import normalize
    from moviemotion.faceid.verifier import MODEL
    from moviemotion.learn.card import model_card, write_card
    from moviemotion.learn.onnx import export_onnx
    from moviemotion.learn.train import load_checkpoint, predict_torch

    run_dir = Path(run_dir)
    need = [run_dir / n for n in ("best.pt", "config.json", "split.json", "test.json", "evaluation.json")]
    missing = [p.name for p in need if not p.is_file()]
    if missing:
        raise ModelError(f"{run_dir}: not a finished faceid run (missing {', '.join(missing)})")
    config = json.loads((run_dir / "config.json").read_text())
    net, ckpt, task = load_checkpoint(run_dir / "best.pt")
    split = json.loads((run_dir / "split.json").read_text())
    faces = fdata.read_faces(config["data"], tuple(task.input_shape[1:]))
    preprocess = split.get("preprocess", "equalize")
    faces = fdata.FaceSet(normalize(faces.x, preprocess), faces.y, faces.names)
    val = faces.subset([faces.names.index(n) for n in split["val"]])
    threshold = eer_threshold(val.y, predict_torch(net, val.x, task))
    dest = Path(dest) if dest is not None else MODEL
    test = json.loads((run_dir / "test.json").read_text())
    export_onnx(net, dest, task, metadata={"arch": config["arch"], "epoch": ckpt["epoch"],
                                           "seed": config["seed"], "threshold": f"{threshold:.6f}",
                                           "preprocess": preprocess,
                                           "test_eer": test.get("eer"), "command": config.get("command", "")})
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    base = json.loads((run_dir / "baselines.json").read_text())["raw_pixel_cosine"]
    keep = ("roc_auc", "eer", "tar_at_far_1e-2", "tar_at_far_1e-3")
    metrics = {"test identities": {k: test[k] for k in keep},
               "test identities, baseline raw-pixel cosine": {k: base["test"][k] for k in keep},
               "val identities (epoch selection)": {k: evaluation[k] for k in keep if k in evaluation},
               "val identities, baseline raw-pixel cosine": {k: base["val"][k] for k in keep}}
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    card = model_card(task, config, metrics, model=dest, best_epoch=int(ckpt["epoch"]),
                      identities=split, threshold=threshold,
                      training_seconds=round(sum(float(r["seconds"]) for r in rows)))
    write_card(dest, card)
    return dest
