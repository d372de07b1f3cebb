"""Evaluation: accuracy, macro-F1, per-class precision/recall and the confusion matrix.

Scores any ``predict(faces) -> probabilities`` function (an ONNX :class:`Predictor`
or a torch network via :func:`torch_predict`) on a split, both on all of it and with
the faces that are byte-identical to a training face removed (FER2013 leaks such
duplicates across splits). Optional test-time augmentation averages the
probabilities of ten views: the face and its mirror, each shifted by 0 or +-2 pixels
(center, left, right, up, down).

>>> from moviemotion.emotion import Predictor
>>> from moviemotion.emotion.data import load
>>> from moviemotion.emotion.evaluate import evaluate
>>> test, train = load("fer.npz", "PublicTest"), load("fer.npz", "Training")  # doctest: +SKIP
>>> result = evaluate(Predictor().predict, test, reference=train)             # doctest: +SKIP
>>> result["full"].accuracy, result["dedup"].accuracy                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from moviemotion.emotion.data import FaceSet, duplicates_of
from moviemotion.emotion.labels import EMOTIONS
from moviemotion.io import atomic_write_json, atomic_write_text
from moviemotion.learn.metrics import Scores, class_scores

PredictFn = Callable[[np.ndarray], np.ndarray]
TTA_SHIFT = 2

__all__ = ["Scores", "evaluate", "predict", "scores", "torch_predict", "tta_views", "write_report"]


def scores(probs: np.ndarray, y: np.ndarray) -> Scores:
    """Scores of class probabilities (or logits) ``probs`` (N, 7) against labels ``y``."""
    return class_scores(probs, y, len(EMOTIONS))


def tta_views(faces: np.ndarray) -> list[np.ndarray]:
    """Ten views of each face: {as is, mirrored} x {center, 4 shifts of 2 px (edge-padded)}."""
    faces = np.asarray(faces)
    k = TTA_SHIFT
    padded = np.pad(faces, ((0, 0), (k, k), (k, k)), mode="edge")
    h, w = faces.shape[1:]
    views = []
    for dy, dx in ((0, 0), (-k, 0), (k, 0), (0, -k), (0, k)):
        shifted = padded[:, k + dy:k + dy + h, k + dx:k + dx + w]
        views += [shifted, shifted[:, :, ::-1]]
    return views


def predict(predict_fn: PredictFn, faces: np.ndarray, tta: bool = False) -> np.ndarray:
    """Probabilities (N, 7); with ``tta`` the mean over :func:`tta_views`."""
    if not tta:
        return predict_fn(faces)
    views = tta_views(faces)
    return np.mean([predict_fn(np.ascontiguousarray(v)) for v in views], axis=0)


def evaluate(predict_fn: PredictFn, test: FaceSet, reference: FaceSet | None = None,
             tta: bool = False) -> dict:
    """Scores on ``test`` ("full") and, given the training set ``reference``, on ``test``
    without faces byte-identical to a training face ("dedup"), plus "duplicates" (count)."""
    probs = predict(predict_fn, test.x, tta=tta)
    out: dict = {"split": test.name, "tta": tta, "full": scores(probs, test.y)}
    if reference is not None:
        dup = duplicates_of(test, reference)
        out["duplicates"] = int(dup.sum())
        if not dup.all():      # a file without splits: every face is its own duplicate
            out["dedup"] = scores(probs[~dup], test.y[~dup])
    return out


def torch_predict(net, device: str = "cpu", batch_size: int = 512) -> PredictFn:
    """A predict function for a torch network taking (N, 1, 48, 48) raw pixels."""
    from moviemotion.emotion.task import EMOTION_TASK
    from moviemotion.learn.train import predict_torch

    def fn(faces: np.ndarray) -> np.ndarray:
        return predict_torch(net, np.asarray(faces), EMOTION_TASK, device, batch_size)

    return fn


def write_report(result: dict, out_dir: str | Path, title: str = "") -> list[Path]:
    """Write ``evaluation.json``, ``classification_report.txt`` and ``confusion_matrix.png``
    (plus ``confusion_matrix_dedup.png`` when de-duplicated scores exist) into ``out_dir``."""
    from moviemotion.learn.plot import write_confusion_png

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    payload = {k: (v.as_dict() if isinstance(v, Scores) else v) for k, v in result.items()}
    payload["classes"] = list(EMOTIONS)
    written.append(atomic_write_json(out_dir / "evaluation.json", payload))
    text = [f"{title}\n" if title else ""]
    for key, label in (("full", "all faces"), ("dedup", "without duplicates of training faces")):
        if key in result:
            text.append(f"{result['split']} ({label}){' with TTA' if result['tta'] else ''}\n")
            text.append(result[key].table(EMOTIONS) + "\n\n")
            name = "confusion_matrix.png" if key == "full" else "confusion_matrix_dedup.png"
            written.append(write_confusion_png(
                out_dir / name, np.asarray(result[key].confusion), EMOTIONS,
                f"{title} {result['split']} ({label}): acc {result[key].accuracy:.1%}".strip()))
    written.append(atomic_write_text(out_dir / "classification_report.txt", "".join(text)))
    return written
