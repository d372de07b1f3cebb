"""The classical members of the multi-label poster model: Fisher vectors + logistic regression.

Two channels on one dense grid (every 4 px, patches of 8 and 16 px) of the 160 x 112 poster:

* ``sift``: RootSIFT of the gray poster (PCA 64), the patch's mean CIELAB colour
  (standardized) and its position; 128-component GMM.
* ``color``: local colour statistics (mean and deviation of R, G, B in 4 x 4 sub-cells; PCA
  32) and the position; 128-component GMM.

Each channel: improved Fisher vectors (:mod:`moviemotion.learn.fisher`) and one logistic
regression per genre (scikit-learn, ``C = 1``). The member's probability of a genre is the
normalized product of its channels' (the mean of their logits), and the shipped
:class:`~moviemotion.posters.classifier.PosterClassifier` gives the CNN ensemble and this
member equal weight the same way (:func:`fuse`). Everything is fitted on our training posters
only; the model is one ``.npz`` of arrays (no pickle) read with numpy.

>>> member = PosterFisher(genres).fit(x_train, y_train)     # doctest: +SKIP
>>> member.predict(x_val)                                    # (N, G) probabilities
>>> member.save("genres_fisher.npz"); PosterFisher.load("genres_fisher.npz")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.learn.fisher import DenseSift, FisherEncoder, LocalColorStats

CHANNELS = ("sift", "color")
#: Defaults of a member: the grid, the PCA sizes and GMM components per channel, the
#: regression's C, the sample that fits PCA and GMM (images x descriptors per image).
DEFAULTS: dict[str, Any] = {"step": 4, "sizes": [8, 16], "pca_dims": {"sift": 64, "color": 32},
                            "components": 128, "C": 1.0, "fit_images": 3000,
                            "fit_descriptors": 100}
FORMAT = "moviemotion poster fisher member 1"


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def fuse(probabilities: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """The normalized weighted product of per-genre probabilities (the weighted mean of their
    logits, through the sigmoid); equal weights by default."""
    w = np.full(len(probabilities), 1 / len(probabilities)) if weights is None else np.asarray(weights)
    z = sum(wi * logit(p) for wi, p in zip(w, probabilities, strict=True))
    return (1 / (1 + np.exp(-z))).astype(np.float32)


class _Describer:
    """Both channels' local descriptors of uint8 RGB posters (N, 3, H, W) of one size."""

    def __init__(self, size: tuple[int, int], step: int, sizes: Sequence[int]):
        self.sift = DenseSift(*size, step=step, sizes=sizes)
        self.color = LocalColorStats(*size, step=step, sizes=sizes)
        self.xy2 = 2 * self.sift.positions()

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        import cv2

        n, t = len(x), len(self.sift.grid)
        out = {"sift": np.empty((n, t, 128), np.float16), "lab": np.empty((n, t, 3), np.float16),
               "color": np.empty((n, t, 96), np.float16)}
        for i, img in enumerate(x):
            rgb = np.ascontiguousarray(img.transpose(1, 2, 0))
            out["sift"][i] = self.sift(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
            out["lab"][i] = self.sift.local_color(rgb)
            out["color"][i] = self.color(rgb)
        return out


_WORKER: _Describer | None = None


def _describe_chunk(job: tuple[np.ndarray, tuple[int, int], int, tuple[int, ...]]) -> dict:
    global _WORKER
    x, size, step, sizes = job
    if _WORKER is None or _WORKER.sift.shape != size:
        _WORKER = _Describer(size, step, sizes)
    return _WORKER(x)


class PosterFisher:
    """The Fisher-vector member of the multi-label poster model (scikit-learn style: ``fit``,
    ``predict``, ``score``). ``genres``: the output columns; ``size``: (height, width) of the
    posters it takes (uint8 RGB (N, 3, H, W), e.g. the training cache's arrays)."""

    def __init__(self, genres: Sequence[str], size: tuple[int, int] = (160, 112), seed: int = 0,
                 **settings: Any):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise InputError(f"unknown Fisher member settings: {', '.join(sorted(unknown))}")
        self.genres = tuple(genres)
        self.size = (int(size[0]), int(size[1]))
        self.seed = seed
        self.settings = {**DEFAULTS, **settings}
        self.encoders: dict[str, FisherEncoder] = {}
        self.coef: dict[str, np.ndarray] = {}
        self.intercept: dict[str, np.ndarray] = {}
        self.standardize = np.zeros((2, 3), np.float32)    # the Lab colour's mean, deviation
        self._describer: _Describer | None = None
        self.info: dict[str, Any] = {}

    # -- descriptors -------------------------------------------------------------------
    def describe(self, x: np.ndarray, workers: int = 1,
                 progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
        """The local descriptors of posters ``x`` (N, 3, H, W) uint8: ``sift`` (N, T, 128),
        ``lab`` (N, T, 3), ``color`` (N, T, 96), float16; ``workers`` processes."""
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2:] != self.size or x.dtype != np.uint8:
            raise InputError(f"Fisher member: expected uint8 posters (N, 3, {self.size[0]}, "
                             f"{self.size[1]}), got {x.dtype} {x.shape}")
        step, sizes = int(self.settings["step"]), tuple(int(s) for s in self.settings["sizes"])
        chunks = [x[a:a + 100] for a in range(0, len(x), 100)]
        if workers > 1 and len(chunks) > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(workers) as pool:
                parts = []
                for part in pool.map(_describe_chunk, [(c, self.size, step, sizes) for c in chunks]):
                    parts.append(part)
                    if progress:
                        progress(len(part["sift"]))
        else:
            if self._describer is None:
                self._describer = _Describer(self.size, step, sizes)
            parts = []
            for c in chunks:
                parts.append(self._describer(c))
                if progress:
                    progress(len(c))
        if not parts:
            t = len(_Describer(self.size, step, sizes).sift.grid)
            return {"sift": np.zeros((0, t, 128), np.float16), "lab": np.zeros((0, t, 3), np.float16),
                    "color": np.zeros((0, t, 96), np.float16)}
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def _channel(self, name: str, desc: dict[str, np.ndarray], rows) -> tuple[np.ndarray, np.ndarray]:
        """(descriptors, extra columns) of channel ``name`` for the images ``rows``."""
        d = self._xy2() if self._describer is None else self._describer.xy2
        if name == "sift":
            lab = (desc["lab"][rows].astype(np.float32) - self.standardize[0]) / self.standardize[1]
            extra = np.concatenate([lab, np.broadcast_to(d, (*lab.shape[:-1], 2))], -1)
            return desc["sift"][rows], extra
        col = desc["color"][rows]
        return col, np.broadcast_to(d, (*col.shape[:-1], 2))

    def _xy2(self) -> np.ndarray:
        self._describer = _Describer(self.size, int(self.settings["step"]),
                                     tuple(int(s) for s in self.settings["sizes"]))
        return self._describer.xy2

    def _fisher_vectors(self, name: str, desc: dict[str, np.ndarray]) -> np.ndarray:
        enc = self.encoders[name]
        out = np.empty((len(desc["sift"]), enc.dims), np.float32)
        for i in range(len(out)):
            d, e = self._channel(name, desc, i)
            out[i] = enc.encode(d, e)
        return out

    # -- fit / predict -----------------------------------------------------------------
    def fit(self, x: np.ndarray, y: np.ndarray, workers: int = 1,
            log: Callable[[str], None] | None = None,
            progress: Callable[[int], None] | None = None,
            descriptors: dict[str, np.ndarray] | None = None) -> PosterFisher:
        """Fit both channels on posters ``x`` (N, 3, H, W) uint8 and genre labels ``y`` (N, G)
        0/1 (``descriptors``: the :meth:`describe` of ``x``, when already computed)."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y)
        if y.ndim != 2 or y.shape != (len(x), len(self.genres)):
            raise InputError(f"Fisher member: labels {y.shape} do not match {len(x)} posters x "
                             f"{len(self.genres)} genres")
        say = log or (lambda _m: None)
        desc = descriptors if descriptors is not None else self.describe(x, workers, progress)
        s = self.settings
        rng = np.random.default_rng(self.seed)
        ii = rng.choice(len(x), min(int(s["fit_images"]), len(x)), replace=False)
        jj = rng.integers(0, desc["sift"].shape[1], (len(ii), int(s["fit_descriptors"])))
        lab = desc["lab"][ii[:, None], jj].reshape(-1, 3).astype(np.float32)
        self.standardize = np.stack([lab.mean(0), lab.std(0) + 1e-6]).astype(np.float32)
        for name in CHANNELS:
            d, e = self._channel(name, desc, ii)
            d = np.asarray(d)[np.arange(len(ii))[:, None], jj]
            e = np.asarray(e)[np.arange(len(ii))[:, None], jj]
            enc = FisherEncoder(int(s["components"]), int(s["pca_dims"][name]), self.seed)
            self.encoders[name] = enc.fit(d.reshape(-1, d.shape[-1]).astype(np.float32),
                                          e.reshape(-1, e.shape[-1]))
            say(f"{name}: encoder fitted ({enc.dims} numbers per poster)")
            fv = self._fisher_vectors(name, desc)
            coef = np.zeros((len(self.genres), fv.shape[1]), np.float32)
            intercept = np.zeros(len(self.genres), np.float32)
            for g in range(len(self.genres)):
                pos = y[:, g].mean()
                if 0 < pos < 1:
                    m = LogisticRegression(C=float(s["C"]), max_iter=1000).fit(fv, y[:, g])
                    coef[g], intercept[g] = m.coef_[0], m.intercept_[0]
                else:                                # a genre with one value: its prior
                    intercept[g] = logit(np.clip(pos, 1e-4, 1 - 1e-4))
            self.coef[name], self.intercept[name] = coef, intercept
            say(f"{name}: {len(self.genres)} genre regressions fitted")
        return self

    def _check_fitted(self) -> None:
        if set(self.encoders) != set(CHANNELS):
            raise ModelError("the Fisher member is not fitted")

    def channel_probabilities(self, x: np.ndarray, workers: int = 1,
                              descriptors: dict[str, np.ndarray] | None = None
                              ) -> dict[str, np.ndarray]:
        """Per channel, the (N, G) genre probabilities of posters ``x``."""
        self._check_fitted()
        desc = descriptors if descriptors is not None else self.describe(x, workers)
        out = {}
        for name in CHANNELS:
            z = self._fisher_vectors(name, desc) @ self.coef[name].T + self.intercept[name]
            out[name] = (1 / (1 + np.exp(-z))).astype(np.float32)
        return out

    def predict(self, x: np.ndarray, workers: int = 1,
                descriptors: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(N, G) genre probabilities: the channels' :func:`fuse`."""
        return fuse(list(self.channel_probabilities(x, workers, descriptors).values()))

    def score(self, x: np.ndarray, y: np.ndarray) -> float:
        """Macro mAP of :meth:`predict` against labels ``y``."""
        from moviemotion.learn.metrics import mean_average_precision

        return float(mean_average_precision(np.asarray(y), self.predict(x)))

    # -- files -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], **info: Any) -> Path:
        """Write the member as one ``.npz`` (arrays only; ``info``: JSON-able facts kept with
        it, e.g. the fused thresholds and the command), atomically."""
        from moviemotion.io import atomic_path

        self._check_fitted()
        meta = {"format": FORMAT, "genres": list(self.genres), "size": list(self.size),
                "seed": self.seed, "settings": self.settings, **info}
        arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta)),
                                         "standardize": self.standardize}
        for name in CHANNELS:
            arrays.update(self.encoders[name].to_arrays(f"{name}_"))
            arrays[f"{name}_coef"] = self.coef[name]
            arrays[f"{name}_intercept"] = self.intercept[name]
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PosterFisher:
        """A member :meth:`save` wrote (:attr:`info` holds its facts); a missing or foreign
        file is a one-line :class:`ModelError`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != FORMAT:
                    raise ModelError(f"{path}: not a poster Fisher member")
                member = cls(meta["genres"], tuple(meta["size"]), meta.get("seed", 0),
                             **meta.get("settings", {}))
                member.standardize = z["standardize"]
                for name in CHANNELS:
                    member.encoders[name] = FisherEncoder.from_arrays(z, f"{name}_")
                    member.coef[name] = z[f"{name}_coef"]
                    member.intercept[name] = z[f"{name}_intercept"]
        except ModelError:
            raise
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"{path}: not a readable poster Fisher member ({e})") from None
        member.info = {k: v for k, v in meta.items() if k not in ("format", "genres", "size",
                                                                    "seed", "settings")}
        return member
