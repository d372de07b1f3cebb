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
   lines), in ``O(K log M)`` with a Fenwick tree of prefix maxima over cue numbers. Then:
   several lines on one cue (or cues on one line) must be consecutive and each a piece of the
   other side (:func:`_contiguous`, :func:`_fragments`), in its own stretch of the cue
   (:func:`_merged_in_order`); a cue must be mostly its lines (:func:`_explained`); a split
   line's cues follow each other on screen (:func:`_split_in_time`, :func:`_adopt`); holes
   are filled monotonically (:func:`_fill`); a cue matching several lines equally well
   ("No.") goes to the line whose place keeps the film's pace (:func:`_repeats`); two lines
   spoken in the other order are found (:func:`_swaps`) so their scene keeps its extent.
3. **The film's pace** (:func:`estimate_pace`): medians over its own matched lines: seconds
   per action word (gaps between two lines of a scene with only action between), per dialogue
   word and line (Theil-Sen over the cue spans), for a scene change, the padding around a cue,
   and the spread of an element's time (robust, from the action gaps).
4. **Scene boundaries.** The screenplay becomes a row of elements (per scene: the heading's
   lead-in, action paragraphs, dialogue lines, the tail) with expected durations from the
   pace. Matched lines are fixed to their cues (+- padding); the free elements between two
   fixed times share the gap by their conditional mean given the gap (each gets its expected
   time plus a share of the surplus in proportion to its variance, noise proportional to
   length). A scene starts between its predecessor's tail and its own lead-in; the scenes tile
   ``[0, duration)``. When shot cuts are known (a movie analysis), the boundaries between
   two fixed times go onto cuts together (:func:`snap_to_cuts`: Viterbi over the cuts near
   each estimate, scoring every piece's length against its expected screen time; a boundary
   may stay off any cut at a cost); then the split of a scene change into tail and lead-in
   is learnt from the boundaries that snapped alone (:meth:`_Layout.lead_share`) and the
   scenes are placed again.

