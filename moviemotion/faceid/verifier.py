"""Face verification with the shipped embedding (onnxruntime only).

>>> v = FaceVerifier()                             # doctest: +SKIP
>>> e = v.embed([face_a, face_b])                  # (2, D), unit length
>>> v.similarity(e[0], e[1])                       # cosine similarity, -1 .. 1
>>> v.same(e[0], e[1])                             # above the threshold at the validation EER

Face crops of any size, gray (H, W) or RGB (H, W, 3), are converted to gray, resized to the
model's input and normalized for lighting as in training (the model's ``preprocess`` metadata:
``tan-triggs`` or ``equalize``, :mod:`moviemotion.faceid.illumination`). Embeddings are computed in memory and never written by this module.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.faceid.data import to_gray
from moviemotion.faceid.illumination import PREPROCESS, normalize

WEIGHTS = Path(__file__).with_name("weights")
MODEL = WEIGHTS / "faceid.onnx"


class FaceVerifier:
    """``model``: an ``.onnx`` embedding from ``moviemotion train faceid`` (default: shipped)."""

    def __init__(self, model: str | os.PathLike[str] | None = None, threads: int | None = None):
        from moviemotion.learn.onnx import Predictor

        self.predictor = Predictor(model or MODEL, threads=threads, what="face embedding model")
        shape = self.predictor.input_shape
        if self.predictor.kind != "embedding" or shape is None or len(shape) != 3 or shape[0] != 1:
            raise ModelError(f"{self.predictor.path}: not a face embedding model "
                             f"(kind {self.predictor.kind}, input {shape})")
        self.size = (int(shape[1]), int(shape[2]))
        self.dim = len(self.predictor.classes)
        meta = self.predictor.metadata
        self.threshold = float(meta.get("threshold", 0.5))
        self.preprocess = meta.get("preprocess", "equalize")
        if self.preprocess not in PREPROCESS:
            raise ModelError(f"{self.predictor.path}: unknown face preprocessing {self.preprocess!r}")

    def embed(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        """Unit-length embeddings (N, D) float32 of face crops (any size, gray or RGB)."""
        x = np.empty((len(faces), 1, *self.size), np.float32)
        for i, f in enumerate(faces):
            try:
                x[i, 0] = to_gray(f, self.size)
            except InputError as exc:
                raise InputError(f"face {i}: {exc.message}") from None
        if not len(x):
            return np.zeros((0, self.dim), np.float32)
        x[:, 0] = normalize(x[:, 0].astype(np.uint8), self.preprocess)
        e = self.predictor.predict(x)
        return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
        """Cosine similarity of embeddings: two vectors -> a number; (N, D) and (M, D) -> (N, M)."""
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        an = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
        bn = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
        if an.ndim == 1 and bn.ndim == 1:
            return float(an @ bn)
        return np.atleast_2d(an) @ np.atleast_2d(bn).T

    def same(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether two embeddings are of the same person (similarity >= :attr:`threshold`)."""
        return bool(self.similarity(a, b) >= self.threshold)
