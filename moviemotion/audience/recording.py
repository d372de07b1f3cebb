"""One recording -> per-sample faces with their emotion probabilities (streaming, batched).

Frames are decoded as luma at the sampling rate (``fps``); faces are searched in the
whole (downscaled) frame every ``detect_every``-th sample and, in between, only re-found
in small windows around the previous boxes (seated viewers barely move; a face that
left is dropped; a newcomer is found at the next full search). The crops are classified
in batches across frames, and at the end the boxes are tracked into anonymous viewers. Memory holds only the per-face
results (a few numbers per face and sample), never frames, so it stays flat in the
recording's length.

Example
-------
>>> from moviemotion.audience.recording import RecordingSettings, analyze_recording  # doctest: +SKIP
>>> faces = analyze_recording(Path("seat01.mp4"), classifier, RecordingSettings(fps=2))
>>> faces.table.num_rows, faces.stats["classify_s"]
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError, ModelError
from moviemotion.faces import (
    DEFAULT_DETECTOR,
    Detections,
    crop_faces,
    iou_matrix,
    make_detector,
    track_faces,
)
from moviemotion.signals import TIME, Signals

#: Version of the per-recording table layout; bump when its columns or meaning change.
FACES_FORMAT = 2  # 2: time column ``time`` (was ``t``)
#: Highest sampling rate accepted (no camera records faster; it guards against typos and inf).
MAX_FPS = 1000.0


class Classifier(Protocol):
    """An emotion model: ``predict(uint8 (N, 48, 48)) -> float (N, 7)`` in ``classes`` order."""

    classes: tuple[str, ...]

    def predict(self, faces: np.ndarray) -> np.ndarray: ...


class Embedder(Protocol):
    """A face embedding model (:class:`moviemotion.faceid.verifier.FaceVerifier`):
    ``embed(crops) -> float (N, D)`` unit vectors, used only for ``--reidentify``."""

    def embed(self, faces) -> np.ndarray: ...


@dataclass(frozen=True)
class RecordingSettings:
    """Everything that changes a recording's per-sample results (part of the resume key)."""

    fps: float = 2.0
    detect_every: int = 4
    detector: str = DEFAULT_DETECTOR
    detector_knobs: dict = field(default_factory=dict)
    max_gap: float = 2.0
    min_track_share: float = 0.1
    crop_margin: float = 0.0
    batch: int = 128
    model_id: str = ""

    def __post_init__(self):
        if not (math.isfinite(self.fps) and 0 < self.fps <= MAX_FPS):
            raise InputError(f"--fps must be a number of samples per second in (0, {MAX_FPS:g}], "
                             f"got {self.fps:g}")
        if not 1 <= self.detect_every <= 10_000:
            raise InputError(f"--detect-every must be in 1..10000, got {self.detect_every}")
        for name, value in self.detector_knobs.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise InputError(f"--{name.replace('_', '-')} must be a finite number, got {value}")
        if not (math.isfinite(self.max_gap) and self.max_gap >= 0):
            raise InputError(f"max gap must be a finite number of seconds >= 0, got {self.max_gap}")
        if not 0 <= self.min_track_share <= 1:
            raise InputError(f"min track share must be in 0..1, got {self.min_track_share}")
        if not 1 <= self.batch <= 65536:
            raise InputError(f"batch must be in 1..65536, got {self.batch}")

    def as_dict(self) -> dict:
        return asdict(self)

    def fingerprint(self) -> str:
        d = self.as_dict()
        d.pop("batch")  # batching does not change results
        d["format"] = FACES_FORMAT
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class RecordingFaces:
    """A recording's analysis: one row per (sample, face) and one per sample with no face.

    ``table`` columns: ``time`` (s, **recording** time = the frame's presentation time; movie
    time is ``time + offset``, see :meth:`signals`), ``face``
    (bool), ``track`` (int, -1 = no face or a dropped false hit), ``x, y, w, h`` (pixels),
    ``score`` (detector confidence), ``detected`` (bool: found by a full-frame search; False:
    re-found near its previous box), then one float32 probability column per emotion (NaN without a face).
    """

    table: pa.Table
    duration: float
    frame_fps: float
    width: int
    height: int
    stats: dict
    #: ``--reidentify`` only: track id -> mean unit face embedding (D,), in memory only.
    #: Never stored (:mod:`.store` writes ``table`` alone) and dropped once the run is linked.
    embeddings: dict[int, np.ndarray] | None = field(default=None, repr=False)

    def signals(self, offset: float = 0.0, source: str = "audience.faces") -> Signals:
        """The table as :class:`~moviemotion.signals.Signals` in movie time (``time + offset``)."""
        table = self.table
        if offset:
            i = table.column_names.index(TIME)
            table = table.set_column(i, TIME, pc.add(table[TIME], float(offset)))
        return Signals.from_columns(source, "frames", table, units=FACE_UNITS,
                                    groups={"emotions": EMOTIONS, "box": ("x", "y", "w", "h")},
                                    rate=self.stats.get("fps"))


