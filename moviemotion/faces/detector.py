"""Face detection behind a small interface: ``detector.detect(gray) -> Detections``.

The default backend is OpenCV's bundled Haar frontal-face cascade (works offline, ships
with ``opencv-python-headless``). It runs on a downscaled copy of the luma frame
(``detect_width`` pixels wide) and maps boxes back to the input's pixel coordinates.
Other backends only need a ``detect`` method with the same signature; register them in
:data:`DETECTORS` to make them selectable by name (``make_detector("haar", ...)``).

Example
-------
>>> import numpy as np
>>> from moviemotion.faces import make_detector
>>> det = make_detector("haar", detect_width=320, min_face=0.15)
>>> det.detect(np.zeros((480, 640), np.uint8)).boxes.shape
(0, 4)
"""

from __future__ import annotations

import inspect
from typing import Protocol

import cv2
import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.faces.centerface import CenterFaceDetector
from moviemotion.faces.detections import Detections, check_size_knobs, resize_to_width
from moviemotion.registry import Registry


class FaceDetector(Protocol):
    """Anything that finds faces in a grayscale ``(H, W)`` uint8 frame.

    ``detect`` searches the whole frame; ``detect_near`` only looks around known boxes
    (the cheap step between full searches; a backend without a cheaper way can simply
    run ``detect`` and keep the boxes overlapping the known ones).
    """

    name: str

    def detect(self, gray: np.ndarray) -> Detections: ...

    def detect_near(self, gray: np.ndarray, boxes: np.ndarray) -> Detections: ...

    def settings(self) -> dict: ...


class HaarDetector:
    """OpenCV's Haar cascade on a downscaled luma frame.

    Parameters
    ----------
    detect_width: width in pixels the frame is resized to before detection (keeps aspect).
        Larger finds smaller faces (like "upsampling") and costs more; frames narrower than
        this are upsampled.
    scale_factor: the cascade's pyramid step (>1; smaller is slower and finds more).
    min_neighbors: the detection threshold (overlapping hits a face needs).
    min_face: the smallest face to look for, as a fraction of the frame height.
    max_face: the largest, as a fraction of the frame height.
    cascade: an OpenCV cascade file name in ``cv2.data.haarcascades`` or a path.
    """

    name = "haar"

    def __init__(
        self,
        detect_width: int = 320,
        scale_factor: float = 1.2,
        min_neighbors: int = 4,
        min_face: float = 0.15,
        max_face: float = 1.0,
        cascade: str = "haarcascade_frontalface_default.xml",
    ):
        check_size_knobs(detect_width, min_face, max_face)
        if not scale_factor > 1.0:
            raise InputError(f"scale factor must be > 1, got {scale_factor}")
        if min_neighbors < 0:
            raise InputError(f"min neighbours must be >= 0, got {min_neighbors}")
        self.detect_width = int(detect_width)
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self.min_face = float(min_face)
        self.max_face = float(max_face)
        self.cascade = cascade
        path = cascade if "/" in cascade else cv2.data.haarcascades + cascade
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise ModelError(f"{path}: not a readable OpenCV cascade file")

    def settings(self) -> dict:
        return {"backend": self.name, "detect_width": self.detect_width,
                "scale_factor": self.scale_factor, "min_neighbors": self.min_neighbors,
                "min_face": self.min_face, "max_face": self.max_face, "cascade": self.cascade}

    def detect(self, gray: np.ndarray) -> Detections:
        """Find faces in ``gray`` (``(H, W)`` uint8); boxes are in ``gray``'s pixels."""
        small = resize_to_width(gray, self.detect_width)
        small_h = small.shape[0]
        scale = self.detect_width / gray.shape[1]
        lo = max(12, int(self.min_face * small_h))
        hi = max(lo + 1, int(self.max_face * small_h))
        boxes, counts = self._cascade.detectMultiScale2(
            small, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(lo, lo), maxSize=(hi, hi),
        )
        if len(boxes) == 0:
            return Detections.empty()
        order = np.lexsort((np.asarray(boxes)[:, 1], np.asarray(boxes)[:, 0]))  # left to right: deterministic
        return Detections(np.asarray(boxes, np.float32)[order] / scale,
                          np.asarray(counts, np.float32).ravel()[order])

    def detect_near(self, gray: np.ndarray, boxes: np.ndarray, margin: float = 0.5,
                    work_size: int = 56) -> Detections:
        """Re-find each known face (``boxes``, x y w h) in a small window around it.

        Each window (the box grown by ``margin`` of its size on every side) is scaled so the
        face is about ``work_size`` pixels and searched for faces of 0.7-1.4 times the old
        size: a fraction of a full-frame search. A face that is gone yields no box.
        """
        found_boxes, found_scores = [], []
        h, w = gray.shape[:2]
        for x, y, bw, bh in np.asarray(boxes, np.float64).reshape(-1, 4):
            size = max(bw, bh)
            x0, y0 = max(0, int(x - margin * bw)), max(0, int(y - margin * bh))
            x1, y1 = min(w, int(x + bw * (1 + margin))), min(h, int(y + bh * (1 + margin)))
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            scale = work_size / size
            roi = cv2.resize(gray[y0:y1, x0:x1], (max(1, int((x1 - x0) * scale)), max(1, int((y1 - y0) * scale))),
                             interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
            lo, hi = max(12, int(0.7 * work_size)), int(1.4 * work_size) + 1
            got, counts = self._cascade.detectMultiScale2(roi, scaleFactor=self.scale_factor,
                                                          minNeighbors=self.min_neighbors,
                                                          minSize=(lo, lo), maxSize=(hi, hi))
            if len(got) == 0:
                continue
            # The hit nearest the old box (not a neighbour's face that entered the window).
            got = np.asarray(got, np.float64) / scale
            centres = got[:, :2] + got[:, 2:] / 2 + [x0, y0]
            k = int(np.argmin(np.linalg.norm(centres - [x + bw / 2, y + bh / 2], axis=1)))
            bx = got[k]
            found_boxes.append([bx[0] + x0, bx[1] + y0, bx[2], bx[3]])
            found_scores.append(float(np.asarray(counts).ravel()[k]))
        if not found_boxes:
            return Detections.empty()
        return Detections(np.asarray(found_boxes, np.float32), np.asarray(found_scores, np.float32))


#: Face detector backends by name (see docs/faces.md for how they compare).
DETECTORS: Registry[type] = Registry("face detector")
DETECTORS.register("haar", HaarDetector,
                   help="OpenCV's Haar cascade (Viola-Jones, frontal faces), fast on CPU")
DETECTORS.register("centerface", CenterFaceDetector,
                   help="CenterFace CNN (MIT, onnxruntime): turned, small and badly lit faces too")
DEFAULT_DETECTOR = "centerface"


def _knobs_of(cls: type) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def make_detector(backend: str | None = None, **knobs) -> FaceDetector:
    """Build a detector by backend name (default :data:`DEFAULT_DETECTOR`) with its knobs.

    Knobs that only another backend knows (e.g. Haar's ``scale_factor`` given to
    CenterFace, as a command line that offers every backend's knobs does) are ignored;
    a knob no backend knows is an :class:`InputError`.
    """
    cls = DETECTORS.get(backend or DEFAULT_DETECTOR)
    own = _knobs_of(cls)
    known = set().union(*(_knobs_of(c) for _, c in DETECTORS.items()))
    unknown = sorted(set(knobs) - known)
    if unknown:
        raise InputError(f"unknown face detector setting(s) {', '.join(unknown)}; "
                         f"{cls.name} takes {', '.join(sorted(own))}")
    return cls(**{k: v for k, v in knobs.items() if k in own})
