"""Re-identification of viewers: link face tracks of the same person across long gaps and
between the recordings of one run, by their face embeddings, held in memory only.

:class:`TrackEmbeddings` keeps one running sum of unit embeddings per track (recording label,
track id) and the track's time span: no per-sample vectors, no crops. :func:`link_tracks`
merges tracks greedily, most similar first, into viewers: two tracks join when the cosine
similarity of their mean embeddings reaches ``threshold`` and no two tracks of the new group
overlap in time within one recording (one person is not two faces of one camera at once).

Privacy rule: embeddings are biometric data. Nothing here writes them, and callers must not:
the output of linking is only the viewer index of each track.

>>> acc = TrackEmbeddings()                              # doctest: +SKIP
>>> acc.add(("seat01", 0), 12.5, verifier.embed([crop])[0])
>>> link_tracks(acc.summaries(), threshold=verifier.threshold)   # {("seat01", 0): 0, ...}
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from moviemotion.errors import InputError


@dataclass(frozen=True)
class TrackSummary:
    """One track: its key, time span (s) and mean unit embedding (D,)."""

    key: tuple[Hashable, Hashable]          # (recording label, track id)
    start: float
    end: float
    embedding: np.ndarray
    count: int


class TrackEmbeddings:
    """Running mean embedding and time span per track (memory only; see module docs)."""

    def __init__(self) -> None:
        self._sum: dict[tuple, np.ndarray] = {}
        self._span: dict[tuple, list[float]] = {}
        self._count: dict[tuple, int] = {}

    def add(self, key: tuple[Hashable, Hashable], t: float, embedding: np.ndarray) -> None:
        e = np.asarray(embedding, np.float64).ravel()
        norm = np.linalg.norm(e)
        if not np.isfinite(norm) or norm == 0:
            raise InputError(f"track {key}: embedding at {t:.3f} s is zero or not finite")
        if key in self._sum:
            if self._sum[key].shape != e.shape:
                raise InputError(f"track {key}: embeddings of different sizes")
            self._sum[key] += e / norm
            span = self._span[key]
            span[0], span[1] = min(span[0], t), max(span[1], t)
            self._count[key] += 1
        else:
            self._sum[key], self._span[key], self._count[key] = e / norm, [t, t], 1

    def summaries(self) -> list[TrackSummary]:
        out = []
        for key, s in self._sum.items():
            n = np.linalg.norm(s)
            out.append(TrackSummary(key, *self._span[key], s / max(n, 1e-12), self._count[key]))
        return out

    def clear(self) -> None:
        """Forget every embedding (call when the run is linked)."""
        self._sum.clear()
        self._span.clear()
        self._count.clear()


def link_tracks(tracks: Sequence[TrackSummary], threshold: float) -> dict[tuple, int]:
    """Viewer index (0, 1, ... in order of first appearance) of every track's key."""
    n = len(tracks)
    if n == 0:
        return {}
    if not -1 <= threshold <= 1:
        raise InputError(f"re-identification threshold {threshold!r}: must be in -1..1")
    e = np.stack([t.embedding for t in tracks])
    sim = e @ e.T
    group = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def clash(a: list[int], b: list[int]) -> bool:
        for i in a:
            for j in b:
                ti, tj = tracks[i], tracks[j]
                if ti.key[0] == tj.key[0] and ti.start <= tj.end and tj.start <= ti.end:
                    return True
        return False

    iu, ju = np.triu_indices(n, k=1)
    order = np.argsort(-sim[iu, ju], kind="stable")
    for k in order:
        i, j = int(iu[k]), int(ju[k])
        if sim[i, j] < threshold:
            break
        gi, gj = group[i], group[j]
        if gi == gj or clash(members[gi], members[gj]):
            continue
        # merge only when the groups' mean embeddings also agree (no chaining drift)
        mi = e[members[gi]].mean(0)
        mj = e[members[gj]].mean(0)
        if mi @ mj / max(np.linalg.norm(mi) * np.linalg.norm(mj), 1e-12) < threshold:
            continue
        for m in members[gj]:
            group[m] = gi
        members[gi] += members.pop(gj)
    first = sorted(members, key=lambda g: min(tracks[m].start for m in members[g]))
    index = {g: v for v, g in enumerate(first)}
    return {tracks[i].key: index[group[i]] for i in range(n)}
