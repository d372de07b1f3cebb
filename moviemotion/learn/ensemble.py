"""Ensembles of exported models: the (weighted) mean of their probabilities.

Each member is an ONNX model of the same task (same classes and input); a member exported
with mirror averaging (``export_onnx(..., mirror=True)``) brings its test-time mirror averaging
with it, so the ensemble averages mirror-averaged probabilities. Inference is onnxruntime
only (no torch). An ensemble is scored like one model (``predict`` has the same contract)
and is the teacher of :mod:`moviemotion.learn.distill`.

>>> from moviemotion.learn.ensemble import Ensemble
>>> teacher = Ensemble(["runs/a/model-mirror.onnx", "runs/b/model-mirror.onnx"])  # doctest: +SKIP
>>> teacher.predict(x).shape                        # (N, K), the mean of the members   # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.learn.card import file_sha256
from moviemotion.learn.onnx import Predictor


def average(probabilities: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """The weighted mean (default: plain mean) of several (N, K) probability arrays."""
    if not probabilities:
        raise InputError("an ensemble needs at least one member")
    stack = np.stack([np.asarray(p, np.float64) for p in probabilities])
    w = np.ones(len(stack)) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (len(stack),) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"ensemble weights must be {len(stack)} non-negative numbers, not all 0")
    return np.tensordot(w / w.sum(), stack, axes=1).astype(np.float32)


class Ensemble:
    """Several ONNX models of one task, run as one: ``predict(x)`` is the mean of their
    outputs. ``load(path)`` opens one member (default: :class:`Predictor` with ``threads``;
    e.g. the emotion part's own Predictor). Members must agree on classes and input shape
    (one-line :class:`ModelError` naming the odd file)."""

    def __init__(self, paths: Sequence[str | os.PathLike[str]], threads: int | None = None,
                 weights: Sequence[float] | None = None,
                 load: Callable[[Path], Predictor] | None = None):
        if not paths:
            raise InputError("an ensemble needs at least one model")
        load = load or (lambda p: Predictor(p, threads=threads))
        self.paths = [Path(p) for p in paths]
        self.members = [load(p) for p in self.paths]
        first = self.members[0]
        for m in self.members[1:]:
            if m.classes != first.classes or m.input_shape != first.input_shape:
                raise ModelError(f"{m.path}: classes {m.classes} / input {m.input_shape} differ "
                                 f"from {first.path.name}'s {first.classes} / {first.input_shape}")
        self.weights = weights
        average([np.zeros((1, len(first.classes)))] * len(self.members), weights)  # checks weights
        self.classes, self.input_shape, self.task = first.classes, first.input_shape, first.task

    def __len__(self) -> int:
        return len(self.members)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N, K) float32: the (weighted) mean of the members' outputs for ``x``."""
        return average([m.predict(x) for m in self.members], self.weights)

    def describe(self) -> list[dict]:
        """One record per member: file name, SHA-256, mirror averaging (for cards and caches)."""
        return [{"name": p.name, "sha256": file_sha256(p),
                 "mirror_averaged": m.metadata.get("mirror_averaged") == "true"}
                for p, m in zip(self.paths, self.members, strict=True)]


def greedy_selection(probabilities: Sequence[np.ndarray], score: Callable[[np.ndarray], float],
                     max_members: int) -> tuple[list[int], list[float]]:
    """Forward selection of ensemble members (Caruana et al. 2004, without replacement): start
    from the best single member, then add the member whose mean with the chosen ones scores
    highest, while that improves the score (higher is better) and fewer than ``max_members``
    are chosen. Returns (chosen indices in order, the score after each addition). The scores
    are measured on the data they choose by, so they lean optimistic."""
    if not probabilities:
        raise InputError("an ensemble needs at least one member")
    if max_members < 1:
        raise InputError(f"max_members {max_members}: must be 1 or more")
    probs = [np.asarray(p, np.float64) for p in probabilities]
    singles = [score(p) for p in probs]
    chosen = [int(np.argmax(singles))]
    history = [float(singles[chosen[0]])]
    total = probs[chosen[0]].copy()
    while len(chosen) < min(max_members, len(probs)):
        best, best_score = None, history[-1]
        for i, p in enumerate(probs):
            if i in chosen:
                continue
            s = score((total + p) / (len(chosen) + 1))
            if s > best_score:
                best, best_score = i, s
        if best is None:
            break
        chosen.append(best)
        history.append(float(best_score))
        total += probs[best]
    return chosen, history
