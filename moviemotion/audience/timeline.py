"""Per-sample faces -> per-viewer seconds -> the audience's second-by-second timeline -> peaks.

Time base: movie seconds. Second ``s`` is the half-open bin ``[s, s + 1)`` of movie time,
where ``movie_time = recording_time + offset``. Samples outside ``[0, movie duration)``
are dropped.

Per viewer and second: the mean emotion probabilities over the samples with that
viewer's face, ``coverage`` (share of the recording's samples in that second that show
the face), ``intensity = 1 - p(neutral)``; and relative to the viewer's own **baseline**
(the per-emotion median over a calibration window: the first ``calibration`` seconds of
the viewer, or the whole session when 0) the ``<emotion>_delta`` values,
``intensity_delta`` (total-variation distance from the baseline, 0..1) and ``reaction``
(the emotion that rose most above the baseline, when ``intensity_delta`` reaches
``reaction_threshold``; else ``none``).

Per second for the audience: means over the viewers whose face was seen that second
(``viewers``), the ``dominant`` emotion and ``agreement`` (share of those viewers whose
own dominant emotion is the same), centered moving averages (``*_smooth``), the smoothed
mean rise above baseline (``*_rise``) and the share of viewers reacting with each
emotion (``*_react``). **Peaks** are local maxima of the smoothed
mean rise above baseline of each non-neutral emotion where at least ``peak_min_share``
of the viewers react with that emotion (within the smoothing window, since people react
at slightly different times): moments the room reacts together.

Example
-------
>>> from moviemotion.audience.timeline import TimelineSettings, build_timeline  # doctest: +SKIP
>>> tl = build_timeline([(rec, faces)], movie_duration=120.0, settings=TimelineSettings())
>>> tl.audience["happy_smooth"][:5], tl.peaks
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
from scipy.ndimage import maximum_filter1d, uniform_filter1d
from scipy.signal import find_peaks

from moviemotion.audience.manifest import Recording
from moviemotion.audience.recording import RecordingFaces
from moviemotion.emotion.labels import EMOTIONS, NEUTRAL_INDEX
from moviemotion.errors import InputError
from moviemotion.signals import END, TIME, Signals

E = len(EMOTIONS)
REACTIONS = (*EMOTIONS, "none")
NONE_INDEX = len(EMOTIONS)


@dataclass(frozen=True)
class TimelineSettings:
    """How samples become the timeline (cheap to change: no re-analysis needed)."""

    calibration: float = 0.0
    smooth: float = 3.0
    reaction_threshold: float = 0.15
    peak_min_share: float = 0.5
    peak_min_height: float = 0.1
    peak_distance: float = 3.0

    def __post_init__(self):
        for name, lo, hi in (("calibration", 0.0, MAX_SECONDS), ("smooth", 0.0, MAX_SECONDS),
                             ("reaction_threshold", 0.0, 1.0), ("peak_min_share", 0.0, 1.0),
                             ("peak_min_height", 0.0, 1.0), ("peak_distance", 0.0, MAX_SECONDS)):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and lo <= v <= hi):
                raise InputError(f"--{name.replace('_', '-')} must be a number in {lo:g}..{hi:g}, got {v}")

    def as_dict(self) -> dict:
        return asdict(self)


#: Longest window (s) accepted for smoothing, calibration and peak distance (one day).
MAX_SECONDS = 86400.0


@dataclass
class Timeline:
    """The job's tables as :class:`~moviemotion.signals.Signals` (time column ``time``, movie s):
    ``audience``: one row per movie second; ``viewers``: one row per (viewer, second);
    ``peaks``: events ``[time, end)``, one per peak; ``summaries``: one dict per viewer
    (recording, baseline, coverage...); ``seconds``: the number of movie seconds."""

    viewers: Signals
    audience: Signals
    peaks: Signals
    summaries: list[dict]
    seconds: int


def viewer_id(label: str, track: int) -> str:
    """The anonymous id of a recording's ``track``-th person: ``seat01-v1``, ``seat01-v2``..."""
    return f"{label}-v{track + 1}"


