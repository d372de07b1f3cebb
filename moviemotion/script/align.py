"""Place a screenplay's scenes on the movie's timeline by aligning its dialogue to subtitles.

Subtitles carry times, the screenplay carries structure. The alignment is monotonic (the edit
keeps the script's order at the scale of scenes) and tolerant: lines may be cut or rewritten,
cues may merge two lines or split one.

1. **Candidates.** Dialogue lines and cues become word sets (:func:`~moviemotion.script.text.
   normalize`). A sparse product counts the shared words of every (line, cue) pair; pairs that
   share at least half the words of the shorter text are scored with ``rapidfuzz``'s
   ``partial_ratio`` (best matching substring: a split cue matches inside its line, a line
   inside a merged cue) and kept at >= :data:`MIN_SIMILARITY`. A pair's weight is that
   similarity above the threshold times the inverse-document-frequency mass of the shared
   words, so "Yes." anywhere counts little and a rare sentence counts a lot.
2. **Monotonic chain.** Dynamic programming picks the heaviest chain of pairs that is
   non-decreasing in both line and cue order (a line may take several cues, a cue several
   lines), in ``O(K log M)`` with a Fenwick tree of prefix maxima over cue numbers.
3. **Scene boundaries.** Every matched line is anchored to its cues' times. Between two
   anchors the unanchored elements (scene headings, action paragraphs, unmatched lines) share
   the gap in proportion to their expected screen time (:data:`DEFAULT_PACE`): a scene starts
   in the middle of its heading's share. Before the first anchor the film's start, after the last its end,
   close the fill, so the scenes tile ``[0, duration)``. When shot cuts are known (a movie
   analysis), a boundary moves to the nearest cut inside its gap.

Scenes with matched dialogue are ``placed_by = "dialogue"``, the others ``"between"`` (their
neighbours place them); ``confidence`` is the share of a scene's dialogue lines matched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz

from moviemotion.script.screenplay import Screenplay
from moviemotion.script.text import normalize
from moviemotion.signals import Signals

MIN_SIMILARITY = 70.0
MIN_CONTAINMENT = 0.5


@dataclass
class Alignment:
    """``scenes``: events Signals (one row per screenplay scene, tiling the movie);
    ``line_of_cue``: for each subtitle cue the matched screenplay line index (-1: none);
    ``similarity``: that match's ``partial_ratio`` (0..100, NaN when none);
    ``cues_of_line``: for each screenplay line the matched cue indices."""

    scenes: Signals
    line_of_cue: np.ndarray
    similarity: np.ndarray
    cues_of_line: list[list[int]]


def candidate_pairs(lines: list[str], cues: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """``(line index, cue index, similarity, weight)`` of every plausible pair."""
    lt = [sorted(set(t.split())) for t in lines]
    ct = [sorted(set(t.split())) for t in cues]
    vocab: dict[str, int] = {}
    for toks in lt + ct:
        for w in toks:
            vocab.setdefault(w, len(vocab))
    if not vocab:
        return (np.zeros(0, np.int64),) * 2 + (np.zeros(0),) * 2

    def matrix(sets: list[list[str]]) -> sp.csr_matrix:
        rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
        cols = np.array([vocab[w] for s in sets for w in s], np.int64)
        return sp.csr_matrix((np.ones(cols.size), (rows, cols)), shape=(len(sets), len(vocab)))

    ml, mc = matrix(lt), matrix(ct)
    df = np.asarray((ml > 0).sum(0)).ravel() + np.asarray((mc > 0).sum(0)).ravel()
    idf = np.log((len(lt) + len(ct) + 1) / (df + 0.5))
    shared = (ml @ mc.T).tocoo()
    nl = np.array([len(s) for s in lt], np.float64)
    nc = np.array([len(s) for s in ct], np.float64)
    i, j, n = shared.row, shared.col, shared.data
    short = np.minimum(nl[i], nc[j])
    keep = (n / np.maximum(short, 1) >= MIN_CONTAINMENT) & (n >= np.minimum(2, short))
    i, j = i[keep], j[keep]
    mass = np.asarray((ml.multiply(idf[None, :]) @ mc.T)[i, j]).ravel() if i.size else np.zeros(0)
    sim = np.array([fuzz.partial_ratio(lines[a], cues[b]) for a, b in zip(i, j, strict=True)],
                   np.float64)
    ok = sim >= MIN_SIMILARITY
    i, j, sim, mass = i[ok], j[ok], sim[ok], mass[ok]
    weight = (sim - MIN_SIMILARITY + 1) / (101 - MIN_SIMILARITY) * mass
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), sim[order], weight[order]


def best_chain(i: np.ndarray, j: np.ndarray, weight: np.ndarray, n_cues: int) -> np.ndarray:
    """Indices (into the pairs, sorted by line then cue) of the heaviest chain that is
    non-decreasing in both line and cue order."""
    k = i.size
    if k == 0:
        return np.zeros(0, np.int64)
    tree_v = [0.0] * (n_cues + 1)
    tree_p = [-1] * (n_cues + 1)
    best = np.zeros(k)
    parent = np.full(k, -1, np.int64)
    jj = (j + 1).tolist()
    ww = weight.tolist()
    for p in range(k):
        x, v, arg = jj[p], 0.0, -1
        while x > 0:  # prefix max over cue numbers <= j
            if tree_v[x] > v:
                v, arg = tree_v[x], tree_p[x]
            x -= x & -x
        b = v + ww[p]
        best[p], parent[p] = b, arg
        x = jj[p]
        while x <= n_cues:
            if b > tree_v[x]:
                tree_v[x], tree_p[x] = b, p
            x += x & -x
    chain = []
    p = int(np.argmax(best))
    while p >= 0:
        chain.append(p)
        p = int(parent[p])
    return np.array(chain[::-1], np.int64)


def _contiguous(chain: np.ndarray, i: np.ndarray, j: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Keep merges and splits honest: a cue shared by several lines keeps only the run of
    consecutive lines around its heaviest match (and a line shared by several cues the run of
    consecutive cues), so one short cue cannot claim lines scattered over a scene."""
    keep = np.ones(chain.size, bool)
    for own, other in ((j, i), (i, j)):
        groups: dict[int, list[int]] = {}
        for n, p in enumerate(chain):
            if keep[n]:
                groups.setdefault(int(own[p]), []).append(n)
        for members in groups.values():
            if len(members) < 2:
                continue
            best = max(members, key=lambda n: w[chain[n]])
            vals = {n: int(other[chain[n]]) for n in members}
            run = {vals[best]}
            grow = True
            while grow:
                grow = False
                for n in members:
                    if vals[n] not in run and (vals[n] - 1 in run or vals[n] + 1 in run):
                        run.add(vals[n])
                        grow = True
            for n in members:
                keep[n] = vals[n] in run
    return chain[keep]


