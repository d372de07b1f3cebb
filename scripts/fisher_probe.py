"""How far do classical from-scratch models go on the scenes, alone and averaged with our CNN?

Fisher vectors (``moviemotion.learn.fisher``) + logistic regression, trained on our data only,
scored on the same validation images as the shipped scene CNN (docs/scenes.md), then averaged
with its probabilities (geometric means; the weights are not tuned). Nothing is shipped from
here: the class activation maps of the scene model must stay exact. (The posters' classical
member is shipped; it is made and measured by ``moviemotion train poster-fisher``,
docs/posters.md.)

    python scripts/fisher_probe.py --scenes ../shared/data/scenes \\
        --json runs/fisher_probe_scenes.json        # ~30 min on 2 cores

Images at 128 x 128 (15-Scene's size; Intel6 upscaled from 100), described on one grid every
4 px at patch sizes 8 and 16 (``learn.fisher.describe_images``). Two channels, each with one
regression per dataset over its own classes: SIFT (PCA 64 + (x, y), 256 components, C = 100)
and local colour statistics (as the poster member's: PCA 32 + 2 (x, y), 128 components,
C = 1). Reported: each channel, the CNN, CNN + SIFT (weight ``--fuse`` on SIFT) and the three
in equal thirds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moviemotion.learn.fisher import (  # noqa: E402
    FisherEncoder,
    describe_images,
    grid_positions,
    sample_grid,
)


def describe(images: np.ndarray, workers: int, label: str) -> dict[str, np.ndarray]:
    t = time.time()
    desc = describe_images(images, workers=workers)
    print(f"  {label}: {len(images)} images described in {time.time() - t:.0f} s", flush=True)
    return desc


def fit_encode(desc_train: np.ndarray, desc_val: np.ndarray, xy: np.ndarray, components: int,
               pca_dims: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fit PCA + GMM on 100 random descriptors of up to 3,000 training images, each with its
    position ``xy`` appended; encode every image."""
    ii, jj = sample_grid(len(desc_train), desc_train.shape[1], seed=seed)
    sample = desc_train[ii[:, None], jj]
    t = time.time()
    enc = FisherEncoder(components=components, pca_dims=pca_dims, seed=seed).fit(
        sample.reshape(-1, sample.shape[-1]).astype(np.float32), xy[jj].reshape(-1, 2))
    print(f"  encoder fitted in {time.time() - t:.0f} s ({enc.dims} dims)", flush=True)
    return tuple(enc.transform(d, [xy] * len(d)) for d in (desc_train, desc_val))


def _geo(probs: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The weighted geometric mean of probability arrays (unnormalized: argmax is scored)."""
    return np.exp(sum(w * np.log(p + 1e-9) for w, p in zip(weights, probs, strict=True)))


def probe_scenes(root: str, workers: int, fuse: float, limit: int | None = None) -> dict:
    from sklearn.linear_model import LogisticRegression

    from moviemotion.content import SceneClassifier
    from moviemotion.content.scene_training import (
        DATASETS,
        dataset_scores,
        load_scene_data,
    )
    from moviemotion.learn.fisher import dense_grid

    print("scenes", flush=True)
    d = load_scene_data(root, size=128, seed=0, gray_fraction=0, scene15_repeat=1,
                        limit=limit)
    dtr = describe(d.x_train, workers, "train")
    dva = describe(d.x_val, workers, "val")
    pos = grid_positions(dense_grid(128, 128), 128, 128)
    ftr, fva = fit_encode(dtr["sift"], dva["sift"], pos, components=256, pca_dims=64)
    ctr, cva = fit_encode(dtr["color"], dva["color"], 2 * pos, components=128, pca_dims=32)
    del dtr, dva
    cnn = SceneClassifier(threads=workers).predict(list(d.x_val.transpose(0, 2, 3, 1)))

    def per_dataset(xtr: np.ndarray, xva: np.ndarray, c: float) -> np.ndarray:
        out = np.zeros_like(cnn)                 # each dataset's regression fills its classes
        for di in range(len(DATASETS)):
            tr, va = d.d_train == di, d.d_val == di
            clf = LogisticRegression(C=c, max_iter=2000).fit(xtr[tr], d.y_train[tr])
            out[np.ix_(va, clf.classes_)] = clf.predict_proba(xva[va])
        return out

    fisher, colour = per_dataset(ftr, fva, 100.0), per_dataset(ctr, cva, 1.0)
    scores = {model: dataset_scores(p, d.y_val, d.d_val)
              for model, p in (("fisher", fisher), ("colour_stats", colour), ("shipped_cnn", cnn),
                               (f"fused_{fuse}", _geo([cnn, fisher], [1 - fuse, fuse])),
                               ("fused_thirds_cnn_sift_colour",
                                _geo([cnn, fisher, colour], [1 / 3] * 3)))}
    out = {name: {"images": int((d.d_val == di).sum()),
                  **{model: s[f"{name}_accuracy"] for model, s in scores.items()}}
           for di, name in enumerate(DATASETS)}
    print(f"  {out}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", required=True, help="the scenes data folder (scene15/, intel6/)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fuse", type=float, default=0.5, help="weight of the SIFT model")
    ap.add_argument("--limit", type=int, help="at most N images per split (a quick check)")
    ap.add_argument("--json", help="write the scores here")
    a = ap.parse_args()
    res = {"scenes": probe_scenes(a.scenes, a.workers, a.fuse, a.limit)}
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
