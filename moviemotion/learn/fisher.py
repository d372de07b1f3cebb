"""Fisher vectors of dense SIFT: a classical image encoding trained from scratch, as a probe.

The "improved" Fisher vector (Perronnin, Sanchez & Mensink 2010): local descriptors on a
dense grid (OpenCV's SIFT at fixed positions and sizes, RootSIFT: L1-normalized and square-
rooted), reduced and whitened by PCA, with their normalized (x, y) position (and optionally
a local colour) appended; a diagonal Gaussian mixture (scikit-learn) fitted on a sample of
them; per image the gradient of the descriptors' log-likelihood with respect to the
mixture's means and standard deviations (2 K D numbers), then signed square root and L2
normalization. A linear classifier (logistic regression) on top is the whole model: no
pretrained weights, nothing but our data.

Two local descriptors share one grid: :class:`DenseSift` (texture) and
:class:`LocalColorStats` (Perronnin's local colour statistics: the mean and standard deviation
of R, G, B in 4 x 4 sub-cells of each patch, 96 numbers); :func:`describe_images` computes
both (and each patch's mean Lab colour) for many images in worker processes, and
:func:`sample_grid` picks the descriptors an encoder is fitted on. An encoder fitted with
scikit-learn keeps only arrays (:meth:`FisherEncoder.to_arrays`), so a shipped model is an
``.npz`` and encoding needs numpy alone.

Used by the shipped poster model (:mod:`moviemotion.posters.fisher`: one SIFT and one colour
member averaged with the CNN ensemble) and by ``scripts/fisher_probe.py``, which measures both
channels on 15-Scene and Intel6 (docs/scenes.md: not shipped there, the class activation
maps must stay exact).

>>> import numpy as np
>>> from moviemotion.learn.fisher import dense_grid
>>> dense_grid(32, 32, step=8, sizes=(8,)).shape      # (x, y, size) per descriptor
(16, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moviemotion.errors import InputError


def dense_grid(height: int, width: int, step: int = 4, sizes: Sequence[int] = (8, 16)) -> np.ndarray:
    """(T, 3) int array of ``x, y, size``: for each size, a grid every ``step`` pixels whose
    patches lie inside the image."""
    rows = []
    for s in sizes:
        half = s // 2
        if s > min(height, width):
            continue
        ys, xs = np.mgrid[half:height - half + 1:step, half:width - half + 1:step]
        rows.append(np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, s)], 1))
    grid = np.concatenate(rows) if rows else np.empty((0, 3), int)
    if not len(grid):
        raise InputError(f"a {height}x{width} image has no room for descriptors of size {max(sizes)}")
    return grid


def grid_positions(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """(T, 2) float32 positions (x, y) of :func:`dense_grid` points scaled to -0.5 .. 0.5."""
    return (grid[:, :2] / np.array([width, height]) - 0.5).astype(np.float32)


def sample_grid(n_images: int, n_points: int, images: int = 3000, per_image: int = 100,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Which descriptors fit an encoder: ``(ii, jj)``, up to ``images`` random images and
    ``per_image`` random grid points of each (``desc[ii[:, None], jj]`` picks them)."""
    rng = np.random.default_rng(seed)
    ii = rng.choice(n_images, min(images, n_images), replace=False)
    return ii, rng.integers(0, n_points, (len(ii), per_image))


class DenseSift:
    """RootSIFT descriptors at fixed grid points of images of one size (OpenCV's SIFT)."""

    def __init__(self, height: int, width: int, step: int = 4, sizes: Sequence[int] = (8, 16)):
        import cv2

        self.grid = dense_grid(height, width, step, sizes)
        self.shape = (height, width)
        self._sift = cv2.SIFT_create()
        self._keypoints = [cv2.KeyPoint(float(x), float(y), float(s)) for x, y, s in self.grid]

    def positions(self) -> np.ndarray:
        """(T, 2) float32 positions scaled to -0.5 .. 0.5 (x, y)."""
        return grid_positions(self.grid, *self.shape)

    def __call__(self, gray: np.ndarray) -> np.ndarray:
        """(T, 128) float32 RootSIFT of a uint8 gray image of this size."""
        if gray.shape != self.shape:
            raise InputError(f"dense SIFT: expected a {self.shape} gray image, got {gray.shape}")
        keypoints, desc = self._sift.compute(np.ascontiguousarray(gray), self._keypoints)
        if desc is None or len(keypoints) != len(self._keypoints):
            raise InputError("dense SIFT: OpenCV dropped grid points (image too small?)")
        desc = desc.astype(np.float32)
        return np.sqrt(desc / (desc.sum(1, keepdims=True) + 1e-7))

    def local_color(self, rgb: np.ndarray) -> np.ndarray:
        """(T, 3) float32 mean CIELAB colour (0..1) of each descriptor's patch."""
        import cv2

        lab = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2Lab).astype(np.float32) / 255.0
        out = np.empty((len(self.grid), 3), np.float32)
        for s in np.unique(self.grid[:, 2]):
            sel = self.grid[:, 2] == s
            blurred = cv2.blur(lab, (int(s), int(s)))
            out[sel] = blurred[self.grid[sel, 1], self.grid[sel, 0]]
        return out