def _bin_mean(bins: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin means of ``values`` (rows, E) grouped by ``bins``; also the per-bin counts."""
    counts = np.bincount(bins, minlength=n).astype(np.float64)
    sums = np.stack([np.bincount(bins, weights=values[:, k], minlength=n) for k in range(values.shape[1])], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None], counts


def _viewer_rows(rec: Recording, faces: RecordingFaces, end: float, s: TimelineSettings,
                 names: dict[tuple[str, int], str] | None = None):
    tab = faces.table
    t = tab[TIME].to_numpy() + rec.offset
    track = tab["track"].to_numpy()
    probs = np.stack([tab[e].to_numpy(zero_copy_only=False) for e in EMOTIONS], 1).astype(np.float64)
    keep = (t >= 0) & (t < end)
    t, track, probs = t[keep], track[keep], probs[keep]
    sample_t = np.unique(t)
    n_bins = int(math.floor(sample_t.max())) + 1 if len(sample_t) else 0
    samples = np.bincount(np.floor(sample_t).astype(np.int64), minlength=n_bins)
    seconds = np.flatnonzero(samples)
    out, summaries = [], []
    for k in np.unique(track[track >= 0]):
        rows = track == k
        tk, pk = t[rows], probs[rows]
        mean, nfaces = _bin_mean(np.floor(tk).astype(np.int64), pk, n_bins)
        window = tk < tk.min() + s.calibration if s.calibration > 0 else np.ones(len(tk), bool)
        baseline = np.median(pk[window], axis=0)
        mean, nfaces = mean[seconds], nfaces[seconds]
        delta = mean - baseline
        dist = 0.5 * np.abs(delta).sum(1)
        has = nfaces > 0
        dominant = np.where(has, np.nan_to_num(mean, nan=-1).argmax(1), -1)
        reaction = np.where(has & (dist >= s.reaction_threshold), np.nan_to_num(delta, nan=-9).argmax(1), NONE_INDEX)
        vid = (names or {}).get((rec.label, int(k))) or viewer_id(rec.label, int(k))
        out.append({
            "viewer": np.full(len(seconds), vid, object),
            "recording": np.full(len(seconds), rec.label, object),
            "second": seconds.astype(np.int64),
            "samples": samples[seconds].astype(np.int64),
            "faces": nfaces.astype(np.int64),
            "coverage": nfaces / samples[seconds],
            "mean": mean, "delta": delta, "dominant": dominant, "reaction": reaction,
            "intensity": 1.0 - mean[:, NEUTRAL_INDEX], "intensity_delta": dist,
        })
        summaries.append({
            "viewer": vid, "recording": rec.label, "source": str(rec.path), "offset": rec.offset,
            "first_second": int(seconds[has].min()) if has.any() else None,
            "last_second": int(seconds[has].max()) if has.any() else None,
            "coverage": float(nfaces.sum() / samples[seconds].sum()),
            "baseline": {e: float(baseline[i]) for i, e in enumerate(EMOTIONS)},
            "baseline_samples": int(window.sum()),
        })
    return out, summaries


def _window(seconds: float, n: int) -> int:
    """The smoothing window in samples; any window longer than ``2 n + 1`` already covers
    the whole timeline from every second, so it is capped there (same result, no huge filter)."""
    return max(1, min(int(round(seconds)), 2 * n + 1))


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centered moving average along axis 0 that skips NaNs (NaN where no data in the window)."""
    if width <= 1:
        return x.copy()
    ok = ~np.isnan(x)
    num = uniform_filter1d(np.where(ok, x, 0.0), width, axis=0, mode="constant")
    den = uniform_filter1d(ok.astype(np.float64), width, axis=0, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-9, num / den, np.nan)


def build_timeline(
    recordings: list[tuple[Recording, RecordingFaces]],
    movie_duration: float | None = None,
    settings: TimelineSettings = TimelineSettings(),
    viewer_names: dict[tuple[str, int], str] | None = None,
) -> Timeline:
    """Aggregate analyzed recordings into per-viewer and audience timelines and peaks.

    ``viewer_names`` ((recording label, track) -> viewer id; ``--reidentify``) gives linked
    tracks of different recordings one id; others get :func:`viewer_id`."""
    end = movie_duration if movie_duration and math.isfinite(movie_duration) else math.inf
    parts, summaries = [], []
    for rec, faces in recordings:
        p, s = _viewer_rows(rec, faces, end, settings, viewer_names)
        parts += p
        summaries += s
    if parts:
        cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    else:
        cat = {"viewer": np.zeros(0, object), "recording": np.zeros(0, object),
               "second": np.zeros(0, np.int64), "samples": np.zeros(0, np.int64),
               "faces": np.zeros(0, np.int64), "coverage": np.zeros(0), "mean": np.zeros((0, E)),
               "delta": np.zeros((0, E)), "dominant": np.zeros(0, np.int64),
               "reaction": np.zeros(0, np.int64), "intensity": np.zeros(0), "intensity_delta": np.zeros(0)}
    n = int(math.ceil(end)) if math.isfinite(end) else (int(cat["second"].max()) + 1 if len(cat["second"]) else 0)
    audience = _aggregate(cat, n, settings)
    viewers = {TIME: cat["second"].astype(np.float64)}
    viewers.update({k: cat[k] for k in ("viewer", "recording", "samples", "faces", "coverage")})
    for i, e in enumerate(EMOTIONS):
        viewers[e] = cat["mean"][:, i]
    viewers["dominant"] = _names(cat["dominant"])
    viewers["intensity"] = cat["intensity"]
    for i, e in enumerate(EMOTIONS):
        viewers[f"{e}_delta"] = cat["delta"][:, i]
    viewers["intensity_delta"] = cat["intensity_delta"]
    viewers["reaction"] = _names(cat["reaction"])
    peaks = _peaks(audience, settings)
    return Timeline(_signals("audience.viewers", "seconds", viewers),
                    _signals("audience", "seconds", audience),
                    _signals("audience.peaks", "events", peaks), summaries, n)


#: Units and column groups of the audience tables (stored in the Parquet metadata).
UNITS = {TIME: "s", END: "s", "viewers": "count", "recorded": "count", "samples": "count",
         "faces": "count", "coverage": "share", "agreement": "share", "share": "share",
         "intensity": "probability", "intensity_delta": "distance", "strength": "probability rise",
         "probability": "probability",
         **{e: "probability" for e in EMOTIONS}, **{f"{e}_smooth": "probability" for e in EMOTIONS},
         **{f"{e}_delta": "probability difference" for e in EMOTIONS},
         **{f"{e}_rise": "probability rise" for e in EMOTIONS},
         **{f"{e}_react": "share" for e in EMOTIONS}}
GROUPS = {"emotions": EMOTIONS, **{g: tuple(f"{e}_{g}" for e in EMOTIONS)
                                    for g in ("delta", "smooth", "rise", "react")}}


def _signals(source: str, kind: str, cols: dict[str, np.ndarray]) -> Signals:
    """Columns -> Signals (text columns as strings, also when empty)."""
    arrays = {k: pa.array(v.tolist(), pa.string()) if v.dtype == object else pa.array(v)
              for k, v in cols.items()}
    table = pa.table(arrays)
    units = {k: u for k, u in UNITS.items() if k in arrays}
    groups = {g: c for g, c in GROUPS.items() if set(c) <= set(arrays)}
    return Signals.from_columns(source, kind, table, units=units, groups=groups,
                                rate=1.0 if kind == "seconds" else None)


def _names(idx: np.ndarray) -> np.ndarray:
    """Class indices -> names; -1 (no face) -> ''."""
    names = np.array([*REACTIONS, ""], object)
    return names[np.where(idx < 0, len(REACTIONS), idx)]


def _aggregate(cat: dict, n: int, s: TimelineSettings) -> dict[str, np.ndarray]:
    sec = cat["second"]
    present = cat["faces"] > 0
    inside = sec < n
    sec_p = sec[present & inside]
    mean, viewers = _bin_mean(sec_p, cat["mean"][present & inside], n)
    delta, _ = _bin_mean(sec_p, cat["delta"][present & inside], n)
    rise, _ = _bin_mean(sec_p, np.clip(cat["delta"][present & inside], 0, None), n)
    scalars, _ = _bin_mean(sec_p, np.stack([cat["intensity"], cat["intensity_delta"]], 1)[present & inside], n)
    cover, recorded = _bin_mean(sec[inside], cat["coverage"][inside, None], n)
    react = np.zeros((n, E))
    np.add.at(react, (sec_p, cat["reaction"][present & inside].clip(0, E - 1)),
              (cat["reaction"][present & inside] < E).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        react = np.where(viewers[:, None] > 0, react / viewers[:, None], np.nan)
    has = viewers > 0
    dom = np.where(has, np.nan_to_num(mean, nan=-1).argmax(1), -1)
    agree = np.bincount(sec_p, weights=(cat["dominant"][present & inside] == dom[sec_p]).astype(float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = np.where(has, agree / viewers, np.nan)
    width = _window(s.smooth, n)
    smooth = _smooth(mean, width)
    out: dict[str, np.ndarray] = {
        TIME: np.arange(n, dtype=np.float64),
        "viewers": viewers.astype(np.int64), "recorded": recorded.astype(np.int64),
        "coverage": cover[:, 0],
    }
    for i, e in enumerate(EMOTIONS):
        out[e] = mean[:, i]
    out["dominant"] = _names(dom)
    out["agreement"] = agreement
    out["intensity"] = scalars[:, 0]
    out["intensity_delta"] = scalars[:, 1]
    for i, e in enumerate(EMOTIONS):
        out[f"{e}_delta"] = delta[:, i]
    for i, e in enumerate(EMOTIONS):
        out[f"{e}_smooth"] = smooth[:, i]
    rise_s = _smooth(rise, width)
    for i, e in enumerate(EMOTIONS):
        out[f"{e}_rise"] = rise_s[:, i]
    for i, e in enumerate(EMOTIONS):
        out[f"{e}_react"] = react[:, i]
    return out


def _peaks(aud: dict[str, np.ndarray], s: TimelineSettings) -> dict[str, np.ndarray]:
    """Peaks as columns: ``time``/``end`` (the peak's movie second ``[s, s + 1)``), emotion,
    strength, share, viewers, probability; sorted by time, then strength (strongest first)."""
    rows = []
    width = _window(s.smooth, len(aud[TIME]))
    for i, e in enumerate(EMOTIONS):
        if i == NEUTRAL_INDEX:
            continue
        sig = np.nan_to_num(aud[f"{e}_rise"], nan=0.0)
        if not len(sig):
            continue
        idx, props = find_peaks(np.r_[0.0, sig, 0.0], height=s.peak_min_height,
                                prominence=s.peak_min_height / 2, distance=max(1, int(round(s.peak_distance))))
        # Viewers react at slightly different times: take the largest share within the window.
        share_near = maximum_filter1d(np.nan_to_num(aud[f"{e}_react"], nan=0.0), width, mode="constant")
        for j in idx - 1:
            share = float(share_near[j])
            if share + 1e-9 < s.peak_min_share:
                continue
            rows.append({TIME: float(j), END: float(j + 1), "emotion": e, "strength": round(float(sig[j]), 4),
                         "share": round(share, 4), "viewers": int(aud["viewers"][j]),
                         "probability": round(float(aud[e][j]), 4)})
    rows.sort(key=lambda r: (r[TIME], -r["strength"]))
    types = {TIME: np.float64, END: np.float64, "emotion": object, "strength": np.float64,
             "share": np.float64, "viewers": np.int64, "probability": np.float64}
    return {k: np.array([r[k] for r in rows], dtype=t) for k, t in types.items()}
