"""The result type every face detector returns (its own module so backends can import it)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detections:
    """Faces found in one frame.

    ``boxes``: float32 ``(N, 4)`` as ``x, y, w, h`` in the input frame's pixels.
    ``scores``: float32 ``(N,)``, higher is more certain (Haar: its neighbor count;
    CenterFace: its heatmap score, 0-1).
    """

    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    @staticmethod
    def empty() -> Detections:
        return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))


def check_size_knobs(detect_width: int, min_face: float, max_face: float) -> None:
    """The size settings every backend shares: an :class:`InputError` for impossible values."""
    from moviemotion.errors import InputError

    if not detect_width >= 32:
        raise InputError(f"detect width must be at least 32 pixels, got {detect_width}")
    if not 0.0 < min_face <= max_face <= 1.0:
        raise InputError(f"need 0 < min face ({min_face}) <= max face ({max_face}) <= 1")


def resize_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """``image`` scaled to ``width`` pixels wide, aspect kept (area filter when shrinking)."""
    import cv2

    h, w = image.shape[:2]
    if w == width:
        return image
    small_h = max(1, int(round(h * width / w)))
    return cv2.resize(image, (width, small_h), interpolation=cv2.INTER_AREA if width < w else cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=8)
def onnx_session(path: str, threads: int, what: str):
    """One onnxruntime CPU session per (model, threads) and process (start-up costs ~0.1 s);
    a file onnxruntime cannot load is a one-line ModelError naming it as a ``what`` model."""
    import onnxruntime as ort

    from moviemotion.errors import ModelError

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise ModelError(f"{path}: not a usable {what} ONNX model ({str(e).splitlines()[0]})") from None
