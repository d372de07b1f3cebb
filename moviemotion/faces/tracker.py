"""Turn per-frame face boxes into tracks: one anonymous id per person across a recording.

:class:`IoUTracker` matches each frame's boxes to the live tracks by overlap (IoU), with
a centroid-distance fallback for faces that moved more than their overlap allows, and
keeps a track alive across short gaps (detection misses). :func:`track_faces` runs it
over a whole recording, then drops tracks too short to be a person (false hits) and
joins tracks that never overlap in time but sit at the same place (one seat, a long miss).

Example
-------
>>> import numpy as np
>>> from moviemotion.faces import track_faces
>>> t = np.array([0.0, 0.5, 1.0, 3.0])
>>> boxes = np.array([[100, 100, 80, 80], [102, 101, 80, 80], [104, 100, 80, 80],
...                   [101, 99, 82, 82]], np.float32)
>>> track_faces(t, boxes, max_gap=1.0, min_share=0.0).tolist()
[0, 0, 0, 0]
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4); boxes are x, y, w, h."""
    a = np.asarray(a, np.float64)[:, None, :]
    b = np.asarray(b, np.float64)[None, :, :]
    x1 = np.maximum(a[..., 0], b[..., 0])
    y1 = np.maximum(a[..., 1], b[..., 1])
    x2 = np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2])
    y2 = np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def centre_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of box centres, in units of the mean box size (N, M)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    ca = a[:, None, :2] + a[:, None, 2:] / 2
    cb = b[None, :, :2] + b[None, :, 2:] / 2
    size = (np.sqrt(a[:, None, 2] * a[:, None, 3]) + np.sqrt(b[None, :, 2] * b[None, :, 3])) / 2
    return np.linalg.norm(ca - cb, axis=-1) / np.maximum(size, 1e-9)


class IoUTracker:
    """Online tracker: call :meth:`update` with each frame's boxes in time order.

    Parameters
    ----------
    max_gap: seconds a track survives without a matching detection.
    min_iou: overlap needed to match a box to a track...
    max_centre_distance: ...or a centre this close (in box sizes) when the overlap is lower.
    """

    def __init__(self, max_gap: float = 2.0, min_iou: float = 0.3, max_centre_distance: float = 0.5):
        self.max_gap = max_gap
        self.min_iou = min_iou
        self.max_centre_distance = max_centre_distance
        self._boxes = np.zeros((0, 4), np.float64)  # last box of each track
        self._last_seen = np.zeros(0, np.float64)
        self._ids = np.zeros(0, np.int64)
        self._next_id = 0

    def update(self, t: float, boxes: np.ndarray) -> np.ndarray:
        """Assign a track id to each box seen at time ``t``; returns int64 ``(N,)``."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        alive = (t - self._last_seen) <= self.max_gap + 1e-9
        self._boxes, self._last_seen, self._ids = self._boxes[alive], self._last_seen[alive], self._ids[alive]
        out = np.full(len(boxes), -1, np.int64)
        if len(boxes) and len(self._ids):
            iou = iou_matrix(self._boxes, boxes)
            dist = centre_distance(self._boxes, boxes)
            ok = (iou >= self.min_iou) | (dist <= self.max_centre_distance)
            cost = np.where(ok, 1.0 - iou + 0.1 * dist, 1e6)
            rows, cols = linear_sum_assignment(cost)
            good = ok[rows, cols]
            rows, cols = rows[good], cols[good]
            out[cols] = self._ids[rows]
            self._boxes[rows] = boxes[cols]
            self._last_seen[rows] = t
        new = np.flatnonzero(out < 0)
        if len(new):
            ids = np.arange(self._next_id, self._next_id + len(new))
            self._next_id += len(new)
            out[new] = ids
            self._boxes = np.vstack([self._boxes, boxes[new]])
            self._last_seen = np.concatenate([self._last_seen, np.full(len(new), t)])
            self._ids = np.concatenate([self._ids, ids])
        return out


def track_faces(
    times: np.ndarray,
    boxes: np.ndarray,
    max_gap: float = 2.0,
    min_iou: float = 0.3,
    min_share: float = 0.1,
    n_samples: int | None = None,
) -> np.ndarray:
    """Track ids (0, 1, ... in order of first appearance, then left to right; -1 = dropped).

    ``times`` (N,) are the detections' sample times in non-decreasing order and ``boxes``
    (N, 4) their boxes. Tracks seen in fewer than ``min_share`` of the recording's
    ``n_samples`` samples (default: the number of distinct times) are dropped as false
    hits; tracks that never share a frame and whose mean boxes overlap are joined.
    """
    times = np.asarray(times, np.float64)
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    ids = np.full(len(times), -1, np.int64)
    if not len(times):
        return ids
    tracker = IoUTracker(max_gap=max_gap, min_iou=min_iou)
    starts = np.flatnonzero(np.r_[True, np.diff(times) != 0])
    for s, e in zip(starts, np.r_[starts[1:], len(times)], strict=True):
        ids[s:e] = tracker.update(times[s], boxes[s:e])
    ids = _join_disjoint(times, boxes, ids, min_iou)
    n = n_samples if n_samples is not None else len(starts)
    labels, counts = np.unique(ids, return_counts=True)
    too_short = labels[counts < min_share * n]
    ids[np.isin(ids, too_short)] = -1
    # Renumber the survivors 0, 1, ... by first appearance, left to right within a frame.
    kept = ids >= 0
    if kept.any():
        uniq, first = np.unique(ids[kept], return_index=True)
        order = uniq[np.lexsort((boxes[kept][first, 0], times[kept][first]))]
        remap = np.full(ids.max() + 1, -1, np.int64)
        remap[order] = np.arange(len(order))
        ids[kept] = remap[ids[kept]]
    return ids


def _join_disjoint(times: np.ndarray, boxes: np.ndarray, ids: np.ndarray, min_iou: float) -> np.ndarray:
    """Join tracks that never appear in the same frame and whose median boxes overlap."""
    ids = ids.copy()
    while True:
        labels = np.unique(ids)
        if len(labels) < 2:
            return ids
        med = np.stack([np.median(boxes[ids == k], axis=0) for k in labels])
        iou = iou_matrix(med, med)
        np.fill_diagonal(iou, 0.0)
        joined = False
        for i, j in zip(*np.nonzero(np.triu(iou >= min_iou)), strict=True):
            ti, tj = times[ids == labels[i]], times[ids == labels[j]]
            if not np.intersect1d(ti, tj).size:
                ids[ids == labels[j]] = labels[i]
                joined = True
                break
        if not joined:
            return ids