Scenes with matched dialogue are ``placed_by = "dialogue"``, the others ``"between"`` (their
neighbours place them); ``confidence`` is the share of a scene's dialogue lines matched.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz
from scipy.stats import theilslopes

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
    consecutive cues), so one short cue cannot claim lines scattered over a scene. Between
    equal matches (a repeated line) the partner without another match wins."""
    keep = np.ones(chain.size, bool)
    for own, other in ((j, i), (i, j)):
        groups: dict[int, list[int]] = {}
        for n, p in enumerate(chain):
            if keep[n]:
                groups.setdefault(int(own[p]), []).append(n)
        # ties (a repeated line) go to the partner that has no other match in the chain
        partners = np.bincount(other[chain[keep]], minlength=int(other.max()) + 1)
        for members in groups.values():
            if len(members) < 2:
                continue
            best = max(members, key=lambda n: (w[chain[n]], -partners[other[chain[n]]]))
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


def _fragments(chain: np.ndarray, i: np.ndarray, j: np.ndarray, w: np.ndarray,
               line_len: np.ndarray, cue_len: np.ndarray) -> np.ndarray:
    """A line that takes several cues was split: each of its cues must be a piece of it (not
    longer than the line, give or take a rewritten word); a cue that takes several lines merges
    them: each line must be a piece of it. A pair breaking that ("The River!" matched inside a
    long cue next to its own) is dropped, the lightest first, until none is left."""
    keep = np.asarray(chain, np.int64)
    while keep.size:
        a, b = i[keep], j[keep]
        per_line = np.bincount(a, minlength=line_len.size)[a]
        per_cue = np.bincount(b, minlength=cue_len.size)[b]
        slack = 8 + 0.2 * np.minimum(line_len[a], cue_len[b])
        bad = ((per_line > 1) & (cue_len[b] > line_len[a] + slack)) | \
            ((per_cue > 1) & (line_len[a] > cue_len[b] + slack))
        if not bad.any():
            break
        bad_n = np.flatnonzero(bad)
        keep = np.delete(keep, bad_n[np.argmin(w[keep[bad_n]])])
    return keep


def _merged_in_order(chain: np.ndarray, i: np.ndarray, j: np.ndarray, w: np.ndarray,
                     lines: list[str], cues: list[str]) -> np.ndarray:
    """A cue that merges several lines holds each in its own stretch of text: where two of its
    lines are found in the same words (their best-matching stretches overlap by more than
    half the shorter), one pair is a coincidence and is dropped: the one whose line keeps
    another cue (a repeated line, "To retirement." twice: one cue each), else the lighter."""
    by_cue: dict[int, list[int]] = {}
    for p in chain:
        by_cue.setdefault(int(j[p]), []).append(int(p))
    drop: set[int] = set()
    per_line = collections.Counter(int(i[p]) for p in chain)
    for c, ps in by_cue.items():
        if len(ps) < 2:
            continue
        span = {}
        for p in ps:
            al = fuzz.partial_ratio_alignment(lines[i[p]], cues[c])
            span[p] = (al.dest_start, al.dest_end) if al is not None else (0, 0)
        for x, y in sorted(((x, y) for x in ps for y in ps if x < y), key=lambda q: -min(w[q[0]], w[q[1]])):
            if x in drop or y in drop:
                continue
            (a0, a1), (b0, b1) = span[x], span[y]
            overlap = min(a1, b1) - max(a0, b0)
            if overlap > 0.5 * max(1, min(a1 - a0, b1 - b0)):
                # the one whose line keeps another cue goes (a repeated line: one cue each)
                drop.add(min((x, y), key=lambda q: (per_line[i[q]] - 1 == 0, w[q])))
                per_line[i[min(drop & {x, y})]] -= 1
    return np.array([p for p in chain if int(p) not in drop], np.int64)


def _explained(chain: np.ndarray, i: np.ndarray, j: np.ndarray, line_len: np.ndarray,
               cue_len: np.ndarray) -> np.ndarray:
    """A cue must be mostly its lines: a cue more than twice as long as all the lines it
    matched (plus a few characters) holds words no matched line explains, so a short line
    found inside it ("The River!" in "As we get closer to the river...") is a coincidence;
    its pairs are dropped (an unmatched line costs less than a misplaced one)."""
    if chain.size == 0:
        return chain
    covered = np.bincount(j[chain], weights=line_len[i[chain]], minlength=cue_len.size)
    return chain[cue_len[j[chain]] <= 2 * covered[j[chain]] + 8]


#: The longest pause (seconds) between two cues of one split line.
MAX_SPLIT_GAP = 2.0


def _split_in_time(chain: np.ndarray, i: np.ndarray, j: np.ndarray, w: np.ndarray,
                   cue_start: np.ndarray, cue_end: np.ndarray) -> np.ndarray:
    """The cues of a split line follow each other on screen: a line's cues are cut into runs
    at pauses over :data:`MAX_SPLIT_GAP`, and only its heaviest run is kept (a stray piece
    such as "me." far from the rest is someone else's)."""
    drop: set[int] = set()
    by_line: dict[int, list[int]] = {}
    for p in chain:
        by_line.setdefault(int(i[p]), []).append(int(p))
    for ps in by_line.values():
        if len(ps) < 2:
            continue
        ps.sort(key=lambda p: cue_start[j[p]])
        runs, run = [], [ps[0]]
        for a, b in zip(ps[:-1], ps[1:], strict=True):
            if cue_start[j[b]] - cue_end[j[a]] > MAX_SPLIT_GAP:
                runs.append(run)
                run = []
            run.append(b)
        runs.append(run)
        if len(runs) > 1:
            best = max(runs, key=lambda r: sum(w[p] for p in r))
            drop.update(p for r in runs if r is not best for p in r)
    return np.array([p for p in chain if int(p) not in drop], np.int64)


def _adopt(chain: np.ndarray, i: np.ndarray, j: np.ndarray, cue_start: np.ndarray,
           cue_end: np.ndarray) -> np.ndarray:
    """An unmatched cue right after (or before) a cue of line ``L``, within
    :data:`MAX_SPLIT_GAP`, that is a candidate piece of ``L`` is the rest of ``L``'s split
    (the order of the chain is kept)."""
    if chain.size == 0:
        return chain
    pair = {(int(a), int(b)): p for p, (a, b) in enumerate(zip(i, j, strict=True))}
    line_of = {int(j[p]): int(i[p]) for p in chain}
    added = []
    for c in range(int(j.min()), int(j.max()) + 1):
        if c in line_of:
            continue
        for nb, gap in ((c - 1, cue_start[c] - cue_end[c - 1] if c >= 1 else math.inf),
                        (c + 1, cue_start[c + 1] - cue_end[c] if c + 1 < cue_start.size else math.inf)):
            if nb in line_of and gap <= MAX_SPLIT_GAP and (line_of[nb], c) in pair:
                added.append(pair[(line_of[nb], c)])
                break
    if not added:
        return chain
    out = np.concatenate([chain, np.array(added, np.int64)])
    return out[np.lexsort((j[out], i[out]))]


def _fill(chain: np.ndarray, i: np.ndarray, j: np.ndarray, sim: np.ndarray) -> np.ndarray:
    """Fill the holes the checks above left: an unmatched cue between two matched ones takes
    the most similar unmatched line between their lines (the chain stays monotonic)."""
    if chain.size == 0:
        return chain
    chain = chain[np.lexsort((i[chain], j[chain]))]  # by cue
    line_taken = set(int(x) for x in i[chain])
    cue_taken = set(int(x) for x in j[chain])
    by_cue: dict[int, list[int]] = {}
    for p in range(i.size):
        by_cue.setdefault(int(j[p]), []).append(p)
    cj, ci = j[chain], i[chain]
    added = []
    for c, ps in by_cue.items():
        if c in cue_taken:
            continue
        k = int(np.searchsorted(cj, c))
        lo = int(ci[k - 1]) if k > 0 else -1
        hi = int(ci[k]) if k < cj.size else int(i.max()) + 1
        opts = [p for p in ps if lo < i[p] < hi and int(i[p]) not in line_taken]
        if opts:
            best = max(opts, key=lambda p: (sim[p], -abs(int(i[p]) - lo)))
            added.append(best)
            line_taken.add(int(i[best]))
    out = np.concatenate([chain, np.array(added, np.int64)])
    return out[np.lexsort((j[out], i[out]))]


#: The least similarity (``partial_ratio``) of a line to a cue to undo a swap.
SWAP_SIMILARITY = 85.0


def _swaps(chain: np.ndarray, i: np.ndarray, j: np.ndarray, sim: np.ndarray,
           screenplay: Screenplay, n_cues: int) -> list[tuple[int, int, tuple[int, int]]]:
    """Two lines of a scene spoken in the other order: the monotonic chain keeps one of them.
    An unmatched line ``L`` whose neighbour ``M`` (``L +- 1``, same scene) has one cue ``d``,
    and an unmatched cue ``c = d -+ 1`` on the other side of ``d`` matching ``L`` well
    (>= :data:`SWAP_SIMILARITY`), were swapped -- unless ``L`` also matches ``d`` or ``M``
    matches ``c`` (a repeated line, "Scales!" "Scales?": no order to undo). Returns ``(L, c, (pair index of M and d,
    pair index of L and c))``; the layout then gives the earlier line the earlier cue, so the
    pair's extent is right."""
    if chain.size == 0:
        return []
    pair = {(int(a), int(b)): p for p, (a, b) in enumerate(zip(i, j, strict=True))}
    cues: dict[int, list[int]] = {}
    taken = np.zeros(n_cues, bool)
    for p in chain:
        cues.setdefault(int(i[p]), []).append(int(j[p]))
        taken[j[p]] = True
    out = []
    for m, ds in list(cues.items()):
        if len(ds) != 1:
            continue
        d = ds[0]
        for line, cue in ((m + 1, d - 1), (m - 1, d + 1)):
            if not (0 <= line < len(screenplay.lines) and 0 <= cue < n_cues) or line in cues \
                    or taken[cue] or screenplay.lines[line].scene != screenplay.lines[m].scene:
                continue
            q = pair.get((line, cue))
            crossed = max(sim[pair[(line, d)]] if (line, d) in pair else 0.0,
                          sim[pair[(m, cue)]] if (m, cue) in pair else 0.0)
            if q is not None and sim[q] >= SWAP_SIMILARITY and crossed < SWAP_SIMILARITY:
                out.append((line, cue, (pair[(m, d)], q)))
                cues[line] = [cue]
                taken[cue] = True
                break
    return out


def _repeats(chain: np.ndarray, i: np.ndarray, j: np.ndarray, sim: np.ndarray,
             screenplay: Screenplay, cue_start: np.ndarray, cue_end: np.ndarray,
             duration: float) -> np.ndarray:
    """A cue that matches several lines equally well ("Dad?", "No.") goes to the one whose
    place keeps the film's pace: among the unmatched lines between the neighbouring matches
    that match the cue at least as well, the one whose expected time since the previous match
    and until the next (:func:`estimate_pace`) best fits the cue's time (least sum of absolute
    log ratios)."""
    if chain.size == 0:
        return chain
    cues_of_line: list[list[int]] = [[] for _ in screenplay.lines]
    for p in chain:
        cues_of_line[i[p]].append(int(j[p]))
    layout = _layout(screenplay, cues_of_line, cue_start, cue_end)
    cum = np.concatenate([[0.0], np.cumsum(layout.mu)])
    t_start, t_end = cum[layout.line_element], cum[layout.line_element + 1]
    expected_total = cum[-1]
    by_cue: dict[int, list[int]] = {}
    for p in range(i.size):
        by_cue.setdefault(int(j[p]), []).append(p)
    out = [int(p) for p in chain]
    per_line = np.bincount(i[chain], minlength=len(screenplay.lines))
    per_cue = np.bincount(j[chain], minlength=cue_start.size)

    def misfit(seen: float, expected: float) -> float:
        return abs(math.log((max(seen, 0.0) + 1) / (max(expected, 0.0) + 1)))

    for n, p in enumerate(out):
        a, c = int(i[p]), int(j[p])
        if per_line[a] != 1 or per_cue[c] != 1:
            continue  # split or merged: not a repeated short line
        prev_line = int(i[out[n - 1]]) if n else -1
        next_line = int(i[out[n + 1]]) if n + 1 < len(out) else len(screenplay.lines)
        alts = [q for q in by_cue[c] if prev_line < i[q] < next_line and sim[q] >= sim[p]
                and (per_line[i[q]] == 0 or q == p)]
        if len(alts) < 2:
            continue
        seen_before = cue_start[c] - (cue_end[j[out[n - 1]]] if n else 0.0)
        seen_after = (cue_start[j[out[n + 1]]] if n + 1 < len(out) else duration) - cue_end[c]
        e_prev = t_end[prev_line] if n else 0.0
        e_next = t_start[next_line] if n + 1 < len(out) else expected_total

        costs = [misfit(seen_before, t_start[i[q]] - e_prev) + misfit(seen_after, e_next - t_end[i[q]])
                 for q in alts]
        best = alts[int(np.argmin(costs))]
        if best != p:
            per_line[a] -= 1
            per_line[i[best]] += 1
            out[n] = best
    return np.array(out, np.int64)


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
        chain = _contiguous(best_chain(i, j, w, n_cues), i, j, w)
        chain = _fragments(chain, i, j, w, np.array([len(x) for x in lines]),
                           np.array([len(x) for x in cues]))
        chain = _merged_in_order(chain, i, j, w, lines, cues)
        chain = _explained(chain, i, j, np.array([len(x) for x in lines]),
                           np.array([len(x) for x in cues]))
        chain = _split_in_time(chain, i, j, w, cue_start, cue_end)
        chain = _adopt(chain, i, j, cue_start, cue_end)
        chain = _fill(chain, i, j, sim)
        chain = _repeats(chain, i, j, sim, screenplay, cue_start, cue_end, duration)
        for p in chain:
            a, b = int(i[p]), int(j[p])
            cues_of_line[a].append(b)
            if not sim[p] <= similarity[b]:  # NaN or better: this line is the cue's match
                line_of_cue[b], similarity[b] = a, sim[p]
    layout_cues = [list(c) for c in cues_of_line]
    if n_cues and n_lines:
        for a, b, partner in _swaps(chain, i, j, sim, screenplay, n_cues):
            cues_of_line[a].append(b)
            line_of_cue[b], similarity[b] = a, sim[partner[1]]
            (lo, c_lo), (hi, c_hi) = sorted([(a, b), (int(i[partner[0]]), int(j[partner[0]]))])
            layout_cues[lo], layout_cues[hi] = [min(c_lo, c_hi)], [max(c_lo, c_hi)]
    layout = _layout(screenplay, layout_cues, cue_start, cue_end)
    bounds = layout.place(duration, None if cuts is None or not len(cuts)
                          else np.sort(np.asarray(cuts, np.float64)))
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


@dataclass(frozen=True)
class Pace:
    """Expected screen time of what the subtitles don't time: seconds per action word, per
    word and per line of a dialogue line (on top of its words), for a scene change (the end of
    one scene plus the heading of the next) and the padding between a line's screen time and
    its cue (each side)."""

    action_word: float
    speech_word: float
    speech_line: float
    scene_change: float
    padding: float
    noise: float  # relative spread (standard deviation / mean) of an element's screen time


#: The fallback pace, where a film's own matched dialogue gives fewer than
#: :data:`MIN_OBSERVATIONS` observations of a quantity: the "one page, one minute" rule of thumb
#: (~200 words a page) and speech at ~3 words a second.
DEFAULT_PACE = Pace(action_word=0.3, speech_word=0.3, speech_line=0.6, scene_change=1.5,
                    padding=0.1, noise=0.15)
MIN_OBSERVATIONS = 5


def estimate_pace(screenplay: Screenplay, cues_of_line: list[list[int]], cue_start: np.ndarray,
                  cue_end: np.ndarray) -> Pace:
    """The film's own pace, from its matched dialogue, by medians (robust to wrong matches,
    cut lines and rewritten ones):

    * ``padding``: half the median gap between the cues of two matched lines that follow each
      other directly in a scene;
    * ``speech_word``, ``speech_line``: Theil-Sen line (median of pairwise slopes) of a matched
      line's cue span (+ padding) against its words, over lines with cues of their own;
    * ``action_word``: median of (gap - padding) / action words over gaps between two matched
      lines of one scene with only action between them;
    * ``scene_change``: median of (gap - padding - action) over gaps between the last matched
      line of a scene and the first of the next, with only action between them.
    """
    owners: dict[int, int] = {}
    for cs in cues_of_line:
        for c in cs:
            owners[c] = owners.get(c, 0) + 1
    # matched lines in reading order with the action words since the previous matched line
    seq: list[tuple[int, float, float, int, float, bool]] = []  # scene, start, end, words, action
    action, clean = 0.0, True
    for s, scene in enumerate(screenplay.scenes):
        for kind, n_words, idx in scene.items:
            if kind == "action":
                action += n_words
            elif cues_of_line[idx]:
                c = cues_of_line[idx]
                own = all(owners[x] == 1 for x in c)
                seq.append((s, float(cue_start[c].min()), float(cue_end[c].max()), n_words,
                            action if clean else math.nan, own))
                action, clean = 0.0, True
            else:
                clean = False  # an unmatched line in the gap: its time is unknown
    seq_a = np.array([(s, a, b, n, w, own) for s, a, b, n, w, own in seq], np.float64).reshape(-1, 6)
    sc, a, b, n, w, own = seq_a.T
    gap = a[1:] - b[:-1]
    same = (sc[1:] == sc[:-1]) & ~np.isnan(w[1:]) & (gap >= 0)
    nxt = (sc[1:] == sc[:-1] + 1) & ~np.isnan(w[1:]) & (gap >= 0)
    d = DEFAULT_PACE

    def median(x: np.ndarray, default: float) -> float:
        return float(np.median(x)) if x.size >= MIN_OBSERVATIONS else default

    padding = max(0.0, median(gap[same & (w[1:] == 0)], 2 * d.padding) / 2)
    act = same & (w[1:] > 0)
    action_word = max(0.0, median((gap[act] - 2 * padding) / w[1:][act], d.action_word))
    scene_change = max(0.0, median(gap[nxt] - 2 * padding - action_word * w[1:][nxt],
                                   d.scene_change))
    speech_word, speech_line = d.speech_word, d.speech_line
    pick = np.flatnonzero(own > 0)
    if pick.size >= MIN_OBSERVATIONS and np.ptp(n[pick]) > 0:
        pick = pick[:: max(1, pick.size // 800)]  # Theil-Sen is quadratic: at most ~800 lines
        slope, icpt, _, _ = theilslopes(b[pick] - a[pick] + 2 * padding, n[pick])
        if slope > 0:
            speech_word, speech_line = float(slope), max(0.0, float(icpt))
    noise = d.noise
    ratios = (gap[act] - 2 * padding) / w[1:][act]
    if ratios.size >= MIN_OBSERVATIONS and action_word > 0:  # robust spread: 1.4826 MAD
        noise = float(1.4826 * np.median(np.abs(ratios - action_word)) / action_word)
    return Pace(action_word, speech_word, speech_line, scene_change, padding, noise)


class _Layout:
    """The screenplay as a row of elements (per scene: the heading's lead-in, action paragraphs
    and dialogue lines, the scene's tail) with expected durations ``mu``; ``fixed`` boundary
    times come from matched cues (boundary ``k`` is the start of element ``k``)."""

    def __init__(self, mu: np.ndarray, fixed: dict[int, float], heads: np.ndarray,
                 noise: float, line_element: np.ndarray):
        self.mu = mu
        self.noise = noise
        self.line_element = line_element  # element of every dialogue line
        self.var = (noise * mu) ** 2  # timing noise proportional to an element's length
        self.fixed = fixed
        self.heads = heads

    def place(self, duration: float, cuts: np.ndarray | None) -> np.ndarray:
        """Start of every scene (and ``duration`` at the end). With cuts, the scene change's
        split into the tail of one scene and the lead-in of the next (unseen in subtitles)
        is then learnt from the boundaries that snapped alone between two matched lines,
        and the scenes are placed again with it (:meth:`lead_share`)."""
        times, fixed = self._place(duration, cuts)
        if cuts is not None and cuts.size:
            share = self.lead_share(times, fixed)
            if share is not None:
                change = self.mu[self.heads] + self.mu[self.tails]
                self.mu[self.heads], self.mu[self.tails] = change * share, change * (1 - share)
                self.var = (self.noise * self.mu) ** 2
                times, _ = self._place(duration, cuts)
        return np.append(times[self.heads], duration)

    @property
    def tails(self) -> np.ndarray:
        return np.append(self.heads[1:] - 1, self.mu.size - 1)

    def _place(self, duration: float, cuts: np.ndarray | None) -> tuple[np.ndarray, dict[int, float]]:
        n = self.mu.size
        fixed = {k: v for k, v in self.fixed.items() if 0 < k < n}
        fixed[0], fixed[n] = 0.0, duration
        pos = sorted(fixed)
        vals = np.maximum.accumulate(np.clip([fixed[k] for k in pos], 0.0, duration))
        fixed = dict(zip(pos, vals.tolist(), strict=True))
        times = np.zeros(n + 1)
        sigma = np.zeros(n + 1)
        for b1, b2 in zip(pos[:-1], pos[1:], strict=True):
            self._segment(b1, fixed[b1], b2, fixed[b2], times, sigma)
        times[n] = duration
        if cuts is not None and cuts.size:
            self._snap(pos, fixed, times, sigma, cuts)
        return times, fixed

    def lead_share(self, times: np.ndarray, snapped: dict[int, float]) -> float | None:
        """The median share of a scene change that comes after the cut (the next scene's
        lead-in), over scene boundaries that snapped to a cut alone between two fixed
        (matched-line) times: what is left of each side after its expected action and
        dialogue. None with fewer than :data:`MIN_OBSERVATIONS`."""
        anchors = sorted(k for k in self.fixed if 0 < k < self.mu.size)
        obs = []
        for b1, b2 in zip(anchors[:-1], anchors[1:], strict=True):
            heads = self.heads[(self.heads > b1) & (self.heads < b2)]
            if heads.size != 1 or int(heads[0]) not in snapped:
                continue
            h = int(heads[0])
            left = times[h] - self.fixed[b1] - self.mu[b1:h - 1].sum()
            right = self.fixed[b2] - times[h] - self.mu[h + 1:b2].sum()
            if left + right > 0.2:
                obs.append(np.clip(right / (left + right), 0.0, 1.0))
        if len(obs) < MIN_OBSERVATIONS:
            return None
        return float(np.clip(np.median(obs), 0.1, 0.9))

    def _segment(self, b1: int, t1: float, b2: int, t2: float, times: np.ndarray,
                 sigma: np.ndarray) -> None:
        """Share the gap ``[t1, t2]`` between the free elements ``b1 .. b2-1``: each gets its
        expected duration plus a share of the surplus (or shortfall) in proportion to its
        variance (the conditional mean under independent noise proportional to length)."""
        times[b1], sigma[b1] = t1, 0.0
        if b2 <= b1 + 1:
            return
        mu, var = self.mu[b1:b2], self.var[b1:b2]
        gap, total_mu, total_var = t2 - t1, mu.sum(), var.sum()
        if total_mu <= 0:
            x = np.full(mu.size, gap / mu.size)
        else:
            x = mu + var / max(total_var, 1e-12) * (gap - total_mu)
            if (x < 0).any() or total_var <= 0:
                x = mu * gap / total_mu
        cum = np.cumsum(x)[:-1]
        times[b1 + 1:b2] = t1 + cum
        v_before = np.cumsum(var)[:-1]
        sigma[b1 + 1:b2] = np.sqrt(np.maximum(v_before * (total_var - v_before), 0.0)
                                   / max(total_var, 1e-12))

    def _snap(self, pos: list[int], fixed: dict[int, float], times: np.ndarray,
              sigma: np.ndarray, cuts: np.ndarray) -> None:
        """Move the scene boundaries of every gap between two fixed times onto shot cuts, all
        of the gap's boundaries at once (:func:`snap_to_cuts`); boundaries left off a cut
        are then placed again from the snapped ones."""
        for b1, b2 in zip(list(pos[:-1]), list(pos[1:]), strict=True):
            heads = [int(h) for h in self.heads if b1 < h < b2]
            if not heads:
                continue
            edges = np.array([b1, *heads, b2])
            seg_mu = np.add.reduceat(self.mu[: edges[-1]], edges[:-1])  # each piece's sum
            seg_var = np.add.reduceat(self.var[: edges[-1]], edges[:-1])
            chosen = snap_to_cuts(fixed[b1], fixed[b2], times[heads], sigma[heads], seg_mu,
                                  seg_var + CUT_JITTER ** 2, cuts)
            anchors = [b1]
            for h, t in zip(heads, chosen, strict=True):
                if not math.isnan(t):
                    fixed[h], times[h] = float(t), float(t)
                    anchors.append(h)
            anchors.append(b2)
            for a1, a2 in zip(anchors[:-1], anchors[1:], strict=True):
                self._segment(a1, fixed[a1], a2, fixed[a2], times, sigma)


#: Spread (seconds) added to a scene's screen time when it is matched to cuts: the cut's own
#: timing (a frame or two) and the fixed times' padding.
CUT_JITTER = 0.3
#: Log-probability that a scene boundary has no shot cut (a missed or gradual cut).
NO_CUT_LOG_PROB = math.log(0.02)
#: A scene rarely opens on a shot shorter than this (seconds): its first shot establishes
#: the place. A cut followed by another this soon starts a scene with log-probability
#: :data:`SHORT_OPENING_LOG_PROB` (relative to 0 for the others).
MIN_OPENING_SHOT = 2.0
# (the three constants chosen on derived pairs of seeds 50-61, reported on others: docs/script.md)
SHORT_OPENING_LOG_PROB = math.log(0.1)


def snap_to_cuts(t1: float, t2: float, estimate: np.ndarray, spread: np.ndarray,
                 seg_mu: np.ndarray, seg_var: np.ndarray, cuts: np.ndarray,
                 no_cut: float = NO_CUT_LOG_PROB) -> np.ndarray:
    """The cut of each of ``K`` scene boundaries between the fixed times ``t1 < t2``, chosen
    jointly (Viterbi): the increasing choice whose ``K + 1`` pieces (``t1`` to the first
    boundary, ..., the last to ``t2``) best fit their expected screen times (normal,
    ``seg_mu`` and ``seg_var``). Candidates of boundary ``k`` are the cuts within
    ``estimate[k] +- (4 spread[k] + 2)`` s, and the estimate itself at a cost of ``no_cut``
    (log-probability) -- NaN in the result; a cut that would open a scene on a shot shorter
    than :data:`MIN_OPENING_SHOT` costs :data:`SHORT_OPENING_LOG_PROB`. Comparing piece
    lengths, not each boundary's position alone, keeps a row of short scenes from sliding one
    cut along together."""
    k_n = estimate.size
    keep = (cuts > t1 + 0.05) & (cuts < t2 - 0.05)
    inside = cuts[keep]
    following = np.append(cuts, np.inf)[1:][keep]  # the cut after each: the opening shot's end
    opening = np.where(following - inside < MIN_OPENING_SHOT, SHORT_OPENING_LOG_PROB, 0.0)
    cand_t, cand_pen, cand_cut = [], [], []
    for k in range(k_n):
        w = 4 * spread[k] + 2.0
        sel = np.abs(inside - estimate[k]) <= w
        near = inside[sel]
        cand_t.append(np.append(near, estimate[k]))
        cand_pen.append(np.append(opening[sel], no_cut))
        cand_cut.append(np.append(np.ones(near.size, bool), False))
    prev_t, score = np.array([t1]), np.zeros(1)
    back: list[np.ndarray] = []
    for k in range(k_n):
        d = cand_t[k][:, None] - prev_t[None, :]  # (this candidate, previous candidate)
        ll = np.where(d > 0, -0.5 * (d - seg_mu[k]) ** 2 / seg_var[k], -np.inf) + score[None, :]
        j = np.argmax(ll, axis=1)
        score = ll[np.arange(j.size), j] + cand_pen[k]
        back.append(j)
        prev_t = cand_t[k]
    d = t2 - prev_t
    final = np.where(d > 0, -0.5 * (d - seg_mu[k_n]) ** 2 / seg_var[k_n], -np.inf) + score
    out = np.full(k_n, np.nan)
    j = int(np.argmax(final))
    if not np.isfinite(final[j]):
        return out
    for k in range(k_n - 1, -1, -1):
        if cand_cut[k][j]:
            out[k] = cand_t[k][j]
        j = int(back[k][j])
    return out


def _layout(screenplay: Screenplay, cues_of_line: list[list[int]], cue_start: np.ndarray,
            cue_end: np.ndarray) -> _Layout:
    pace = estimate_pace(screenplay, cues_of_line, cue_start, cue_end)
    mu: list[float] = []
    heads: list[int] = []
    line_element = np.zeros(len(screenplay.lines), np.int64)
    starts: dict[int, float] = {}  # element -> its cue start - padding
    ends: dict[int, float] = {}  # element + 1 -> its cue end + padding
    for scene in screenplay.scenes:
        heads.append(len(mu))
        mu.append(pace.scene_change / 2)  # the heading's lead-in
        for kind, n_words, idx in scene.items:
            if kind == "action":
                mu.append(pace.action_word * n_words)
                continue
            line_element[idx] = len(mu)
            c = cues_of_line[idx]
            if c:
                starts[len(mu)] = float(cue_start[c].min()) - pace.padding
                ends[len(mu) + 1] = float(cue_end[c].max()) + pace.padding
            mu.append(pace.speech_word * n_words + pace.speech_line)
        mu.append(pace.scene_change / 2)  # the scene's tail
    fixed: dict[int, float] = {}
    for k in set(starts) | set(ends):
        if k in starts and k in ends:
            if ends[k] <= starts[k] + pace.padding:  # two matched lines meet: the middle
                fixed[k] = (starts[k] + ends[k]) / 2
            # else: one cue holds both lines (merged): the boundary between them is free
        else:
            fixed[k] = starts.get(k, ends.get(k))
    return _Layout(np.array(mu, np.float64), fixed, np.array(heads, np.int64), pace.noise,
                   line_element)
