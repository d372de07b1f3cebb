"""The one metrics module: classification, multilabel, verification, regression, intervals.

Thin, tested wrappers over scikit-learn and SciPy with the conventions this project uses:
fractions in 0-1; a class absent from both truth and prediction scores 0 in macro averages
(``zero_division=0``); a per-class score that is undefined (no positives) is NaN and left out
of the mean.

>>> import numpy as np
>>> accuracy(np.array([0, 1, 1]), np.array([0, 1, 0]))
0.6666666666666666
>>> eer(np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.3, 0.1]))
0.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

# ---- multiclass -----------------------------------------------------------------------------

def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of predictions equal to the truth (NaN for no examples)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, labels: Iterable[int] | None = None) -> float:
    """F1 averaged over ``labels`` (every class counts, absent ones as 0)."""
    from sklearn.metrics import f1_score

    labels = list(labels) if labels is not None else None
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (K, K): rows true class, columns predicted class."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))


@dataclass(frozen=True)
class Scores:
    """Classification scores of one evaluation (fractions in 0-1)."""

    n: int
    accuracy: float
    macro_f1: float
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    confusion: list[list[int]]        # rows: true class, columns: predicted class

    def as_dict(self) -> dict:
        return asdict(self)

    def table(self, classes: Sequence[str]) -> str:
        """scikit-learn's text classification report (rebuilt from the confusion matrix)."""
        return classification_report(self.confusion, classes)


def class_scores(probs: np.ndarray, y: np.ndarray, n_classes: int) -> Scores:
    """:class:`Scores` of class probabilities (or logits) ``probs`` (N, K) against labels ``y``."""
    from sklearn.metrics import precision_recall_fscore_support

    probs, y = np.asarray(probs), np.asarray(y)
    pred = probs.argmax(axis=1) if len(probs) else np.zeros(0, np.int64)
    labels = list(range(n_classes))
    if len(y) == 0:
        zeros = [0.0] * n_classes
        return Scores(0, float("nan"), float("nan"), zeros, zeros, zeros, [0] * n_classes,
                      np.zeros((n_classes, n_classes), int).tolist())
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    return Scores(
        n=int(len(y)), accuracy=accuracy(y, pred), macro_f1=float(np.mean(f)),
        precision=[float(v) for v in p], recall=[float(v) for v in r],
        f1=[float(v) for v in f], support=[int(v) for v in s],
        confusion=confusion(y, pred, n_classes).tolist(),
    )


def classification_report(confusion_counts: Sequence[Sequence[int]], classes: Sequence[str],
                           digits: int = 3) -> str:
    """``sklearn.metrics.classification_report`` of the predictions a confusion matrix counts."""
    from sklearn.metrics import classification_report as report

    cm = np.asarray(confusion_counts, dtype=np.int64)
    k = len(classes)
    y_true = np.repeat(np.repeat(np.arange(k), k), cm.ravel())
    y_pred = np.repeat(np.tile(np.arange(k), k), cm.ravel())
    return report(y_true, y_pred, labels=list(range(k)), target_names=list(classes),
                  digits=digits, zero_division=0)


# ---- multilabel and ranking -----------------------------------------------------------------

