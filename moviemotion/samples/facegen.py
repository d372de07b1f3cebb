"""A small generative face model (per-class PCA "eigenfaces"), so the demo shows no one's face.

Fitted by our own code on FER2013's Training split: for each emotion class, the mean face
and the ``components`` leading principal components of that class's 48x48 faces (with
their standard deviations). A new face of a class is the class mean plus a random mix of
its components, coefficient ``k`` drawn from N(0, sd_k) and clipped to +-2 sd so that
samples stay typical. Only these statistics ship (``weights/facegen.npz``, float16), no
image of anyone.

Samples of a class do not all read as that class to an emotion model (FER classes overlap,
and PCA mixes are blurrier than photos). So the fit also keeps, per class, ``keep`` seeded
samples (by their coefficients) that the shipped emotion model read as their class at fit
time and that the default face detector finds in seat-camera frames: those are the demo's
faces (:meth:`FaceModel.chosen`). That selection is stated in
docs/faces.md; re-run the fit after the default emotion model changes.

Made with (about a minute on 2 cores)::

    python -m moviemotion.samples.facegen ../shared/data/fer2013_train_public.npz

Example
-------
>>> from moviemotion.samples.facegen import FaceModel
>>> model = FaceModel.load()
>>> model.viewer(0)["happy"].shape
(48, 48)
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError, ModelError

#: The shipped statistics.
STATS_PATH = Path(__file__).parent / "weights" / "facegen.npz"
SIZE = 48
CLIP_SD = 2.0
LEVEL, CONTRAST = 120.0, 58.0  # mean and standard deviation of a rendered face's pixels


class FaceModel:
    """Per-class PCA faces: ``mean[c]`` (48*48), ``basis[c]`` (K, 48*48), ``sd[c]`` (K)."""

    def __init__(self, classes, mean, basis, sd, chosen, info: dict):
        self.classes = tuple(str(c) for c in classes)
        self.mean = np.asarray(mean, np.float32)
        self.basis = np.asarray(basis, np.float32)
        self.sd = np.asarray(sd, np.float32)
        self._chosen = {c: np.asarray(v, np.float32) for c, v in chosen.items()}
        self.info = info

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def load(path: str | Path = STATS_PATH) -> FaceModel:
        try:
            with np.load(path, allow_pickle=False) as z:
                classes = [str(c) for c in z["classes"]]
                chosen = {c: z[f"chosen_{c}"] for c in classes}
                info = {k: str(z[k]) for k in ("emotion_model", "source", "command")}
                return FaceModel(classes, z["mean"], z["basis"], z["sd"], chosen, info)
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{path}: not a face model statistics file ({e})") from None

    def _index(self, expression: str) -> int:
        if expression not in self.classes:
            raise InputError(f"unknown expression {expression!r}; use one of {self.classes}")
        return self.classes.index(expression)

    def render(self, expression: str, coefficients: np.ndarray) -> np.ndarray:
        """Faces (N, 48, 48) uint8 of ``expression`` from coefficients (N, K) in units of sd."""
        c = self._index(expression)
        z = np.atleast_2d(np.asarray(coefficients, np.float32))
        img = self.mean[c] + (z * self.sd[c]) @ self.basis[c]
        # Same brightness and contrast for every face (PCA mixes come out flat otherwise).
        img = (img - img.mean(1, keepdims=True)) / np.maximum(img.std(1, keepdims=True), 1e-3)
        return np.clip(np.rint(LEVEL + CONTRAST * img), 0, 255).astype(np.uint8).reshape(-1, SIZE, SIZE)

    def sample(self, expression: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` coefficient vectors (units of sd) of new faces: N(0, 1) clipped to +-2."""
        k = self.basis.shape[1]
        return np.clip(rng.standard_normal((n, k)), -CLIP_SD, CLIP_SD).astype(np.float32)

    def chosen(self, expression: str) -> np.ndarray:
        """The stored coefficient vectors of ``expression`` that the emotion model read right."""
        self._index(expression)
        return self._chosen[expression]

    def viewer(self, index: int, expressions: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """One synthetic viewer: a 48x48 face per expression, alike across expressions.

        Viewer ``index`` takes the ``index``-th chosen neutral face as its look; for each other
        expression the chosen face most like it (coarse 6x6 layout: light, hair, face shape).
        """
        names = expressions or tuple(c for c in self.classes if len(self._chosen[c]))
        base_class = "neutral" if "neutral" in names else names[0]
        pool = self.chosen(base_class)
        base = self.render(base_class, pool[index % len(pool)])[0]
        out = {}
        for e in names:
            faces = self.render(e, self.chosen(e))
            if e == base_class:
                out[e] = base
                continue
            d = ((_layout(faces) - _layout(base[None])) ** 2).sum(1)
            # Different viewers avoid taking the same face: skip the ones nearer viewers took.
            out[e] = faces[np.argsort(d, kind="stable")[(index // len(pool)) % len(faces)]]
        return out


def _layout(faces: np.ndarray) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(f, (6, 6), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
                     for f in faces])


def fit(data: str | Path, out: str | Path = STATS_PATH, components: int = 64, keep: int = 24,
        candidates: int = 1500, seed: int = 0) -> Path:
    """Fit the per-class PCA on FER2013's Training split and choose the demo faces (see module docs).

    ``data``: ``fer2013_train_public.npz`` (arrays x, y, split, classes); see :func:`choose`.
    """

    with np.load(data) as z:
        train = z["split"] == 0
        x = z["x"][train].reshape(-1, SIZE * SIZE).astype(np.float32)
        y = z["y"][train]
        classes = [str(c) for c in z["classes"]]
    mean = np.zeros((len(classes), SIZE * SIZE), np.float32)
    basis = np.zeros((len(classes), components, SIZE * SIZE), np.float32)
    sd = np.zeros((len(classes), components), np.float32)
    for c in range(len(classes)):
        xc = x[y == c]
        mean[c] = xc.mean(0)
        d = (xc - mean[c]).astype(np.float32)
        var, vec = np.linalg.eigh((d.T @ d).astype(np.float64) / len(d))  # ascending
        vt = vec[:, ::-1][:, :components].T
        signs = np.sign(vt.sum(1, keepdims=True))  # fixed sign: deterministic
        basis[c] = vt * np.where(signs == 0, 1, signs)
        sd[c] = np.sqrt(np.clip(var[::-1][:components], 0, None))
    # Store in float16, then choose with the stored (rounded) statistics, as they will be used.
    model = FaceModel(classes, mean.astype(np.float16), basis.astype(np.float16), sd.astype(np.float16), {}, {})
    return save(model, choose(model, keep, candidates, seed), out,
                f"components={components}, keep={keep}, candidates={candidates}, seed={seed}")


#: What a chosen face must survive and still read right: (gain, roll in degrees, shift in px).
VARIANTS = ((1.0, 0.0, 0), (0.8, 0.0, 0), (1.2, 0.0, 0), (1.0, 6.0, 1), (1.0, -6.0, -1))


def _variants(faces: np.ndarray) -> np.ndarray:
    import cv2

    out = []
    for gain, roll, shift in VARIANTS:
        m = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), roll, 1.0)
        m[:, 2] += shift
        out.append(np.stack([np.clip(cv2.warpAffine(f, m, (SIZE, SIZE), borderMode=cv2.BORDER_REPLICATE)
                                     * gain, 0, 255).astype(np.uint8) for f in faces]))
    return np.stack(out)  # (V, N, 48, 48)


def choose(model: FaceModel, keep: int = 24, candidates: int = 1500, seed: int = 0) -> dict[str, np.ndarray]:
    """Per class, the first ``keep`` of ``candidates`` seeded samples that the default emotion
    model reads as their class, also a little darker, brighter, tilted and shifted
    (:data:`VARIANTS`), and that the default face detector finds in seat-camera frames as the
    demo shows them (:func:`_found`)."""
    from moviemotion.emotion import Predictor
    from moviemotion.faces import make_detector

    predictor = Predictor(threads=2)
    detector = make_detector(detect_width=320, min_face=0.15)
    backs = _seat_backgrounds()
    rng = np.random.default_rng(seed)
    chosen = {}
    for c, name in enumerate(model.classes):
        z = model.sample(name, candidates, rng)
        faces = model.render(name, z)
        views = _variants(faces)
        read = predictor.predict(views.reshape(-1, SIZE, SIZE)).argmax(1).reshape(len(VARIANTS), -1)
        picked = []
        for i in np.flatnonzero((read == c).all(0)):
            if len(picked) == keep:
                break
            if _found(faces[i], detector, backs):
                picked.append(i)
        chosen[name] = z[np.array(picked, dtype=int)]
    return chosen


#: The detection score a chosen face needs in every test frame (a margin over what the
#: detector accepts, so that the demo's moving, blinking, relit faces stay found).
FOUND_SCORE = 0.5


#: The four test frames of :func:`_found`: (face side in pixels, roll in degrees).
FOUND_FRAMES = ((200, 0.0), (230, 4.0), (250, -4.0), (210, 0.0))


def _seat_backgrounds() -> list[np.ndarray]:
    """The backdrops of :func:`_found`'s frames (640 x 480, seeds 0-3), made once per fit."""
    from moviemotion.samples.faces import background

    return [background((640, 480), seed=k) for k in range(len(FOUND_FRAMES))]


def _found(face: np.ndarray, detector, backs: list[np.ndarray]) -> bool:
    """Whether ``detector`` finds ``face`` with a score of at least :data:`FOUND_SCORE` in each
    of four seat-camera frames (``backs``; the demo seats' skin tones, hair, face sizes and a
    little roll)."""
    from moviemotion.samples.faces import HAIRS, TONES, paste_face

    for k, (side, roll) in enumerate(FOUND_FRAMES):
        frame = backs[k].copy()
        paste_face(frame, face, (320 - side / 2, 0.46 * 480 - side / 2, side, side), roll=roll,
                   tone=TONES[k], hair=HAIRS[k], whole=True)
        found = detector.detect(frame.mean(axis=2).astype(np.uint8))
        if not len(found) or float(np.max(found.scores)) < FOUND_SCORE:
            return False
    return True


def save(model: FaceModel, chosen: dict[str, np.ndarray], out: str | Path, settings: str) -> Path:
    """Write the statistics and the chosen coefficients (float16 ``.npz``, atomically)."""
    from moviemotion.emotion import DEFAULT_MODEL
    from moviemotion.io import atomic_write_bytes

    with open(DEFAULT_MODEL, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()[:16]
    buf = io.BytesIO()
    np.savez_compressed(
        buf, classes=np.array(model.classes), mean=model.mean.astype(np.float16),
        basis=model.basis.astype(np.float16), sd=model.sd.astype(np.float16),
        **{f"chosen_{k}": v.astype(np.float32) for k, v in chosen.items()},
        emotion_model=np.array(f"{DEFAULT_MODEL.name} sha256:{digest}"),
        source=np.array("FER2013 Training split (28,709 faces), per-class PCA"),
        command=np.array(f"python -m moviemotion.samples.facegen DATA  ({settings})"),
    )
    FaceModel.load.cache_clear()
    return atomic_write_bytes(Path(out), buf.getvalue())


if __name__ == "__main__":  # pragma: no cover - the fitting command in the module docs
    import sys

    path = fit(sys.argv[1])
    model = FaceModel.load(path)
    print(path, {c: len(model.chosen(c)) for c in model.classes})
