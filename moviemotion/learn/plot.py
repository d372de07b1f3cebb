"""Confusion-matrix picture drawn with OpenCV (no plotting library needed for training)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from moviemotion.io import atomic_path

_CELL = 72
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def confusion_image(confusion: np.ndarray, classes: Sequence[str], title: str = "") -> np.ndarray:
    """BGR image of a confusion matrix: rows true class, columns predicted class; each cell
    shows the row-normalized share (color, percent) and the count."""
    cm = np.asarray(confusion, dtype=np.float64)
    k = len(cm)
    cell = _CELL if k <= 12 else max(36, 860 // k)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    left, top = 110, 80
    img = np.full((top + k * cell + 60, left + k * cell + 20, 3), 255, np.uint8)
    # Color: white -> dark blue with the share of the true class's examples.
    colors = cv2.applyColorMap((255 - share * 255).astype(np.uint8), cv2.COLORMAP_BONE)
    img[top:top + k * cell, left:left + k * cell] = cv2.resize(
        colors, (k * cell, k * cell), interpolation=cv2.INTER_NEAREST)
    scale = cell / _CELL
    for i in range(k):
        for j in range(k):
            x, y = left + j * cell, top + i * cell
            ink = (255, 255, 255) if share[i, j] > 0.5 else (0, 0, 0)
            cv2.putText(img, f"{share[i, j]:.0%}", (x + 4 + int(6 * scale), y + int(32 * scale)),
                        _FONT, 0.5 * scale, ink, 1, cv2.LINE_AA)
            cv2.putText(img, f"{int(cm[i, j])}", (x + 4 + int(6 * scale), y + int(54 * scale)),
                        _FONT, 0.4 * scale, ink, 1, cv2.LINE_AA)
        cv2.putText(img, str(classes[i])[:12], (8, top + i * cell + cell // 2 + 4), _FONT, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, str(classes[i])[:7], (left + i * cell + 4, top - 10), _FONT,
                    0.45 * min(1.0, scale), (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "predicted ->", (left, top - 40), _FONT, 0.5, (80, 80, 80), 1, cv2.LINE_AA)
    cv2.putText(img, "true", (8, top - 10), _FONT, 0.5, (80, 80, 80), 1, cv2.LINE_AA)
    cv2.putText(img, title[:90], (8, img.shape[0] - 20), _FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def write_confusion_png(path: str | Path, confusion: np.ndarray, classes: Sequence[str],
                        title: str = "") -> Path:
    """Write :func:`confusion_image` to ``path`` (PNG, atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), confusion_image(confusion, classes, title)):
            raise OSError(f"{path}: could not write PNG")
    return path
