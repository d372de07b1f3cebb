"""Emotion inference with onnxruntime: batches of 48x48 grayscale faces -> probabilities.

Needs only numpy and onnxruntime (no torch). The shipped default model lives at
``moviemotion/emotion/weights/default.onnx``; its input is raw pixels (N, 48, 48)
float32 in 0-255 (normalisation is inside the graph) and its output class
probabilities (N, 7) in :data:`~moviemotion.emotion.labels.EMOTIONS` order.

>>> import numpy as np
>>> from moviemotion.emotion import Predictor
>>> p = Predictor()
>>> probs = p.predict(np.zeros((3, 48, 48), np.uint8))
>>> probs.shape, p.classes[3]
((3, 7), 'happy')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError, ModelError

DEFAULT_MODEL = Path(__file__).resolve().parent / "weights" / "default.onnx"
FACE_SIZE = 48


class Predictor:
    """An ONNX emotion model ready to score faces.

    ``path``: an ``.onnx`` file (default: the shipped model). ``threads``: onnxruntime
    intra-op threads (default: onnxruntime's choice). ``batch_size``: faces per
    inference call; larger inputs are scored in chunks of that size.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, threads: int | None = None,
                 batch_size: int = 256):
        import onnxruntime as ort

        self.path = Path(path) if path is not None else DEFAULT_MODEL
        self.batch_size = int(batch_size)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: emotion model not found")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads is not None:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(self.path), opts,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelError(f"{self.path}: not a valid ONNX model ({_first_line(exc)})") from exc
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1 or list(inputs[0].shape[1:]) != [FACE_SIZE] * 2:
            raise ModelError(f"{self.path}: expected one input of shape (N, 48, 48), found "
                             f"{[tuple(i.shape) for i in inputs]}")
        self._input = inputs[0].name
        self._output = outputs[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        self.classes: tuple[str, ...] = tuple(json.loads(meta["classes"])) if "classes" in meta \
            else EMOTIONS
        self.metadata: dict[str, str] = dict(meta)
        if self.classes != EMOTIONS:
            raise ModelError(f"{self.path}: model classes {self.classes} differ from {EMOTIONS}")

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 7) float32 for ``faces`` (N, 48, 48) raw grayscale 0-255."""
        faces = np.asarray(faces)
        if faces.ndim != 3 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE):
            raise InputError(f"faces must have shape (N, {FACE_SIZE}, {FACE_SIZE}), "
                             f"got {faces.shape}")
        n = len(faces)
        out = np.empty((n, len(self.classes)), np.float32)
        for start in range(0, n, self.batch_size):
            chunk = faces[start:start + self.batch_size].astype(np.float32, copy=False)
            out[start:start + len(chunk)] = self._session.run([self._output],
                                                              {self._input: chunk})[0]
        return out

    def __repr__(self) -> str:
        return f"Predictor({str(self.path)!r})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
