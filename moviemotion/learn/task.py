"""What a model learns: :class:`Task` (input shape, output names, kind, scoring).

A task is plain data (it goes into checkpoints, ONNX metadata and model cards as JSON) and
knows how to score predictions: the kind picks the metrics from :mod:`moviemotion.learn.metrics`.

======================  ==================================  =================================
kind                    ``y_true``                          ``y_pred`` (what the model outputs)
======================  ==================================  =================================
``multiclass``          class index (N,)                    probabilities (N, K), softmax
``multilabel``          0/1 (N, K)                          probabilities (N, K), sigmoid per label
``regression``          targets (N, K) or (N,)              values (N, K)
``embedding``           identity (N,)                       unit vectors (N, D)
======================  ==================================  =================================

>>> t = Task("toy", (1, 8, 8), ("a", "b"), "multiclass")
>>> import numpy as np
>>> t.score(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))["accuracy"]
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from moviemotion.errors import InputError

KINDS = ("multiclass", "multilabel", "regression", "embedding")
#: The metric that picks the best epoch, per kind, and whether higher is better.
PRIMARY = {"multiclass": ("accuracy", True), "multilabel": ("mAP", True),
           "regression": ("mse", False), "embedding": ("eer", False)}


@dataclass(frozen=True)
class Task:
    """A learning problem.

    ``input_shape``: one example without the batch axis: ``(C, H, W)`` for images (raw pixel
    values, 0-255), ``(T, D)`` for sequences, ``(D,)`` for vectors. ``outputs``: class, label
    or target names (for ``embedding``: one name per dimension, see :meth:`embedding`).
    ``mean``/``std``: input normalization baked into the network (a number or one per
    channel). ``augment``: the task's augmentation policy (:mod:`moviemotion.learn.augment`;
None: the architecture recipe's; a training option overrides both).
    ``thresholds``: per-label decision thresholds of a multilabel task (default 0.5).
    """

    name: str
    input_shape: tuple[int, ...]
    outputs: tuple[str, ...]
    kind: str = "multiclass"
    mean: float | tuple[float, ...] = 0.0
    std: float | tuple[float, ...] = 1.0
    augment: str | None = None
    thresholds: tuple[float, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        object.__setattr__(self, "outputs", tuple(str(v) for v in self.outputs))
        if isinstance(self.mean, list | tuple):
            object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        if isinstance(self.std, list | tuple):
            object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if self.thresholds is not None:
            object.__setattr__(self, "thresholds", tuple(float(v) for v in self.thresholds))
        if self.kind not in KINDS:
            raise InputError(f"task {self.name!r}: unknown kind {self.kind!r}; "
                             f"choose one of: {', '.join(KINDS)}")
        if not self.outputs or not self.input_shape or min(self.input_shape) < 1:
            raise InputError(f"task {self.name!r}: needs outputs and a positive input shape")

    @classmethod
    def embedding(cls, name: str, input_shape: Sequence[int], dim: int, **kw: Any) -> Task:
        """An embedding task of ``dim`` dimensions (outputs ``e0 .. e{dim-1}``)."""
        return cls(name, tuple(input_shape), tuple(f"e{i}" for i in range(dim)), "embedding", **kw)

    @property
    def num_outputs(self) -> int:
        return len(self.outputs)

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3

    @property
    def primary(self) -> tuple[str, bool]:
        """(metric that selects the best epoch, higher is better)."""
        return PRIMARY[self.kind]

    def score(self, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
        """Scores of ``y_pred`` (what the exported model outputs) against ``y_true``."""
        from moviemotion.learn import metrics as m

        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if self.kind == "multiclass":
            pred = y_pred.argmax(axis=1)
            return {"accuracy": m.accuracy(y_true, pred),
                    "macro_f1": m.macro_f1(y_true, pred, range(self.num_outputs))}
        if self.kind == "multilabel":
            f1 = m.multilabel_f1(y_true, y_pred, self.thresholds)
            return {"mAP": m.mean_average_precision(y_true, y_pred),
                    "micro_f1": f1["micro"], "macro_f1": f1["macro"], "samples_f1": f1["samples"]}
        if self.kind == "regression":
            t = y_true.reshape(len(y_true), -1)
            p = y_pred.reshape(len(y_pred), -1)
            return {"mse": m.mse(t, p),
                    "pearson": float(np.mean([m.pearson(t[:, k], p[:, k]) for k in range(t.shape[1])])),
                    "spearman": float(np.mean([m.spearman(t[:, k], p[:, k]) for k in range(t.shape[1])]))}
        return m.verification_scores(y_true, y_pred)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"], d["outputs"] = list(self.input_shape), list(self.outputs)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Task:
        keys = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in keys})
