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
from moviemotion.learn.fisher import (
    FisherEncoder,
    dense_grid,
    describe_images,
    grid_positions,
    sample_grid,
)

CHANNELS = ("sift", "color")
#: Defaults of a member: the grid, the PCA sizes and GMM components per channel, the
#: regression's C, the sample that fits PCA and GMM (images x descriptors per image).
DEFAULTS: dict[str, Any] = {"step": 4, "sizes": [8, 16], "pca_dims": {"sift": 64, "color": 32},
                            "components": 128, "C": 1.0, "fit_images": 3000,
                            "fit_descriptors": 100}
FORMAT = "moviemotion poster fisher member 1"


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), with p clipped to 1e-7 .. 1 - 1e-7."""
    from scipy.special import logit as _logit

    return _logit(np.clip(np.asarray(p, np.float64), 1e-7, 1 - 1e-7))


def fuse(probabilities: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """The normalized weighted product of per-genre probabilities (the weighted mean of their
    logits, through the sigmoid); equal weights by default."""
    from scipy.special import expit

    w = np.full(len(probabilities), 1 / len(probabilities)) if weights is None else np.asarray(weights)
    z = sum(wi * logit(p) for wi, p in zip(w, probabilities, strict=True))
    return expit(z).astype(np.float32)


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
        self.info: dict[str, Any] = {}
        grid = dense_grid(*self.size, int(self.settings["step"]), self._sizes)
        self.xy2 = 2 * grid_positions(grid, *self.size)     # (T, 2): the positions appended

    @property
    def _sizes(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self.settings["sizes"])

    # -- descriptors -------------------------------------------------------------------
    def describe(self, x: np.ndarray, workers: int = 1,
                 progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
        """The local descriptors of posters ``x`` (N, 3, H, W) uint8 (``sift``, ``lab``,
        ``color``: :func:`~moviemotion.learn.fisher.describe_images`); ``workers`` processes."""
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2:] != self.size or x.dtype != np.uint8:
            raise InputError(f"Fisher member: expected uint8 posters (N, 3, {self.size[0]}, "
                             f"{self.size[1]}), got {x.dtype} {x.shape}")
        return describe_images(x, int(self.settings["step"]), self._sizes, workers, progress)

    def _channel(self, name: str, desc: dict[str, np.ndarray], index, xy: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(descriptors, extra columns) of channel ``name`` at ``index`` into the first axes
        of ``desc`` (an image, or images x grid points), ``xy`` their positions."""
        if name == "sift":
            lab = (desc["lab"][index].astype(np.float32) - self.standardize[0]) / self.standardize[1]
            return desc["sift"][index], np.concatenate(
                [lab, np.broadcast_to(xy, (*lab.shape[:-1], 2))], -1)
        col = desc["color"][index]
        return col, np.broadcast_to(xy, (*col.shape[:-1], 2))

    def _fisher_vectors(self, name: str, desc: dict[str, np.ndarray]) -> np.ndarray:
        enc = self.encoders[name]
        out = np.empty((len(desc["sift"]), enc.dims), np.float32)
        for i in range(len(out)):
            out[i] = enc.encode(*self._channel(name, desc, i, self.xy2))
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
        ii, jj = sample_grid(len(x), desc["sift"].shape[1], int(s["fit_images"]),
                             int(s["fit_descriptors"]), self.seed)
        sample = (ii[:, None], jj)
        lab = desc["lab"][sample].reshape(-1, 3).astype(np.float32)
        self.standardize = np.stack([lab.mean(0), lab.std(0) + 1e-6]).astype(np.float32)
        for name in CHANNELS:
            d, e = self._channel(name, desc, sample, self.xy2[jj])
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
        from scipy.special import expit

        self._check_fitted()
        desc = descriptors if descriptors is not None else self.describe(x, workers)
        out = {}
        for name in CHANNELS:
            z = self._fisher_vectors(name, desc) @ self.coef[name].T + self.intercept[name]
            out[name] = expit(z).astype(np.float32)
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