def average_precision(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-label average precision (K,) of ``scores`` (N, K) for 0/1 ``y_true`` (N, K);
    NaN for a label without positives."""
    from sklearn.metrics import average_precision_score

    y_true, scores = np.atleast_2d(y_true), np.atleast_2d(scores)
    out = np.full(y_true.shape[1], np.nan)
    for k in range(y_true.shape[1]):
        if y_true[:, k].any():
            out[k] = average_precision_score(y_true[:, k], scores[:, k])
    return out


def mean_average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """mAP: the mean of :func:`average_precision` over labels with positives."""
    ap = average_precision(y_true, scores)
    return float(np.nanmean(ap)) if np.isfinite(ap).any() else float("nan")


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: binary (N,), or the macro mean over labels (N, K) that have
    both positives and negatives. NaN when undefined."""
    from sklearn.metrics import roc_auc_score

    y_true, scores = np.asarray(y_true), np.asarray(scores)
    if y_true.ndim == 1:
        y_true, scores = y_true[:, None], scores[:, None]
    vals = [roc_auc_score(y_true[:, k], scores[:, k]) for k in range(y_true.shape[1])
            if 0 < y_true[:, k].sum() < len(y_true)]
    return float(np.mean(vals)) if vals else float("nan")


def best_thresholds(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-label threshold (K,) that maximizes that label's F1 (0.5 for a label without
    positives). Tune on validation data, apply to test data."""
    from sklearn.metrics import precision_recall_curve

    y_true, scores = np.atleast_2d(y_true), np.atleast_2d(scores)
    out = np.full(y_true.shape[1], 0.5)
    for k in range(y_true.shape[1]):
        if not y_true[:, k].any():
            continue
        p, r, t = precision_recall_curve(y_true[:, k], scores[:, k])
        f1 = 2 * p[:-1] * r[:-1] / np.maximum(p[:-1] + r[:-1], 1e-12)
        out[k] = t[int(np.argmax(f1))]
    return out


def multilabel_f1(y_true: np.ndarray, scores: np.ndarray,
                  thresholds: float | Sequence[float] | None = None) -> dict[str, float]:
    """Micro, macro and per-sample F1 of ``scores >= thresholds`` (one per label or one for
    all; default 0.5)."""
    from sklearn.metrics import f1_score

    y_true, scores = np.atleast_2d(y_true).astype(int), np.atleast_2d(scores)
    t = 0.5 if thresholds is None else np.asarray(thresholds, dtype=float)
    pred = (scores >= t).astype(int)
    if y_true.shape[1] == 1:  # scikit-learn reads one column as binary, without "samples"
        f = float(f1_score(y_true[:, 0], pred[:, 0], zero_division=0))
        return {"micro": f, "macro": f, "samples": float(np.mean(y_true[:, 0] & pred[:, 0]))}
    return {avg: float(f1_score(y_true, pred, average=avg, zero_division=0))
            for avg in ("micro", "macro", "samples")}


# ---- verification (embeddings) --------------------------------------------------------------

def eer(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate of a binary decision by ``scores`` (higher = positive): the point on
    the ROC curve where the false acceptance rate equals the false rejection rate
    (interpolated between the two nearest operating points)."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(y_true), np.asarray(scores))
    fnr = 1 - tpr
    i = int(np.nonzero(fnr <= fpr)[0][0])
    if i == 0:
        return float(fpr[0])
    # Crossing between i-1 (fnr > fpr) and i (fnr <= fpr).
    d0, d1 = fnr[i - 1] - fpr[i - 1], fnr[i] - fpr[i]
    w = d0 / (d0 - d1) if d0 != d1 else 0.0
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))


def tar_at_far(y_true: np.ndarray, scores: np.ndarray, far: float = 1e-2) -> float:
    """True acceptance rate at the largest false acceptance rate not above ``far``."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(y_true), np.asarray(scores))
    ok = fpr <= far
    return float(tpr[ok].max()) if ok.any() else 0.0


def pairs(labels: np.ndarray, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All unordered pairs of examples: (same identity 0/1, cosine similarity)."""
    labels = np.asarray(labels)
    e = np.asarray(embeddings, dtype=np.float64)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    i, j = np.triu_indices(len(labels), k=1)
    return (labels[i] == labels[j]).astype(int), np.einsum("nd,nd->n", e[i], e[j])


def verification_scores(labels: np.ndarray, embeddings: np.ndarray) -> dict[str, float]:
    """ROC AUC, EER and TAR at FAR 1 % / 0.1 % over all pairs of ``embeddings``."""
    same, sim = pairs(labels, embeddings)
    if same.all() or not same.any():
        nan = float("nan")
        return {"roc_auc": nan, "eer": nan, "tar_at_far_1e-2": nan, "tar_at_far_1e-3": nan}
    return {"roc_auc": roc_auc(same, sim), "eer": eer(same, sim),
            "tar_at_far_1e-2": tar_at_far(same, sim, 1e-2),
            "tar_at_far_1e-3": tar_at_far(same, sim, 1e-3)}


# ---- regression ------------------------------------------------------------------------------

def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error over every value."""
    return float(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation (NaN when either side is constant)."""
    from scipy.stats import pearsonr

    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(pearsonr(a, b).statistic)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


# ---- event intervals -------------------------------------------------------------------------

def interval_iou(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    """Intersection over union of two sets of time intervals ``[(start, end), ...]`` (each set
    merged first, so overlaps inside a set count once). 1.0 when both are empty."""
    ma, mb = _merge(a), _merge(b)
    union = _length(_merge(ma + mb))
    if union == 0:
        return 1.0
    inter, i, j = 0.0, 0, 0
    while i < len(ma) and j < len(mb):
        lo, hi = max(ma[i][0], mb[j][0]), min(ma[i][1], mb[j][1])
        inter += max(0.0, hi - lo)
        if ma[i][1] < mb[j][1]:
            i += 1
        else:
            j += 1
    return inter / union


def _merge(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted((float(s), float(e)) for s, e in spans if e > s):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _length(spans: list[tuple[float, float]]) -> float:
    return float(sum(e - s for s, e in spans))
