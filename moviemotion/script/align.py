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
   other side (:func:`_contiguous`, :func:`_fragments`); a cue matching several lines equally
   well ("No.") goes to the line whose place keeps the film's pace (:func:`_repeats`).
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
   ``[0, duration)``. When shot cuts are known (a movie analysis), each boundary gives every
   cut in its gap a probability (a normal prior from the estimate and its conditional
   spread); the surest boundary moves first to its likeliest cut, which, when more likely
   right than wrong, becomes fixed and narrows the gaps of the others.

Scenes with matched dialogue are ``placed_by = "dialogue"``, the others ``"between"`` (their
neighbours place them); ``confidence`` is the share of a scene's dialogue lines matched.
"""

from __future__ import annotations

import bisect
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
        chain = _repeats(chain, i, j, sim, screenplay, cue_start, cue_end, duration)
        for p in chain:
            a, b = int(i[p]), int(j[p])
            cues_of_line[a].append(b)
            if not sim[p] <= similarity[b]:  # NaN or better: this line is the cue's match
                line_of_cue[b], similarity[b] = a, sim[p]
    layout = _layout(screenplay, cues_of_line, cue_start, cue_end)
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
        self.line_element = line_element  # element of every dialogue line
        self.var = (noise * mu) ** 2  # timing noise proportional to an element's length
        self.fixed = fixed
        self.heads = heads

    def place(self, duration: float, cuts: np.ndarray | None) -> np.ndarray:
        """Start of every scene (and ``duration`` at the end)."""
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
        return np.append(times[self.heads], duration)

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
        """Move scene boundaries onto shot cuts, the surest first. A boundary's estimate and
        spread give each cut inside its gap (between fixed times) a probability (a normal
        prior around the estimate); the boundary goes to the likeliest cut. When that cut is
        more likely right than wrong (> 0.5), it becomes fixed, and the boundaries left in the
        gap are placed again from the narrower gaps."""
        todo = {int(h) for h in self.heads[1:] if int(h) not in fixed}
        best: dict[int, tuple[float, float]] = {}  # head -> (probability, cut)

        def choice(h: int) -> tuple[float, float]:
            i = bisect.bisect_left(pos, h)
            lo, hi = fixed[pos[i - 1]], fixed[pos[i]]
            inside = cuts[(cuts >= lo - 0.05) & (cuts <= hi + 0.05)]
            if not inside.size:
                return -1.0, math.nan
            z = (inside - times[h]) / max(sigma[h], 1e-3)
            like = np.exp(-0.5 * (z - z[np.argmin(np.abs(z))]) ** 2)  # scaled: no underflow
            k = int(np.argmax(like))
            return float(like[k] / like.sum()), float(np.clip(inside[k], lo, hi))

        while todo:
            for h in todo:
                if h not in best:
                    best[h] = choice(h)
            h = max(todo, key=lambda k: best[k][0])
            prob, t = best[h]
            if prob <= 0.5:  # no sure snap left: the rest go to their likeliest cut, unfixed
                for k in todo:
                    if best[k][0] >= 0:
                        times[k] = best[k][1]
                return
            todo.remove(h)
            del best[h]
            times[h] = t
            i = bisect.bisect_left(pos, h)
            b1, b2 = pos[i - 1], pos[i]
            pos.insert(i, h)
            fixed[h] = t
            self._segment(b1, fixed[b1], h, t, times, sigma)
            self._segment(h, t, b2, fixed[b2], times, sigma)
            for k in [k for k in best if b1 < k < b2]:
                del best[k]


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