#: Units of the per-sample columns (stored in the Parquet metadata).
FACE_UNITS = {TIME: "s", "face": "bool", "track": "id", "x": "px", "y": "px", "w": "px", "h": "px",
              "score": "detector score", "detected": "bool",
              **{e: "probability" for e in EMOTIONS}}


class _BatchedClassifier:
    """Collects face crops across frames and classifies them ``batch`` at a time (and, with an
    ``embedder``, embeds the same batch)."""

    def __init__(self, classifier: Classifier, batch: int, embedder: Embedder | None = None):
        self.classifier = classifier
        self.embedder = embedder
        self.embedded: list[np.ndarray] = []
        self.embed_seconds = 0.0
        self.batch = batch
        self.pending: list[np.ndarray] = []
        self.n_pending = 0
        self.done: list[np.ndarray] = []
        self.seconds = 0.0

    def add(self, crops: np.ndarray) -> None:
        self.pending.append(crops)
        self.n_pending += len(crops)
        if self.n_pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        t0 = time.perf_counter()
        faces = np.concatenate(self.pending)
        probs = np.asarray(self.classifier.predict(faces), np.float32).reshape(len(faces), len(EMOTIONS))
        self.done.append(probs)
        self.seconds += time.perf_counter() - t0
        if self.embedder is not None:
            t1 = time.perf_counter()
            self.embedded.append(np.asarray(self.embedder.embed(faces), np.float32).reshape(len(faces), -1))
            self.embed_seconds += time.perf_counter() - t1
            self.seconds += time.perf_counter() - t1
        self.pending, self.n_pending = [], 0

    def probabilities(self) -> np.ndarray:
        self.flush()
        return np.concatenate(self.done) if self.done else np.zeros((0, len(EMOTIONS)), np.float32)

    def track_embeddings(self, track: np.ndarray) -> dict[int, np.ndarray]:
        """Mean unit embedding of each track (``track``: the track id of every face, in order)."""
        if not self.embedded:
            return {}
        emb = np.concatenate(self.embedded)
        self.embedded = []
        out = {}
        for k in np.unique(track[track >= 0]):
            m = emb[track == k].astype(np.float64).mean(0)
            out[int(k)] = (m / max(np.linalg.norm(m), 1e-12)).astype(np.float32)
        return out


class _SampleLog:
    """Per-sample rows: one per face found, or one empty row for a sample without a face."""

    def __init__(self):
        self.times: list[float] = []
        self.t: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.detected: list[np.ndarray] = []

    def add(self, t: float, found: Detections, full_search: bool) -> None:
        n = len(found)
        self.times.append(t)
        self.t.append(np.full(max(n, 1), t))
        self.boxes.append(found.boxes if n else np.full((1, 4), np.nan, np.float32))
        self.scores.append(found.scores if n else np.full(1, np.nan, np.float32))
        self.detected.append(np.full(max(n, 1), full_search and n > 0))

    def table(self, probs: np.ndarray, settings: RecordingSettings) -> pa.Table:
        """The rows with emotion probabilities and track ids (tracking runs here, once)."""
        t = np.concatenate(self.t) if self.t else np.zeros(0)
        boxes = np.concatenate(self.boxes) if self.boxes else np.zeros((0, 4), np.float32)
        face = ~np.isnan(boxes[:, 0])
        p = np.full((len(t), len(EMOTIONS)), np.nan, np.float32)
        p[face] = probs
        track = np.full(len(t), -1, np.int64)
        track[face] = track_faces(t[face], boxes[face], max_gap=settings.max_gap,
                                  min_share=settings.min_track_share, n_samples=len(self.times))
        cols = {
            TIME: pa.array(t, pa.float64()),
            "face": pa.array(face),
            "track": pa.array(track, pa.int32()),
            "x": boxes[:, 0], "y": boxes[:, 1], "w": boxes[:, 2], "h": boxes[:, 3],
            "score": np.concatenate(self.scores) if self.scores else np.zeros(0, np.float32),
            "detected": np.concatenate(self.detected) if self.detected else np.zeros(0, bool),
        }
        for k, name in enumerate(EMOTIONS):
            cols[name] = p[:, k]
        return pa.table(cols)