class LocalColorStats:
    """Local colour statistics at the grid points of :func:`dense_grid`: each patch cut into
    4 x 4 sub-cells, the mean and the standard deviation of R, G, B (0..1) in each: (T, 96),
    the 48 means first (sub-cell row-major, channel last), then the 48 deviations."""

    def __init__(self, height: int, width: int, step: int = 4, sizes: Sequence[int] = (8, 16)):
        self.grid = dense_grid(height, width, step, sizes)
        self.shape = (height, width)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """(T, 96) float32 of a uint8 RGB image (H, W, 3) of this size."""
        import cv2

        if rgb.shape != (*self.shape, 3):
            raise InputError(f"colour statistics: expected a {self.shape} RGB image, got {rgb.shape}")
        h, w = self.shape
        im = np.asarray(rgb, np.float32) / 255.0
        out = np.empty((len(self.grid), 96), np.float32)
        for s in np.unique(self.grid[:, 2]):
            sel = self.grid[:, 2] == s
            pts = self.grid[sel]
            cell = max(int(s) // 4, 1)
            mean = cv2.blur(im, (cell, cell), borderType=cv2.BORDER_REFLECT)
            sq = cv2.blur(im * im, (cell, cell), borderType=cv2.BORDER_REFLECT)
            sd = np.sqrt(np.maximum(sq - mean * mean, 0))
            offs = np.arange(4) * cell - int(s) // 2 + cell // 2       # sub-cell centres
            ys = np.clip(pts[:, 1, None] + offs, 0, h - 1)[:, :, None]
            xs = np.clip(pts[:, 0, None] + offs, 0, w - 1)[:, None, :]
            out[sel] = np.concatenate([mean[ys, xs].reshape(len(pts), -1),
                                       sd[ys, xs].reshape(len(pts), -1)], 1)
        return out


class GridDescriber:
    """The local descriptors of uint8 RGB images (N, 3, H, W) of one size on one grid, as
    float16 arrays: ``sift`` (N, T, 128) RootSIFT of the gray image, ``lab`` (N, T, 3) the
    patch's mean CIELAB colour, ``color`` (N, T, 96) local colour statistics."""

    def __init__(self, height: int, width: int, step: int = 4, sizes: Sequence[int] = (8, 16)):
        self.sift = DenseSift(height, width, step, sizes)
        self.color = LocalColorStats(height, width, step, sizes)
        self.key = (height, width, step, tuple(sizes))

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


_WORKER: GridDescriber | None = None


def _describe_chunk(job: tuple[np.ndarray, tuple]) -> dict[str, np.ndarray]:
    global _WORKER
    x, key = job
    if _WORKER is None or _WORKER.key != key:
        _WORKER = GridDescriber(*key)
    return _WORKER(x)


def describe_images(x: np.ndarray, step: int = 4, sizes: Sequence[int] = (8, 16),
                    workers: int = 1, progress=None, chunk: int = 100) -> dict[str, np.ndarray]:
    """:class:`GridDescriber` of uint8 RGB images ``x`` (N, 3, H, W), in ``workers``
    processes, ``chunk`` images at a time; ``progress(n)`` after each chunk."""
    h, w = x.shape[2:]
    key = (h, w, step, tuple(sizes))
    chunks = [x[a:a + chunk] for a in range(0, len(x), chunk)]
    if not chunks:
        t = len(dense_grid(h, w, step, sizes))
        return {k: np.zeros((0, t, d), np.float16) for k, d in (("sift", 128), ("lab", 3), ("color", 96))}
    parts = []
    if workers > 1 and len(chunks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            for part in pool.map(_describe_chunk, [(c, key) for c in chunks]):
                parts.append(part)
                if progress:
                    progress(len(part["sift"]))
    else:
        for c in chunks:
            parts.append(_describe_chunk((c, key)))
            if progress:
                progress(len(c))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def fisher_vector(x: np.ndarray, weights: np.ndarray, means: np.ndarray,
                  variances: np.ndarray) -> np.ndarray:
    """The (unnormalized) Fisher vector of descriptors ``x`` (T, D) under a diagonal GMM
    (weights K, means and variances K x D): ``[G_mu (K*D), G_sigma (K*D)]`` with
    ``G_mu_k = sum_t g_tk (x_t - mu_k) / sigma_k / (T sqrt(w_k))`` and
    ``G_sigma_k = sum_t g_tk ((x_t - mu_k)^2 / sigma_k^2 - 1) / (T sqrt(2 w_k))``."""
    x = np.asarray(x, np.float64)
    t = len(x)
    prec = 1.0 / variances
    loglik = (-0.5 * ((x * x) @ prec.T - 2 * x @ (means * prec).T + (means ** 2 * prec).sum(1))
              - 0.5 * np.log(variances).sum(1) + np.log(weights))
    loglik -= loglik.max(1, keepdims=True)
    gamma = np.exp(loglik)
    gamma /= gamma.sum(1, keepdims=True)                          # (T, K) posteriors
    s0, s1, s2 = gamma.sum(0), gamma.T @ x, gamma.T @ (x * x)
    g_mu = (s1 - s0[:, None] * means) / np.sqrt(variances) / (t * np.sqrt(weights)[:, None])
    g_sigma = ((s2 - 2 * s1 * means + s0[:, None] * (means ** 2 - variances)) / variances
               / (t * np.sqrt(2 * weights)[:, None]))
    return np.concatenate([g_mu.ravel(), g_sigma.ravel()]).astype(np.float32)


def improve(fv: np.ndarray) -> np.ndarray:
    """Signed square root, then L2 normalization per row (the "improved" Fisher vector)."""
    fv = np.sign(fv) * np.sqrt(np.abs(fv))
    return fv / (np.linalg.norm(fv, axis=-1, keepdims=True) + 1e-12)


#: The arrays of a fitted :class:`FisherEncoder` (:meth:`FisherEncoder.to_arrays`).
ENCODER_ARRAYS = ("pca_mean", "pca_components", "pca_scale", "weights", "means", "variances")


@dataclass
class FisherEncoder:
    """PCA (whitened) of the local descriptors, extra columns appended unchanged (positions,
    colours), a diagonal GMM; ``transform`` gives improved Fisher vectors. ``fit`` uses
    scikit-learn; the fitted encoder is six arrays (:data:`ENCODER_ARRAYS`) and encodes with
    numpy."""

    components: int = 64
    pca_dims: int = 64
    seed: int = 0

    def fit(self, descriptors: np.ndarray, extra: np.ndarray | None = None) -> FisherEncoder:
        """``descriptors`` (M, d): a sample of local descriptors; ``extra`` (M, E) or None."""
        from sklearn.decomposition import PCA
        from sklearn.mixture import GaussianMixture

        if len(descriptors) < max(self.components, self.pca_dims) * 2:
            raise InputError(f"Fisher encoder: {len(descriptors)} descriptors are too few for "
                             f"{self.components} components")
        pca = PCA(self.pca_dims, whiten=True, random_state=self.seed).fit(descriptors)
        self.pca_mean = pca.mean_.astype(np.float32)
        self.pca_components = pca.components_.astype(np.float32)
        self.pca_scale = (1.0 / np.sqrt(pca.explained_variance_)).astype(np.float32)
        z = self._reduce(descriptors, extra)
        gmm = GaussianMixture(self.components, covariance_type="diag", max_iter=100,
                              reg_covar=1e-4, random_state=self.seed).fit(z)
        self.weights, self.means, self.variances = gmm.weights_, gmm.means_, gmm.covariances_
        return self

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The fitted encoder as named arrays (``prefix`` + :data:`ENCODER_ARRAYS`)."""
        return {prefix + k: np.asarray(getattr(self, k)) for k in ENCODER_ARRAYS}

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "") -> FisherEncoder:
        """The encoder :meth:`to_arrays` wrote (a mapping such as an open ``.npz``)."""
        enc = cls(components=len(arrays[prefix + "weights"]),
                  pca_dims=len(arrays[prefix + "pca_components"]))
        for k in ENCODER_ARRAYS:
            setattr(enc, k, np.asarray(arrays[prefix + k]))
        return enc

    def _reduce(self, descriptors: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
        z = (np.asarray(descriptors, np.float32) - self.pca_mean) @ self.pca_components.T
        z *= self.pca_scale
        return z if extra is None else np.concatenate([z, np.asarray(extra, np.float32)], 1)

    @property
    def dims(self) -> int:
        return 2 * self.components * int(self.means.shape[1])

    def encode(self, descriptors: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """The improved Fisher vector of one image's descriptors (T, d) [+ extra (T, E)]."""
        return improve(fisher_vector(self._reduce(descriptors, extra), self.weights, self.means,
                                     self.variances))

    def transform(self, images: Sequence[np.ndarray],
                  extras: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """(N, dims) float32: one improved Fisher vector per image's descriptor array."""
        out = np.empty((len(images), self.dims), np.float32)
        for i, d in enumerate(images):
            out[i] = self.encode(d, None if extras is None else extras[i])
        return out
