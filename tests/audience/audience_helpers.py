"""Shared builders for the audience tests: fake per-sample results and a fake classifier."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from moviemotion.audience.recording import RecordingFaces
from moviemotion.emotion.labels import EMOTIONS


def onehot(name: str, strength: float = 0.9) -> np.ndarray:
    """A probability vector with ``strength`` on ``name`` and the rest spread evenly."""
    p = np.full(len(EMOTIONS), (1 - strength) / (len(EMOTIONS) - 1))
    p[EMOTIONS.index(name)] = strength
    return p


def fake_faces(times, probs, track=None, duration=None) -> RecordingFaces:
    """A recording's results: one face per sample (``probs`` row), NaN rows = no face."""
    times = np.asarray(times, float)
    probs = np.asarray(probs, float).reshape(len(times), len(EMOTIONS))
    face = ~np.isnan(probs[:, 0])
    track = np.where(face, 0, -1) if track is None else np.asarray(track)
    box = np.where(face[:, None], [100.0, 100.0, 120.0, 120.0], np.nan)
    cols = {"time": times, "face": face, "track": pa.array(track, pa.int32()),
            "x": box[:, 0], "y": box[:, 1], "w": box[:, 2], "h": box[:, 3],
            "score": np.where(face, 10.0, np.nan), "detected": face}
    for k, e in enumerate(EMOTIONS):
        cols[e] = probs[:, k].astype(np.float32)
    d = float(times.max() + 0.5) if duration is None else duration
    return RecordingFaces(pa.table(cols), d, 10.0, 640, 480, {"samples": len(np.unique(times)),
                                                                "faces": int(face.sum())})


class BrightnessClassifier:
    """A stand-in emotion model: brighter crops read as happier (deterministic, no weights)."""

    classes = EMOTIONS

    def predict(self, faces: np.ndarray) -> np.ndarray:
        m = faces.reshape(len(faces), -1).mean(1) / 255.0
        p = np.full((len(faces), len(EMOTIONS)), 0.05, np.float32)
        p[:, EMOTIONS.index("happy")] += m
        p[:, EMOTIONS.index("neutral")] += 1 - m
        return p / p.sum(1, keepdims=True)


def current_label() -> str:
    """The label of the recording this worker process analyzes ('' outside the pool)."""
    import multiprocessing as mp

    name = mp.current_process().name
    return name.partition(":")[2] if name.startswith("audience-worker:") else ""


class CrashingClassifier(BrightnessClassifier):
    """Kills its own worker process (SIGKILL, like the OOM killer) while analyzing the
    recordings labelled in ``always``, and those in ``once`` on the first try only (a marker
    file in ``marker_dir`` remembers the first try across processes)."""

    def __init__(self, always=(), once=(), marker_dir=None):
        self.always, self.once, self.marker_dir = tuple(always), tuple(once), marker_dir

    def predict(self, faces):
        import os
        import signal
        from pathlib import Path

        label = current_label()
        if label in self.always:
            os.kill(os.getpid(), signal.SIGKILL)
        if label in self.once:
            marker = Path(self.marker_dir) / label
            if not marker.exists():
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        return super().predict(faces)


class SlowClassifier(BrightnessClassifier):
    """Sleeps ``delay`` seconds per batch: a job that lasts long enough to interrupt."""

    def __init__(self, delay=0.3):
        self.delay = delay

    def predict(self, faces):
        import time

        time.sleep(self.delay)
        return super().predict(faces)


class DiesAtStartup(BrightnessClassifier):
    """Ends its worker process while the model loads (a worker that can never start, e.g.
    spawned from a script read on standard input); loads fine in the job's own process."""

    def __init__(self):
        import multiprocessing as mp
        import os

        if mp.parent_process() is not None:
            os._exit(1)