def align(screenplay: Screenplay, subtitles: Signals | None, duration: float,
          cuts: np.ndarray | None = None) -> Alignment:
    """Place ``screenplay``'s scenes on ``[0, duration)`` (see the module docstring)."""
    n_lines = len(screenplay.lines)
    n_cues = len(subtitles) if subtitles is not None else 0
    cues_of_line: list[list[int]] = [[] for _ in range(n_lines)]
    line_of_cue = np.full(n_cues, -1, np.int64)
    similarity = np.full(n_cues, np.nan)
    cue_start = subtitles.time if n_cues else np.zeros(0)
    cue_end = subtitles.end if n_cues else np.zeros(0)
    if n_cues and n_lines:
        lines = [normalize(x.text) for x in screenplay.lines]
        cues = [normalize(str(t)) for t in subtitles.column("text")]
        i, j, sim, w = candidate_pairs(lines, cues)
        for p in _contiguous(best_chain(i, j, w, n_cues), i, j, w):
            a, b = int(i[p]), int(j[p])
            cues_of_line[a].append(b)
            if not sim[p] <= similarity[b]:  # NaN or better: this line is the cue's match
                line_of_cue[b], similarity[b] = a, sim[p]
    # Elements in reading order: (scene index, features, anchor start, anchor end, is heading)
    # features: heading, action words, action paragraphs, unmatched words, unmatched lines
    elems: list[tuple[int, np.ndarray, float, float, bool]] = []
    for s, scene in enumerate(screenplay.scenes):
        elems.append((s, np.array([1.0, 0, 0, 0, 0]), math.nan, math.nan, True))
        for kind, n_words, idx in scene.items:
            if kind == "dialogue" and cues_of_line[idx]:
                c = cues_of_line[idx]
                elems.append((s, np.zeros(5), float(cue_start[c].min()), float(cue_end[c].max()),
                              False))
            elif kind == "dialogue":
                elems.append((s, np.array([0, 0, 0, n_words, 1.0]), math.nan, math.nan, False))
            else:
                elems.append((s, np.array([0, n_words, 1.0, 0, 0]), math.nan, math.nan, False))
    elems = [(s, float(f @ DEFAULT_PACE), a, b, h) for s, f, a, b, h in elems]
    starts = _fill(elems, duration)
    heads = [k for k, e in enumerate(elems) if e[4]]
    bounds = np.array([starts[k] for k in heads] + [duration])
    bounds[0] = 0.0
    if cuts is not None and len(cuts):
        bounds = _snap(bounds, elems, heads, starts, np.sort(np.asarray(cuts, np.float64)))
    bounds = np.maximum.accumulate(np.clip(bounds, 0.0, duration))
    n_scene = len(screenplay.scenes)
    total = np.array([len(sc.line_indices) for sc in screenplay.scenes], np.int64)
    matched = np.array([sum(1 for i in sc.line_indices if cues_of_line[i]) for sc in
                        screenplay.scenes], np.int64)
    conf = np.where(total > 0, matched / np.maximum(total, 1), 0.0)
    placed = ["dialogue" if m else ("between" if n_cues else "proportional") for m in matched]
    table = Signals.from_columns("scenes", "events", {
        "time": bounds[:n_scene], "end": bounds[1:n_scene + 1],
        "scene": np.array([sc.number for sc in screenplay.scenes], np.int64),
        "heading": [sc.heading for sc in screenplay.scenes],
        "placed_by": placed, "confidence": np.round(conf, 4),
        "dialogue_lines": total, "matched_lines": matched,
    }, units={"time": "s", "end": "s", "confidence": "share"})
    return Alignment(table, line_of_cue, similarity, cues_of_line)


