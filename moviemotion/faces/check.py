"""A second look at weak face candidates: a small CNN that says face or not on a 32x32 patch.

CenterFace's heatmap score separates faces from background well above 0.25, but many real
faces (turned, blurred, badly lit) score far lower, among background patches that score the
same. The detector therefore keeps every candidate down to a low score and asks this
classifier about the weak ones (:class:`~moviemotion.faces.centerface.CenterFaceDetector`,
``check``). The classifier is ours: trained by :mod:`moviemotion.faceid.facecheck` on
CenterFace's own candidates (faces pasted on backdrops: positives; real photos of places
without people: negatives), exported to ONNX, shipped in ``faces/weights/facecheck.onnx``
with its model card. It sees the candidate's square box as a 32x32 luma patch and returns
p(face).

Example
-------
>>> import numpy as np
>>> from moviemotion.faces.check import FaceCheck
>>> FaceCheck()(np.zeros((480, 640), np.uint8), np.array([[100, 80, 200, 200]])).shape
(1,)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moviemotion.errors import ModelError
from moviemotion.faces.crops import crop_faces
from moviemotion.faces.detections import onnx_session

#: The shipped face/non-face classifier (made by ``moviemotion train facecheck``).
CHECK_MODEL = Path(__file__).parent / "weights" / "facecheck.onnx"
#: Its input side in pixels.
PATCH = 32


def _session(path: str, threads: int):
    sess = onnx_session(path, threads, "face-check")
    shape = sess.get_inputs()[0].shape
    if len(shape) != 4 or shape[1:] != [1, PATCH, PATCH] or sess.get_outputs()[0].shape[-1] != 2:
        raise ModelError(f"{path}: not a face-check model (input {shape}, needs [n, 1, {PATCH}, {PATCH}] "
                         "and two outputs: other, face)")
    return sess


class FaceCheck:
    """p(face) of square boxes in a luma frame (the shipped model or ``model``)."""

    def __init__(self, model: str | Path | None = None, threads: int = 1):
        self.model = str(model or CHECK_MODEL)
        if not Path(self.model).is_file():
            raise ModelError(f"{self.model}: face-check model file not found")
        self._session = _session(self.model, int(threads))
        self._input = self._session.get_inputs()[0].name

    def __call__(self, gray: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """p(face) per box (x, y, w, h in ``gray``'s pixels), float32 (N,)."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        if not len(boxes):
            return np.zeros(0, np.float32)
        x = crop_faces(gray, boxes, PATCH)[:, None].astype(np.float32)
        return self._session.run(None, {self._input: x})[0][:, 1].astype(np.float32)
