"""The result type every face detector returns (its own module so backends can import it)."""

from __future__ import annotations

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
