"""How far does a classical from-scratch model go, alone and averaged with our CNNs?

Fisher vectors of dense RootSIFT (``moviemotion.learn.fisher``) + logistic regression, trained
on our data only, scored on the same validation images as the shipped CNNs (docs/scenes.md,
docs/posters.md), then averaged with the shipped model's probabilities (geometric mean with
weight ``--fuse`` on the Fisher model; the weight is not tuned here: 0.5). Nothing is shipped
from here: the shipped poster member (SIFT + colour channels) is made by ``moviemotion train
poster-fisher`` (docs/posters.md).

    python scripts/fisher_probe.py --scenes ../shared/data/scenes --posters ../shared/data/posters \\
        --json runs/fisher_probe.json        # ~25 min on 2 cores

Scenes: images at 128 x 128 gray (15-Scene's size; Intel6 upscaled from 100), SIFT every 4 px
at patch sizes 8 and 16, PCA 64 + (x, y), 256 components, one regression per dataset over its
own classes (C = 100); and a second channel, local colour statistics (as the poster member's:
PCA 32 + 2 (x, y), 128 components, C = 1), with the three (CNN, SIFT, colour) averaged in equal
geometric thirds. Posters: the 160 x 112 RGB posters of the multilabel head, the same
SIFT + the patch's mean CIELAB colour + 2 (x, y), 128 components, one regression per genre
(C = 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moviemotion.learn.fisher import DenseSift, FisherEncoder  # noqa: E402

_SIFT: DenseSift | None = None


def _describe(job):
    """Worker: (images (n, 3, H, W) uint8, colour?) -> (desc (n, T, 128) f16, colour or None)."""
    import cv2

    global _SIFT
    images, colour = job
    h, w = images.shape[2:]
    if _SIFT is None or _SIFT.shape != (h, w):
        _SIFT = DenseSift(h, w, step=4, sizes=(8, 16))
    desc = np.empty((len(images), len(_SIFT.grid), 128), np.float16)
    cols = np.empty((len(images), len(_SIFT.grid), 3), np.float16) if colour else None
    for i, img in enumerate(images):
        rgb = np.ascontiguousarray(img.transpose(1, 2, 0))
        desc[i] = _SIFT(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        if colour:
            cols[i] = _SIFT.local_color(rgb)
    return desc, cols


def describe(images: np.ndarray, colour: bool, workers: int, label: str):
    t = time.time()
    chunks = [(images[a:a + 250], colour) for a in range(0, len(images), 250)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_describe, chunks))
    print(f"  {label}: {len(images)} images described in {time.time() - t:.0f} s", flush=True)
    desc = np.concatenate([p[0] for p in parts])
    return desc, (np.concatenate([p[1] for p in parts]) if colour else None)


def fit_encode(desc_train, desc_val, extra_train, extra_val, components, seed=0):
    """Fit PCA + GMM on 100 random descriptors of up to 3,000 training images; encode all."""
    rng = np.random.default_rng(seed)
    ii = rng.choice(len(desc_train), min(3000, len(desc_train)), replace=False)
    jj = rng.integers(0, desc_train.shape[1], (len(ii), 100))
    sample = desc_train[ii[:, None], jj].reshape(-1, 128).astype(np.float32)
    extra = extra_train[ii[:, None], jj].reshape(len(sample), -1)
    t = time.time()
    enc = FisherEncoder(components=components, pca_dims=64, seed=seed).fit(sample, extra)
    print(f"  encoder fitted in {time.time() - t:.0f} s ({enc.dims} dims)", flush=True)
    return (enc.transform(desc_train, extra_train), enc.transform(desc_val, extra_val))


def _geo(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """The weighted geometric mean of two probability arrays (unnormalized: ranks and argmax
    are what is scored)."""
    return np.exp((1 - w) * np.log(a + 1e-9) + w * np.log(b + 1e-9))


def colour_statistics(x_train: np.ndarray, x_val: np.ndarray, seed: int = 0):
    """Improved Fisher vectors of local colour statistics (the poster member's colour channel,
    ``moviemotion.posters.fisher``: LCS, PCA 32 + 2 (x, y), 128 components) of uint8 images
    (N, 3, H, W)."""
    from moviemotion.learn.fisher import LocalColorStats

    h, w = x_train.shape[2:]
    lcs = LocalColorStats(h, w, step=4, sizes=(8, 16))
    xy2 = 2 * DenseSift(h, w, step=4, sizes=(8, 16)).positions()
    describe_one = lambda img: lcs(np.ascontiguousarray(img.transpose(1, 2, 0)))  # noqa: E731
    rng = np.random.default_rng(seed)
    ii = rng.choice(len(x_train), min(3000, len(x_train)), replace=False)
    jj = rng.integers(0, len(lcs.grid), (len(ii), 100))
    sample = np.concatenate([describe_one(x_train[i])[jj[k]] for k, i in enumerate(ii)])
    t = time.time()
    enc = FisherEncoder(components=128, pca_dims=32, seed=seed).fit(
        sample, np.concatenate([xy2[j] for j in jj]))
    print(f"  colour encoder fitted in {time.time() - t:.0f} s ({enc.dims} dims)", flush=True)
    return tuple(np.stack([enc.encode(describe_one(img), xy2) for img in x])
                 for x in (x_train, x_val))


def probe_scenes(root: str, workers: int, fuse: float, limit: int | None = None) -> dict:
    from sklearn.linear_model import LogisticRegression

    from moviemotion.content import SceneClassifier
    from moviemotion.content.scene_training import (
        DATASETS,
        dataset_scores,
        load_scene_data,
    )

    print("scenes", flush=True)
    d = load_scene_data(root, size=128, seed=0, gray_fraction=0, scene15_repeat=1,
                        limit=limit)
    dtr, _ = describe(d.x_train, False, workers, "train")
    dva, _ = describe(d.x_val, False, workers, "val")
    pos = DenseSift(128, 128, step=4, sizes=(8, 16)).positions()
    ftr, fva = fit_encode(dtr, dva, np.broadcast_to(pos, (len(dtr), *pos.shape)),
                          np.broadcast_to(pos, (len(dva), *pos.shape)), components=256)
    del dtr, dva
    ctr, cva = colour_statistics(d.x_train, d.x_val, seed=0)
    cnn = SceneClassifier(threads=workers).predict(list(d.x_val.transpose(0, 2, 3, 1)))

    def per_dataset(xtr: np.ndarray, xva: np.ndarray, c: float) -> np.ndarray:
        out = np.full_like(cnn, 1e-9)            # each dataset's regression fills its classes
        for di in range(len(DATASETS)):
            tr, va = d.d_train == di, d.d_val == di
            clf = LogisticRegression(C=c, max_iter=2000).fit(xtr[tr], d.y_train[tr])
            out[np.ix_(va, clf.classes_)] = clf.predict_proba(xva[va])
        return out

    fisher, colour = per_dataset(ftr, fva, 100.0), per_dataset(ctr, cva, 1.0)
    thirds = np.exp((np.log(cnn + 1e-9) + np.log(fisher) + np.log(colour)) / 3)
    scores = {model: dataset_scores(p, d.y_val, d.d_val)
              for model, p in (("fisher", fisher), ("colour_stats", colour), ("shipped_cnn", cnn),
                               (f"fused_{fuse}", _geo(cnn, fisher, fuse)),
                               ("fused_thirds_cnn_sift_colour", thirds))}
    out = {name: {"images": int((d.d_val == di).sum()),
                  **{model: s[f"{name}_accuracy"] for model, s in scores.items()}}
           for di, name in enumerate(DATASETS)}
    print(f"  {out}", flush=True)
    return out


def probe_posters(root: str, workers: int, fuse: float, cache: str | None = None,
                  limit: int | None = None) -> dict:
    from sklearn.linear_model import LogisticRegression

    from moviemotion.learn.metrics import mean_average_precision
    from moviemotion.posters.classifier import PosterClassifier
    from moviemotion.posters.training import load

    print("posters", flush=True)
    clf = PosterClassifier(threads=workers)              # the shipped model; its input size
    genres, (xtr, ytr), (xva, yva) = load(root, "multilabel", tuple(clf.size), cache_dir=cache,
                                          limit=limit)
    dtr, ctr = describe(xtr, True, workers, "train")
    dva, cva = describe(xva, True, workers, "val")
    mu = ctr[:, ::50].reshape(-1, 3).astype(np.float32).mean(0)
    sd = ctr[:, ::50].reshape(-1, 3).astype(np.float32).std(0)
    pos = 2 * DenseSift(*xtr.shape[2:], step=4, sizes=(8, 16)).positions()

    def extra(c: np.ndarray) -> np.ndarray:            # colour (standardized), position
        return np.concatenate([(c.astype(np.float32) - mu) / sd,
                               np.broadcast_to(pos, (*c.shape[:2], 2))], 2)

    ftr, fva = fit_encode(dtr, dva, extra(ctr), extra(cva), components=128)
    p_fv = np.stack([LogisticRegression(C=1, max_iter=1000).fit(ftr, ytr[:, g])
                     .predict_proba(fva)[:, 1] if 0 < ytr[:, g].sum() < len(ytr)
                     else np.full(len(fva), ytr[:, g].mean()) for g in range(len(genres))], 1)
    if list(clf.genres) != list(genres):
        raise SystemExit("the shipped poster model has other genres than the data")
    p_cnn = clf.predict(list(xva.transpose(0, 2, 3, 1)))
    mean_ap = lambda p: float(mean_average_precision(yva, p))  # noqa: E731
    out = {"posters": len(yva), "fisher_map": mean_ap(p_fv), "shipped_cnn_map": mean_ap(p_cnn),
           f"fused_{fuse}_map": mean_ap(_geo(p_cnn, p_fv, fuse)),
           f"fused_arith_{fuse}_map": mean_ap((1 - fuse) * p_cnn + fuse * p_fv)}
    print(f"  {out}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", help="the scenes data folder (scene15/, intel6/)")
    ap.add_argument("--posters", help="the posters data folder (train.csv, val.csv, images/)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", help="the posters' image cache folder of train poster (runs/.cache)")
    ap.add_argument("--fuse", type=float, default=0.5, help="weight of the Fisher model")
    ap.add_argument("--limit", type=int, help="at most N images per split (a quick check)")
    ap.add_argument("--json", help="write the scores here")
    a = ap.parse_args()
    res = {}
    if a.scenes:
        res["scenes"] = probe_scenes(a.scenes, a.workers, a.fuse, a.limit)
    if a.posters:
        res["posters"] = probe_posters(a.posters, a.workers, a.fuse, a.cache, a.limit)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
