"""The classical teacher of the scene CNN: Fisher vectors, per-dataset regressions, out of fold.

The scene model must stay a CNN with global average pooling + a linear head (its class
activation maps are exact), yet classical from-scratch models describe these small datasets
better than our small CNN does (docs/scenes.md). So they teach it: the CNN is trained on the
labels *and* on this teacher's probabilities (``moviemotion train scenes --teacher FILE``,
:mod:`moviemotion.learn.distill`), and only the CNN is shipped.

**The teacher.** Images at 128 x 128, described on one dense grid
(:func:`moviemotion.learn.fisher.describe_images`); two channels, each an improved Fisher
vector (:class:`~moviemotion.learn.fisher.FisherEncoder`, fitted on a sample of the training
images' descriptors with their grid position appended) and one logistic regression per
dataset over that dataset's own classes:

========================  ===========  ==========  ====
channel                   PCA dims     components  C
========================  ===========  ==========  ====
dense RootSIFT            64 + (x, y)  256         100
local colour statistics   32 + (x, y)  128         1
========================  ===========  ==========  ====

The teacher is the geometric mean of the two channels' probabilities, renormalized (classes
of the other dataset get 0), then **calibrated** per dataset by temperature scaling (Guo et
al. 2017: ``softmax(log p / tau)``, ``tau`` minimizing the negative log-likelihood of the
out-of-fold training probabilities). The regressions' probabilities are far less sure than
they are right (on 15-Scene: 80 % right with a mean top probability of 0.51; tau 0.42 makes
it 0.81), and a student taught such flat targets leans on the classes it shares with
Intel6, whose targets are sure (15-Scene fell from 70 % to 55 % in a first try).
**Out of fold:** a training image's probabilities come from the
regressions of ``folds`` stratified folds that did not see it (the encoders are unsupervised
and see every training image), so the teacher is as unsure about a training image as it would
be about a new one; a regression fitted on the whole training split scores the validation
images (reported, and used by ``scripts/fisher_probe.py``).

**File** (``.npz``): ``probs`` (N, 17) float32, ``y`` (N,) and ``dataset`` (N,) index into
:data:`~moviemotion.content.scene_training.DATASETS`, one row per distinct training image
in the order of :func:`~moviemotion.content.scene_training.load_scene_data` (15-Scene not
repeated); ``val_probs`` / ``val_y`` / ``val_dataset`` the same for the validation images;
``scores`` a JSON text of the teacher's accuracies (out-of-fold training and validation, per
channel and together); ``settings`` a JSON text of the settings above and the temperatures;
``<channel>_val_probs`` each channel's validation probabilities (uncalibrated).

>>> from moviemotion.content.scene_teacher import CHANNELS
>>> [c.name for c in CHANNELS]
['sift', 'color']
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.content.scene_training import (
    DATASETS,
    SCENE_CLASSES,
    SceneData,
    dataset_scores,
    load_scene_data,
)
from moviemotion.errors import InputError

#: The teacher's image size (15-Scene's own; Intel6 is upscaled from 100).
SIZE = 128


@dataclass(frozen=True)
class Channel:
    """One Fisher-vector channel: its descriptor (a key of ``describe_images``), encoder
    and regression settings; ``xy_scale`` weighs the appended grid position."""

    name: str
    components: int
    pca_dims: int
    C: float
    xy_scale: float = 1.0


CHANNELS = (Channel("sift", 256, 64, 100.0), Channel("color", 128, 32, 1.0, xy_scale=2.0))


def encode_channels(data: SceneData, workers: int = 2, seed: int = 0,
                    say: Callable[[str], Any] = print,
                    progress: Callable[[int], Any] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per channel, the (training, validation) Fisher vectors of ``data`` (images at
    :data:`SIZE`); the encoders are fitted on a sample of the training descriptors.
    ``progress(n)`` after each chunk of described images."""
    from moviemotion.learn.fisher import (
        FisherEncoder,
        dense_grid,
        describe_images,
        grid_positions,
        sample_grid,
    )

    if data.x_train.shape[-1] != SIZE or data.x_val.shape[-1] != SIZE:
        raise InputError(f"the scene teacher describes {SIZE} x {SIZE} images")
    t = time.time()
    desc = {s: describe_images(getattr(data, f"x_{s}"), workers=workers, progress=progress)
            for s in ("train", "val")}
    say(f"described {len(data.x_train)} + {len(data.x_val)} images in {time.time() - t:.0f} s")
    pos = grid_positions(dense_grid(SIZE, SIZE), SIZE, SIZE)
    out = {}
    for ch in CHANNELS:
        t = time.time()
        tr, va = desc["train"][ch.name], desc["val"][ch.name]
        ii, jj = sample_grid(len(tr), tr.shape[1], seed=seed)
        xy = ch.xy_scale * pos
        sample = tr[ii[:, None], jj].reshape(-1, tr.shape[-1]).astype(np.float32)
        enc = FisherEncoder(ch.components, ch.pca_dims, seed=seed).fit(sample, xy[jj].reshape(-1, 2))
        out[ch.name] = (enc.transform(tr, [xy] * len(tr)), enc.transform(va, [xy] * len(va)))
        say(f"{ch.name}: {enc.dims}-d Fisher vectors in {time.time() - t:.0f} s")
    return out


def _regression(x: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=2000).fit(x, y)


