"""Poster genres from the shipped models (onnxruntime only).

>>> clf = PosterClassifier()                       # doctest: +SKIP
>>> probs = clf.predict([poster_rgb])              # (N, G) probabilities, columns clf.genres
>>> clf.labels(probs)                              # the genres above their thresholds

``PosterClassifier()`` is the multi-label model (every frequent genre, sigmoid outputs, per-genre
thresholds chosen on validation): the CNN ensemble ``genres.onnx`` and the Fisher-vector member
``genres_fisher.npz`` (:mod:`moviemotion.posters.fisher`) with equal weight (the mean of their
logits); ``fisher=False`` uses the CNN alone. ``PosterClassifier(head="single")`` is the
4-genre softmax model (comedy, horror, action, romance: the probabilities of one row sum to 1).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.posters.data import read_poster, resize, to_rgb

WEIGHTS = Path(__file__).with_name("weights")
MODELS = {"multilabel": WEIGHTS / "genres.onnx", "single": WEIGHTS / "genres4.onnx"}
#: The shipped Fisher-vector member of the multi-label model.
FISHER = WEIGHTS / "genres_fisher.npz"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class PosterClassifier:
    """Genre probabilities of movie posters. ``model``: an ``.onnx`` file from
    ``moviemotion train poster`` (default: the shipped model of ``head``); ``fisher``: a
    Fisher-vector member (``.npz`` from ``moviemotion train poster-fisher``) fused with it,
    ``False`` for none; default: the shipped member with the shipped multi-label model."""

    def __init__(self, model: str | os.PathLike[str] | None = None, head: str = "multilabel",
                 threads: int | None = None, fisher: str | os.PathLike[str] | bool | None = None):
        from moviemotion.learn.onnx import Predictor

        if model is None:
            if head not in MODELS:
                raise InputError(f"unknown head {head!r}; choose one of {', '.join(MODELS)}")
            model = MODELS[head]
        self.predictor = Predictor(model, threads=threads, what="poster model")
        shape = self.predictor.input_shape
        if shape is None or len(shape) != 3 or shape[0] != 3:
            raise ModelError(f"{self.predictor.path}: not a poster model (input {shape}, "
                             "expected (N, 3, H, W) RGB)")
        self.size = (int(shape[1]), int(shape[2]))
        task = self.predictor.task
        self.kind = task.kind if task else "multiclass"
        self.genres: tuple[str, ...] = self.predictor.classes
        th = task.thresholds if task is not None and task.thresholds else None
        self.thresholds = np.asarray(th if th else [0.5] * len(self.genres), np.float32)
        if fisher is None:
            fisher = FISHER if Path(model) == MODELS["multilabel"] and FISHER.is_file() else False
        self.fisher = None
        if fisher is not False:
            from moviemotion.posters.fisher import PosterFisher

            self.fisher = PosterFisher.load(fisher)
            if self.kind != "multilabel" or self.fisher.genres != self.genres:
                raise ModelError(f"{fisher}: a Fisher member of other genres than "
                                 f"{self.predictor.path}")
            if self.fisher.info.get("thresholds"):
                self.thresholds = np.asarray(self.fisher.info["thresholds"], np.float32)

    def predict(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Probabilities (N, G) for RGB posters of any size (uint8 (H, W, 3); gray (H, W) and
        RGBA are converted)."""
        x = np.empty((len(images), 3, *self.size), np.uint8)
        for i, img in enumerate(images):
            x[i] = resize(to_rgb(img), self.size)
        probs = self.predictor.predict(x.astype(np.float32))
        if self.fisher is None:
            return probs
        from moviemotion.posters.fisher import fuse

        if self.fisher.size != self.size:
            x = np.stack([resize(to_rgb(img), self.fisher.size) for img in images])
        return fuse([probs, self.fisher.predict(x)])

    def predict_files(self, paths: Sequence[str | os.PathLike[str]]) -> np.ndarray:
        """:meth:`predict` of image files (an unreadable file is an InputError naming it)."""
        return self.predict([read_poster(p) for p in paths])

    def labels(self, probs: np.ndarray) -> list[list[str]]:
        """The genres of each poster: above their thresholds (multi-label) or the most probable
        (single-label)."""
        probs = np.atleast_2d(probs)
        if self.kind == "multiclass":
            return [[self.genres[int(k)]] for k in probs.argmax(axis=1)]
        return [[g for g, p, t in zip(self.genres, row, self.thresholds, strict=True) if p >= t]
                for row in probs]


def poster_files(target: str | os.PathLike[str]) -> list[Path]:
    """An image file, or the image files of a folder (sorted); InputError if none."""
    target = Path(target)
    if target.is_dir():
        files = sorted(p for p in target.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InputError(f"{target}: no poster images ({', '.join(IMAGE_SUFFIXES)})")
        return files
    if not target.exists():
        raise InputError(f"{target}: not found")
    return [target]
