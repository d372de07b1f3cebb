"""Faces in frames: detection (pluggable backends: Haar, CenterFace), crops, and tracking.

Data flow: grayscale frame -> :class:`Detections` (boxes) -> crops for the emotion model;
boxes over time -> :func:`track_faces` -> one anonymous track id per person.

>>> from moviemotion.faces import make_detector, crop_faces, track_faces   # doctest: +SKIP
"""

from moviemotion.faces.centerface import CenterFaceDetector
from moviemotion.faces.crops import crop_faces
from moviemotion.faces.detections import Detections
from moviemotion.faces.detector import (
    DEFAULT_DETECTOR,
    DETECTORS,
    FaceDetector,
    HaarDetector,
    make_detector,
)
from moviemotion.faces.tracker import IoUTracker, centre_distance, iou_matrix, track_faces

__all__ = [
    "CenterFaceDetector",
    "DEFAULT_DETECTOR",
    "DETECTORS",
    "Detections",
    "FaceDetector",
    "HaarDetector",
    "IoUTracker",
    "centre_distance",
    "crop_faces",
    "iou_matrix",
    "make_detector",
    "track_faces",
]