def channel_probs(train: np.ndarray, val: np.ndarray, data: SceneData, C: float,
                  folds: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(out-of-fold training, validation) probabilities (N, 17) of one channel's features:
    per dataset a regression over its own classes (other classes 0)."""
    from sklearn.model_selection import StratifiedKFold

    k = len(SCENE_CLASSES)
    p_train, p_val = np.zeros((len(train), k)), np.zeros((len(val), k))
    for di in range(len(DATASETS)):
        tr, va = np.flatnonzero(data.d_train == di), np.flatnonzero(data.d_val == di)
        if len(tr) == 0:
            continue
        if len(va):
            m = _regression(train[tr], data.y_train[tr], C)
            p_val[np.ix_(va, m.classes_)] = m.predict_proba(val[va])
        split = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for a, b in split.split(tr, data.y_train[tr]):
            m = _regression(train[tr[a]], data.y_train[tr[a]], C)
            p_train[np.ix_(tr[b], m.classes_)] = m.predict_proba(train[tr[b]])
    return p_train, p_val


def geometric_mean(probs: list[np.ndarray], weights: list[float] | None = None) -> np.ndarray:
    """The renormalized (weighted; default equal) geometric mean of probability arrays (0
    where every array has 0)."""
    logs = np.average([np.log(np.clip(p, 1e-12, None)) for p in probs], axis=0, weights=weights)
    g = np.exp(logs - logs.max(axis=1, keepdims=True))
    g[np.all([p <= 0 for p in probs], axis=0)] = 0.0
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def _temper(probs: np.ndarray, tau: float) -> np.ndarray:
    """``softmax(log p / tau)`` over the classes ``p`` gives any probability (0 stays 0)."""
    from moviemotion.learn.distill import soften

    out = soften(probs, tau) * (probs > 0)
    return out / out.sum(axis=1, keepdims=True)


def calibrate(probs: np.ndarray, y: np.ndarray, d: np.ndarray) -> dict[str, float]:
    """Per dataset, the temperature ``tau`` (0.05-5) whose ``softmax(log p / tau)`` of the
    rows ``d == index`` has the least negative log-likelihood of their labels ``y``."""
    from scipy.optimize import minimize_scalar

    taus = {}
    for di, dataset in enumerate(DATASETS):
        rows = np.flatnonzero(d == di)
        if len(rows) == 0:
            continue

        def nll(tau: float, rows=rows) -> float:
            return float(-np.log(_temper(probs[rows], tau)[np.arange(len(rows)), y[rows]]
                                 + 1e-12).mean())

        taus[dataset] = round(float(minimize_scalar(nll, bounds=(0.05, 5.0), method="bounded").x), 4)
    return taus


def apply_temperatures(probs: np.ndarray, d: np.ndarray, taus: dict[str, float]) -> np.ndarray:
    """``probs`` with each dataset's rows softened/sharpened at its temperature (0 stays 0)."""
    out = np.array(probs, np.float32)
    for di, dataset in enumerate(DATASETS):
        rows = d == di
        if dataset in taus and rows.any():
            out[rows] = _temper(out[rows], taus[dataset])
    return out


def make_teacher(data_root: str | Path, out: str | Path, *, workers: int = 2, folds: int = 5,
                 limit: int | None = None, seed: int = 0,
                 say: Callable[[str], Any] = print, quiet: bool = True) -> dict[str, Any]:
    """Compute the teacher on the scenes data and write its file ``out`` (atomically);
    returns its scores (see the module docstring). ``quiet=False``: a progress bar while the
    images are described (most of the time), ``say`` after each stage."""
    from moviemotion.content.scene_training import SPLIT_SEED
    from moviemotion.io import atomic_path
    from moviemotion.progress import progress_bar

    if folds < 2:
        raise InputError(f"--folds {folds}: at least 2")
    data = load_scene_data(data_root, SIZE, SPLIT_SEED, gray_fraction=0, scene15_repeat=1,
                           limit=limit)
    with progress_bar(disable=quiet) as bar:
        task = bar.add_task("describing scenes (dense SIFT, colour)",
                            total=len(data.x_train) + len(data.x_val), unit="images")
        features = encode_channels(data, workers, seed, say, lambda n: bar.advance(task, n))
    probs = {ch.name: channel_probs(*features[ch.name], data, ch.C, folds, seed) for ch in CHANNELS}
    mean = tuple(geometric_mean([probs[c.name][i] for c in CHANNELS]) for i in (0, 1))
    taus = calibrate(mean[0], data.y_train, data.d_train)
    teacher = (apply_temperatures(mean[0], data.d_train, taus),
               apply_temperatures(mean[1], data.d_val, taus))
    scores: dict[str, Any] = {}
    for name, (p_train, p_val) in {**probs, "teacher": teacher}.items():
        scores[name] = {"mean_top_probability_out_of_fold": round(float(p_train.max(1).mean()), 4),
            "out_of_fold": {k: round(v, 4) for k, v in dataset_scores(
                p_train, data.y_train, data.d_train).items() if not k.endswith("_any")},
            "val": {k: round(v, 4) for k, v in dataset_scores(
                p_val, data.y_val, data.d_val).items() if not k.endswith("_any")}}
    settings = {"size": SIZE, "folds": folds, "seed": seed, "limit": limit,
                "channels": [asdict(c) for c in CHANNELS], "fusion": "geometric mean",
                "temperatures": taus}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh, probs=teacher[0], y=data.y_train, dataset=data.d_train, val_probs=teacher[1],
            val_y=data.y_val, val_dataset=data.d_val, scores=np.asarray(json.dumps(scores)),
            settings=np.asarray(json.dumps(settings)),
            **{f"{c.name}_val_probs": probs[c.name][1].astype(np.float32) for c in CHANNELS})
    say(f"teacher: {json.dumps(scores['teacher'])}")
    return scores
