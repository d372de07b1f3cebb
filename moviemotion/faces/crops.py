"""Cut face boxes out of a grayscale frame as the classifier's fixed-size input.

Example
-------
>>> import numpy as np
>>> from moviemotion.faces import crop_faces
>>> crop_faces(np.zeros((480, 640), np.uint8), np.array([[100, 80, 200, 200]])).shape
(1, 48, 48)
"""

from __future__ import annotations

import cv2
import numpy as np


def crop_faces(gray: np.ndarray, boxes: np.ndarray, size: int = 48, margin: float = 0.0) -> np.ndarray:
    """Crops of ``boxes`` (x, y, w, h) from ``gray``, resized to ``size`` x ``size`` uint8.

    ``margin`` widens each box by that fraction of its size on every side; parts of a box
    outside the frame are filled by replicating the border.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    out = np.empty((len(boxes), size, size), np.uint8)
    h, w = gray.shape[:2]
    for i, (x, y, bw, bh) in enumerate(boxes):
        x0 = int(round(x - margin * bw))
        y0 = int(round(y - margin * bh))
        x1 = int(round(x + bw * (1 + margin)))
        y1 = int(round(y + bh * (1 + margin)))
        patch = gray[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
        if patch.size == 0:
            out[i] = 0
            continue
        pad = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
        if any(pad):
            patch = cv2.copyMakeBorder(patch, *pad, cv2.BORDER_REPLICATE)
        interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
        out[i] = cv2.resize(patch, (size, size), interpolation=interp)
    return out