def analyze_recording(
    path: Path,
    classifier: Classifier,
    settings: RecordingSettings = RecordingSettings(),
    on_progress: Callable[[int], None] | None = None,
    crops_dir: Path | None = None,
    threads: int | None = None,
    embedder: Embedder | None = None,
) -> RecordingFaces:
    """Detect, classify and track the faces of one recording (see module docs).

    ``on_progress(n)`` is called with the number of samples processed so far;
    ``crops_dir`` (debugging only) saves every face crop as PNG there; ``threads``: the
    detector's threads, for backends that have the setting (results do not depend on it).
    """
    from moviemotion.video import TruncatedVideoWarning, open_video

    if tuple(classifier.classes) != EMOTIONS:
        raise ModelError(f"the emotion model's classes {tuple(classifier.classes)} are not {EMOTIONS}")
    knobs = dict(settings.detector_knobs)
    if threads:
        knobs.setdefault("threads", threads)  # ignored by backends without the setting
    detector = make_detector(settings.detector, **knobs)
    batcher = _BatchedClassifier(classifier, settings.batch, embedder)
    log = _SampleLog()
    t_decode = t_detect = 0.0
    held = Detections.empty()
    with open_video(path) as video, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TruncatedVideoWarning)
        info = video.info
        frames = video.frames(fps=settings.fps, mode="gray")
        while True:
            t0 = time.perf_counter()
            item = next(frames, None)
            t1 = time.perf_counter()
            t_decode += t1 - t0
            if item is None:
                break
            t, gray = item
            classified = batcher.seconds
            full_search = len(log.times) % settings.detect_every == 0
            if full_search:
                held = _full_search(detector, gray, held)
            elif len(held):
                held = detector.detect_near(gray, held.boxes)
            if len(held):
                crops = crop_faces(gray, held.boxes, margin=settings.crop_margin)
                batcher.add(crops)
                if crops_dir is not None:
                    _save_crops(crops_dir, t, crops)
            t_detect += time.perf_counter() - t1 - (batcher.seconds - classified)
            log.add(t, held, full_search)
            if on_progress is not None and len(log.times) % 8 == 0:
                on_progress(len(log.times))
        probs = batcher.probabilities()
    if on_progress is not None:
        on_progress(len(log.times))
    t0 = time.perf_counter()
    table = log.table(probs, settings)
    embeddings = None
    if embedder is not None:
        tracks = table["track"].to_numpy()
        embeddings = batcher.track_embeddings(tracks[table["face"].to_numpy(zero_copy_only=False)])
    stats = {"samples": len(log.times), "faces": len(probs), "fps": settings.fps, "decode_s": t_decode, "detect_s": t_detect,
             "classify_s": batcher.seconds - batcher.embed_seconds, "track_s": time.perf_counter() - t0,
             "warnings": [str(w.message) for w in caught if issubclass(w.category, TruncatedVideoWarning)]}
    if embedder is not None:
        stats["reidentify_s"] = batcher.embed_seconds
    return RecordingFaces(table, float(info.duration), float(info.fps), info.width, info.height, stats,
                          embeddings)


def _full_search(detector, gray: np.ndarray, held: Detections) -> Detections:
    """Search the whole frame; known faces the search missed get a second look near their box."""
    found = detector.detect(gray)
    if not len(held):
        return found
    lost = held.boxes
    if len(found):
        lost = held.boxes[iou_matrix(held.boxes, found.boxes).max(1) < 0.3]
    if not len(lost):
        return found
    near = detector.detect_near(gray, lost)
    if len(found) and len(near):
        keep = iou_matrix(near.boxes, found.boxes).max(1) < 0.3
        near = Detections(near.boxes[keep], near.scores[keep])
    return Detections(np.concatenate([found.boxes, near.boxes]), np.concatenate([found.scores, near.scores]))


def _save_crops(folder: Path, t: float, crops: np.ndarray) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for k, c in enumerate(crops):
        cv2.imwrite(str(folder / f"t{t:09.3f}_f{k}.png"), c)
