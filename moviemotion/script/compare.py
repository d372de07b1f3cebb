"""Compare two screenings of the same cut, honestly: differences with bootstrap intervals.

For every second and every scene (or window), the difference ``B - A`` of the audience means
of each measure (the 7 emotion probabilities, intensity ``1 - p(neutral)``, valence, arousal).
Its 95 % confidence interval comes from a bootstrap over viewers: ``n_boot`` times, each run's
viewers are drawn with replacement (``viewers.parquet``), the means recomputed per second (a
viewer counts where their face was seen) and the 2.5/97.5 percentiles of the differences
taken. ``significant`` = the interval excludes 0. A scene's value per viewer is the viewer's
mean over the scene's seconds, so a viewer weighs the same in every scene they watched.
"""

from __future__ import annotations

import warnings

import numpy as np

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError
from moviemotion.script.arc import valence_arousal
from moviemotion.script.inputs import AudienceRun

MEASURES = (*EMOTIONS, "intensity", "valence", "arousal")


def viewer_cube(run: AudienceRun, n_seconds: int) -> np.ndarray:
    """``(viewers, seconds, measures)``, NaN where a viewer's face was not seen."""
    v = run.viewers
    if v is None or not len(v):
        raise InputError(f"{run.folder}: no viewers.parquet (needed for intervals over viewers)")
    missing = [e for e in EMOTIONS if e not in v.columns] + ([] if "viewer" in v.columns
                                                             else ["viewer"])
    if missing:
        raise InputError(f"{run.folder / 'viewers.parquet'}: missing columns {', '.join(missing)}")
    ids = v.column("viewer")
    names, idx = np.unique(ids.astype(str), return_inverse=True)
    sec = np.round(v.time).astype(np.int64)
    ok = (sec >= 0) & (sec < n_seconds)
    probs = np.column_stack([np.asarray(v.column(e), np.float64) for e in EMOTIONS])
    val, aro = valence_arousal(probs)
    vals = np.column_stack([probs, 1 - probs[:, EMOTIONS.index("neutral")], val, aro])
    cube = np.full((names.size, n_seconds, len(MEASURES)), np.nan)
    cube[idx[ok], sec[ok]] = vals[ok]
    return cube


def _boot_means(cube: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``counts``: ``(B, V)`` draws per viewer -> ``(B, S, M)`` weighted means."""
    present = ~np.isnan(cube)
    x = np.where(present, cube, 0.0)
    num = np.einsum("bv,vsm->bsm", counts, x)
    den = np.einsum("bv,vsm->bsm", counts, present.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def bootstrap_difference(cube_a: np.ndarray, cube_b: np.ndarray, n_boot: int = 1000,
                         seed: int = 0, level: float = 0.95) -> dict[str, np.ndarray]:
    """``a``, ``b``, ``diff`` (``b - a``), ``low``, ``high``: arrays ``(units, measures)``."""
    rng = np.random.default_rng(seed)

    def draws(n_viewers: int) -> np.ndarray:
        pick = rng.integers(0, n_viewers, size=(n_boot, n_viewers))
        return np.stack([np.bincount(r, minlength=n_viewers) for r in pick]).astype(np.float64)

    a = _boot_means(cube_a, np.ones((1, cube_a.shape[0])))[0]
    b = _boot_means(cube_b, np.ones((1, cube_b.shape[0])))[0]
    da, db = draws(cube_a.shape[0]), draws(cube_b.shape[0])
    q = (1 - level) / 2
    low, high = np.full(a.shape, np.nan), np.full(a.shape, np.nan)
    step = max(1, 4_000_000 // max(n_boot * a.shape[1], 1))  # bounded memory per chunk
    for lo in range(0, a.shape[0], step):
        sl = slice(lo, lo + step)
        diffs = _boot_means(cube_b[:, sl], db) - _boot_means(cube_a[:, sl], da)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low[sl], high[sl] = np.nanpercentile(diffs, [100 * q, 100 * (1 - q)], axis=0)
    return {"a": a, "b": b, "diff": b - a, "low": low, "high": high}


def scene_cube(cube: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per viewer and scene: the viewer's mean over the scene's whole seconds."""
    out = np.full((cube.shape[0], len(start), cube.shape[2]), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k, (a, b) in enumerate(zip(start, end, strict=True)):
            lo, hi = max(int(np.floor(a)), 0), max(int(np.ceil(b)), int(np.floor(a)) + 1)
            out[:, k] = np.nanmean(cube[:, lo:hi], axis=1)
    return out


def long_table(res: dict[str, np.ndarray], keys: dict[str, list]) -> dict[str, list]:
    """One row per unit and measure: ``keys`` columns, ``measure``, ``a``, ``b``, ``diff``,
    ``low``, ``high``, ``significant``."""
    n_units = res["a"].shape[0]
    out: dict[str, list] = {k: [] for k in keys}
    for k in ("measure", "a", "b", "diff", "low", "high", "significant"):
        out[k] = []
    for u in range(n_units):
        for m, name in enumerate(MEASURES):
            for k, vals in keys.items():
                out[k].append(vals[u])
            out["measure"].append(name)
            for k in ("a", "b", "diff", "low", "high"):
                out[k].append(round(float(res[k][u, m]), 6))
            lo, hi = res["low"][u, m], res["high"][u, m]
            out["significant"].append(bool(np.isfinite(lo) and (lo > 0 or hi < 0)))
    return out
