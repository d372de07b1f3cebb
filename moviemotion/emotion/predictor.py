"""Emotion inference with onnxruntime: batches of 48x48 grayscale faces -> probabilities.

Needs only numpy and onnxruntime (no torch). The shipped default model lives at
``moviemotion/emotion/weights/default.onnx``; its input is raw pixels (N, 48, 48)
float32 in 0-255 (normalization is inside the graph) and its output class
probabilities (N, 7) in :data:`~moviemotion.emotion.labels.EMOTIONS` order.
:class:`Predictor` is the learning kit's :class:`moviemotion.learn.onnx.Predictor` held to
that contract: a model with other classes, another input or output shape, or NaN outputs
is a :class:`~moviemotion.errors.ModelError` naming the file.

>>> import numpy as np
>>> from moviemotion.emotion import Predictor
>>> p = Predictor()
>>> probs = p.predict(np.zeros((3, 48, 48), np.uint8))
>>> probs.shape, p.classes[3]
((3, 7), 'happy')
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.emotion.task import FACE_SIZE
from moviemotion.errors import InputError
from moviemotion.learn.onnx import Predictor as ModelPredictor

DEFAULT_MODEL = Path(__file__).resolve().parent / "weights" / "default.onnx"


class Predictor(ModelPredictor):
    """An ONNX emotion model ready to score faces.

    ``path``: an ``.onnx`` file (default: the shipped model). ``threads``: onnxruntime
    intra-op threads (default: onnxruntime's choice). ``batch_size``: faces per
    inference call; larger inputs are scored in chunks of that size.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, threads: int | None = None,
                 batch_size: int = 256):
        super().__init__(path if path is not None else DEFAULT_MODEL, threads, batch_size,
                         outputs=EMOTIONS, input_shape=(FACE_SIZE, FACE_SIZE),
                         what="emotion model")

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 7) float32 for ``faces`` (N, 48, 48) raw grayscale 0-255."""
        faces = np.asarray(faces)
        if faces.ndim != 3 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE):
            raise InputError(f"faces must have shape (N, {FACE_SIZE}, {FACE_SIZE}), "
                             f"got {faces.shape}")
        return super().predict(faces)
