"""Confusion-matrix picture drawn with OpenCV (no plotting library needed for training)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.io import atomic_path

_CELL = 72
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def confusion_image(confusion: np.ndarray, title: str = "") -> np.ndarray:
    """BGR image of a confusion matrix: rows true class, columns predicted class; each cell
    shows the row-normalised share (colour, percent) and the count."""
    cm = np.asarray(confusion, dtype=np.float64)
    k = len(cm)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    left, top = 110, 80
    img = np.full((top + k * _CELL + 60, left + k * _CELL + 20, 3), 255, np.uint8)
    # Colour: white -> dark blue with the share of the true class's faces.
    colours = cv2.applyColorMap((255 - share * 255).astype(np.uint8), cv2.COLORMAP_BONE)
    cells = cv2.resize(colours, (k * _CELL, k * _CELL), interpolation=cv2.INTER_NEAREST)
    img[top:top + k * _CELL, left:left + k * _CELL] = cells
    for i in range(k):
        for j in range(k):
            x, y = left + j * _CELL, top + i * _CELL
            ink = (255, 255, 255) if share[i, j] > 0.5 else (0, 0, 0)
            cv2.putText(img, f"{share[i, j]:.0%}", (x + 10, y + 32), _FONT, 0.5, ink, 1, cv2.LINE_AA)
            cv2.putText(img, f"{int(cm[i, j])}", (x + 10, y + 54), _FONT, 0.4, ink, 1, cv2.LINE_AA)
        cv2.putText(img, EMOTIONS[i], (8, top + i * _CELL + 40), _FONT, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
        cv2.putText(img, EMOTIONS[i][:7], (left + i * _CELL + 4, top - 10), _FONT, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "predicted ->", (left, top - 40), _FONT, 0.5, (80, 80, 80), 1, cv2.LINE_AA)
    cv2.putText(img, "true", (8, top - 10), _FONT, 0.5, (80, 80, 80), 1, cv2.LINE_AA)
    cv2.putText(img, title[:90], (8, img.shape[0] - 20), _FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def write_confusion_png(path: str | Path, confusion: np.ndarray, title: str = "") -> Path:
    """Write :func:`confusion_image` to ``path`` (PNG, atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), confusion_image(confusion, title)):
            raise OSError(f"{path}: could not write PNG")
    return path