#: Seconds per heading, action word, action paragraph, unmatched dialogue word and unmatched
#: line: the "one page, one minute" rule of thumb (~200 words a page) and speech at ~3 words
#: a second. Only their ratios matter (they split gaps whose length the anchors fix).
DEFAULT_PACE = np.array([1.0, 0.3, 0.0, 0.3, 0.6])


def _fill(elems: list[tuple[int, float, float, float, bool]], duration: float) -> list[float]:
    """Start time of every element: anchors keep their cue start; the free elements between
    two anchors share the gap in proportion to their weights."""
    starts = [math.nan] * len(elems)
    anchors = [k for k, e in enumerate(elems) if not math.isnan(e[2])]
    # sentinels: the film's start and end
    prev_k, prev_t = -1, 0.0
    for k in anchors + [len(elems)]:
        next_t = elems[k][2] if k < len(elems) else duration
        free = list(range(prev_k + 1, k))
        lo, hi = prev_t, max(next_t, prev_t)
        if k < len(elems) and next_t < prev_t:  # overlapping anchors: meet in the middle
            lo = hi = (prev_t + next_t) / 2
        weights = np.array([elems[f][1] for f in free], np.float64)
        if free:
            cum = np.concatenate([[0.0], np.cumsum(weights)[:-1]])
            total = weights.sum()
            # a heading is a cut: the boundary sits in the middle of its share
            cum = cum + np.array([weights[n] / 2 if elems[f][4] else 0.0
                                  for n, f in enumerate(free)])
            for f, c in zip(free, cum, strict=True):
                starts[f] = lo + (hi - lo) * (c / total if total > 0 else 0.5)
        if k < len(elems):
            starts[k] = elems[k][2]
            prev_k, prev_t = k, max(prev_t, elems[k][3])
    return starts


def _snap(bounds: np.ndarray, elems, heads: list[int], starts: list[float],
          cuts: np.ndarray) -> np.ndarray:
    """Move each inner scene boundary to the nearest cut inside its gap between anchors."""
    out = bounds.copy()
    a_start = np.array([e[2] for e in elems], np.float64)
    a_end = np.array([e[3] for e in elems], np.float64)
    # latest anchor end before each element, earliest anchor start after it
    before = np.concatenate([[0.0], np.fmax.accumulate(np.nan_to_num(a_end, nan=0.0))[:-1]])
    after = np.concatenate([np.fmin.accumulate(np.nan_to_num(a_start, nan=np.inf)[::-1])[::-1][1:],
                            [np.inf]])
    for s in range(1, len(heads)):
        k = heads[s]
        lo, hi = before[k], after[k]
        inside = cuts[(cuts >= lo - 0.05) & (cuts <= hi + 0.05)]
        if inside.size:
            out[s] = inside[np.argmin(np.abs(inside - bounds[s]))]
    return out
