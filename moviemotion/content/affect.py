"""Trainable affect heads on the movie's per-second features: valence and arousal per second
(regression) and fear intervals (per-second fear probability, thresholded into intervals),
with loaders for the MediaEval 2018 "Emotional Impact of Movies" annotations.

**Annotation files** (LIRIS-ACCEDE continuous part, MediaEval 2018; one pair per movie,
named ``<MOVIE>_Valence-Arousal.txt`` and ``<MOVIE>_Fear.txt``):

* ``*_Valence-Arousal.txt``: a header line, then one line per second of the movie, tab (or
  space) separated: ``Time  Valence  Arousal`` (time in s; valence and arousal in -1..1).
  Files with a leading id column (``Id  Time  Valence  Arousal``, the 2017 layout) are read too.
* ``*_Fear.txt``: an optional header line, then one fear interval per line, its start and end
  time in seconds (the last two numbers of the line; a leading id column is ignored). A movie
  without fear has no interval lines.

**Features** (:func:`feature_matrix`): the numeric per-second columns of the movie table named
in the model (e.g. ``motion``, ``brightness``, ``colorfulness``, ``loudness_momentary``,
``cut_rate``, ``faces``, ``arousal``), each also averaged over a centred window of
``2 * context + 1`` seconds (affect changes slowly); missing values take the training mean;
standardized with the training mean and deviation (stored in the model).

**Heads** (trained with the kit, :mod:`moviemotion.learn`): ``valence_arousal`` (kind
``regression``, outputs valence, arousal; scored with Pearson's r and MSE per second) and
``fear`` (kind ``multilabel`` with one label: the probability that a second is frightening;
the threshold chosen on validation; intervals are runs of seconds above it, scored with the
interval IoU of MediaEval 2018). No heads are shipped (no training data here): the ``affect``
analyzer runs heads given as ``model`` (a folder holding ``valence_arousal.onnx`` and/or
``fear.onnx`` made by :func:`train_affect`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.content.base import ANALYZERS, DerivedAnalyzer
from moviemotion.errors import InputError, ModelError
from moviemotion.io import read_text
from moviemotion.signals import Signals
from moviemotion.video.source import PassInfo

#: Per-second columns used as features by default (those present are used).
DEFAULT_FEATURES = ("motion", "brightness", "colorfulness", "loudness_momentary",
                    "loudness_short_term", "cut_rate", "shot_length", "faces", "face_size",
                    "arousal")
HEADS = ("valence_arousal", "fear")
#: The learned arousal's column (``arousal`` is the Hanjalic-Xu curve of the arousal analyzer).
LEARNED_AROUSAL = "arousal_learned"
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _numeric_lines(path: Path) -> list[list[float]]:
    text = read_text(path, "annotation file")
    rows: list[list[float]] = []
    for i, line in enumerate(text.splitlines(), 1):
        fields = [f for f in re.split(r"[\s,;]+", line.strip()) if f]
        if not fields:
            continue
        if not all(_NUMBER.match(f) for f in fields):
            if i == 1 or not rows and all(not _NUMBER.match(f) for f in fields):
                continue  # the header
            raise InputError(f"{path}: line {i}: expected numbers, got {line.strip()[:60]!r}")
        rows.append([float(f) for f in fields])
    return rows


def read_valence_arousal(path: str | os.PathLike[str]) -> Signals:
    """A ``*_Valence-Arousal.txt`` file -> per-second table (``valence``, ``arousal``)."""
    path = Path(path)
    rows = _numeric_lines(path)
    if not rows:
        raise InputError(f"{path}: no valence/arousal lines")
    widths = {len(r) for r in rows}
    if len(widths) != 1 or widths.pop() not in (3, 4):
        raise InputError(f"{path}: expected 3 columns (Time Valence Arousal) on every line")
    a = np.asarray(rows)[:, -3:]
    t = a[:, 0]
    if np.any(np.diff(t) <= 0):
        raise InputError(f"{path}: times are not increasing")
    if not np.isfinite(a).all():
        raise InputError(f"{path}: values that are not finite numbers")
    return Signals.from_columns("annotations", "seconds",
                                {"time": np.floor(t + 1e-9), "valence": a[:, 1], "arousal": a[:, 2]},
                                units={"valence": "-1..1", "arousal": "-1..1"})


def read_fear(path: str | os.PathLike[str]) -> Signals:
    """A ``*_Fear.txt`` file -> events table (``time`` = start, ``end``) of fear intervals."""
    path = Path(path)
    rows = _numeric_lines(path)
    if any(len(r) < 2 for r in rows):
        raise InputError(f"{path}: each fear line needs a start and an end time")
    a = np.asarray([r[-2:] for r in rows], np.float64).reshape(-1, 2)
    if len(a) and (not np.isfinite(a).all() or np.any(a[:, 1] <= a[:, 0]) or np.any(a < 0)):
        raise InputError(f"{path}: a fear interval whose end is not after its start")
    order = np.argsort(a[:, 0], kind="stable")
    return Signals.from_columns("fear", "events", {"time": a[order, 0], "end": a[order, 1]},
                                units={"time": "s", "end": "s"})


def load_mediaeval(folder: str | os.PathLike[str]) -> dict[str, dict[str, Signals]]:
    """Every movie of an annotation folder: ``{movie: {"va": ..., "fear": ...}}`` (files
    ``<movie>_Valence-Arousal.txt`` / ``<movie>_Fear.txt``, searched recursively)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of MediaEval annotation files")
    out: dict[str, dict[str, Signals]] = {}
    for p in sorted(folder.rglob("*.txt")):
        for suffix, key, reader in (("_Valence-Arousal.txt", "va", read_valence_arousal),
                                    ("_Fear.txt", "fear", read_fear)):
            if p.name.endswith(suffix):
                out.setdefault(p.name[:-len(suffix)], {})[key] = reader(p)
    if not out:
        raise InputError(f"{folder}: no *_Valence-Arousal.txt or *_Fear.txt files")
    return out


def fear_seconds(fear: Signals, n: int) -> np.ndarray:
    """1 for each second ``[k, k+1)`` that lies at least half inside a fear interval."""
    covered = np.zeros(n)
    for s, e in zip(fear.time, fear.end, strict=True):
        k = np.arange(n)
        covered += np.clip(np.minimum(k + 1, e) - np.maximum(k, s), 0, 1)
    return (covered >= 0.5).astype(np.float32)


def seconds_to_intervals(flags: np.ndarray, min_s: int = 1) -> list[tuple[float, float]]:
    """Runs of true seconds -> ``[(start, end), ...]`` in seconds (runs shorter than ``min_s``
    seconds dropped)."""
    f = np.concatenate([[0], np.asarray(flags, bool).astype(np.int8), [0]])
    starts, ends = np.flatnonzero(np.diff(f) == 1), np.flatnonzero(np.diff(f) == -1)
    return [(float(s), float(e)) for s, e in zip(starts, ends, strict=True) if e - s >= min_s]


def _window_mean(x: np.ndarray, context: int) -> np.ndarray:
    if context <= 0:
        return x
    k = np.ones(2 * context + 1)
    num = np.apply_along_axis(lambda c: np.convolve(c, k, mode="same"), 0, x)
    den = np.convolve(np.ones(len(x)), k, mode="same")[:, None]
    return num / den


def raw_features(seconds: Signals, columns: Sequence[str], context: int) -> np.ndarray:
    """(n, 2 * len(columns)) per-second values and their windowed means (NaN where missing)."""
    missing = [c for c in columns if c not in seconds.columns]
    if missing:
        raise InputError(f"the movie table lacks column(s) {', '.join(missing)} that the affect "
                         "model reads; run the analyzers that make them")
    x = np.column_stack([np.asarray(seconds[c], np.float64) for c in columns]) if columns \
        else np.zeros((len(seconds), 0))
    filled = np.where(np.isnan(x), np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0), x) \
        if len(x) else x
    filled = np.nan_to_num(filled)
    return np.hstack([np.where(np.isnan(x), np.nan, x), _window_mean(filled, context)])


@dataclass
class FeatureSpec:
    """Which columns, how much context, and the standardization (stored in the model)."""

    columns: tuple[str, ...]
    context: int
    mean: np.ndarray
    std: np.ndarray

    def matrix(self, seconds: Signals) -> np.ndarray:
        x = raw_features(seconds, self.columns, self.context)
        x = np.where(np.isnan(x), self.mean, x)
        return ((x - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "context": self.context,
                "mean": np.round(self.mean, 7).tolist(), "std": np.round(self.std, 7).tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureSpec:
        return cls(tuple(d["columns"]), int(d["context"]), np.asarray(d["mean"], np.float64),
                   np.asarray(d["std"], np.float64))

    @classmethod
    def fit(cls, tables: Sequence[Signals], columns: Sequence[str], context: int) -> FeatureSpec:
        x = np.vstack([raw_features(t, columns, context) for t in tables])
        mean = np.nan_to_num(np.nanmean(x, axis=0)) if len(x) else np.zeros(x.shape[1])
        std = np.nan_to_num(np.nanstd(x, axis=0))
        return cls(tuple(columns), int(context), mean, np.where(std > 1e-9, std, 1.0))


def feature_matrix(seconds: Signals, spec: FeatureSpec) -> np.ndarray:
    """The standardized feature matrix (n, D) of a per-second movie table."""
    return spec.matrix(seconds)


def _targets(movie: str, ann: Mapping[str, Signals], n: int) -> tuple[np.ndarray, np.ndarray]:
    va = np.full((n, 2), np.nan, np.float32)
    if "va" in ann:
        v = ann["va"]
        k = v.time.astype(np.int64)
        ok = (k >= 0) & (k < n)
        va[k[ok], 0], va[k[ok], 1] = v["valence"][ok], v["arousal"][ok]
    fear = fear_seconds(ann["fear"], n) if "fear" in ann else np.full(n, np.nan, np.float32)
    return va, fear


def train_affect(movies: Mapping[str, Signals], annotations: Mapping[str, Mapping[str, Signals]],
                 run_dir: str | os.PathLike[str], val_movies: Sequence[str], *,
                 columns: Sequence[str] | None = None, context: int = 5, epochs: int = 40,
                 hidden: Sequence[int] = (64, 32), seed: int = 0, quiet: bool = True,
                 command: str = "") -> dict[str, Any]:
    """Train the two heads on per-second movie tables (``movies``: movie id -> the movie
    table of ``moviemotion movie``) and their annotations (:func:`load_mediaeval`), holding
    out ``val_movies``. Writes ``run_dir/valence_arousal/`` and ``run_dir/fear/`` (kit run
    folders with ``model.onnx``) and returns the validation scores: Pearson and MSE per
    dimension, fear AP and interval IoU."""
    from moviemotion.learn import metrics
    from moviemotion.learn.task import Task
    from moviemotion.learn.train import TrainConfig, train

    run_dir = Path(run_dir)
    ids = [m for m in movies if m in annotations]
    if not ids:
        raise InputError("no movie has both a feature table and annotations")
    val = [m for m in ids if m in set(val_movies)]
    tr = [m for m in ids if m not in set(val_movies)]
    if not val or not tr:
        raise InputError("need at least one training and one validation movie")
    columns = tuple(columns or [c for c in DEFAULT_FEATURES if all(c in movies[m].columns for m in ids)])
    if not columns:
        raise InputError("no feature columns shared by every movie table")
    spec = FeatureSpec.fit([movies[m] for m in tr], columns, context)

    def stack(names):
        xs, vas, fears, owner = [], [], [], []
        for m in names:
            x = spec.matrix(movies[m])
            va, fear = _targets(m, annotations[m], len(x))
            xs.append(x)
            vas.append(va)
            fears.append(fear)
            owner += [m] * len(x)
        return np.vstack(xs), np.vstack(vas), np.concatenate(fears), np.asarray(owner)

    x_tr, va_tr, f_tr, _ = stack(tr)
    x_va, va_va, f_va, own_va = stack(val)
    extra = {"features": spec.to_dict()}
    scores: dict[str, Any] = {"train_movies": tr, "val_movies": val, "features": list(columns)}
    base = dict(arch="mlp", arch_args={"hidden": tuple(hidden)}, epochs=epochs, seed=seed,
                threads=1, command=command, data="MediaEval 2018 annotations")
    ok_tr, ok_va = ~np.isnan(va_tr).any(1), ~np.isnan(va_va).any(1)
    if ok_tr.any() and ok_va.any():
        task = Task("valence_arousal", (x_tr.shape[1],), ("valence", "arousal"), "regression",
                    augment="none", extra=extra)
        train(task, TrainConfig(**base), run_dir / "valence_arousal", (x_tr[ok_tr], va_tr[ok_tr]),
              (x_va[ok_va], va_va[ok_va]), quiet=quiet)
        pred = AffectHeads(run_dir / "valence_arousal" / "model.onnx").predict_matrix(x_va[ok_va])
        for k, name in enumerate(("valence", "arousal")):
            scores[name] = {"pearson": metrics.pearson(va_va[ok_va][:, k], pred[:, k]),
                            "mse": metrics.mse(va_va[ok_va][:, k], pred[:, k])}
    ok_tr, ok_va = ~np.isnan(f_tr), ~np.isnan(f_va)
    if ok_tr.any() and ok_va.any() and f_tr[ok_tr].max() > 0:
        task = Task("fear", (x_tr.shape[1],), ("fear",), "multilabel", augment="none", extra=extra)
        train(task, TrainConfig(**base), run_dir / "fear", (x_tr[ok_tr], f_tr[ok_tr, None]),
              (x_va[ok_va], f_va[ok_va, None]), quiet=quiet)
        heads = AffectHeads(run_dir / "fear" / "model.onnx")
        prob = heads.predict_matrix(x_va)[:, 0]
        ious = []
        for m in val:
            rows = own_va == m
            truth = annotations[m]["fear"] if "fear" in annotations[m] else None
            if truth is None:
                continue
            found = seconds_to_intervals(prob[rows] >= heads.fear_threshold)
            ious.append(metrics.interval_iou(list(zip(truth.time, truth.end, strict=True)), found))
        scores["fear"] = {"ap": float(metrics.average_precision(f_va[ok_va, None], prob[ok_va, None])[0]),
                          "interval_iou": float(np.mean(ious)) if ious else float("nan"),
                          "threshold": heads.fear_threshold}
    from moviemotion.io import atomic_write_json

    atomic_write_json(run_dir / "scores.json", scores)
    return scores


class AffectHeads:
    """Trained affect heads (ONNX files of :func:`train_affect`), onnxruntime only. ``model``:
    one ``model.onnx``/``*.onnx`` file, or a folder holding ``valence_arousal.onnx`` and/or
    ``fear.onnx`` (or the run folders ``valence_arousal/model.onnx``, ``fear/model.onnx``)."""

    def __init__(self, model: str | os.PathLike[str], threads: int | None = 1):
        from moviemotion.learn.onnx import Predictor

        path = Path(model)
        files = [path] if path.is_file() else [
            p for h in HEADS for p in (path / f"{h}.onnx", path / h / "model.onnx") if p.is_file()]
        if not files:
            raise ModelError(f"{path}: no affect model (valence_arousal.onnx / fear.onnx)")
        self.heads: dict[str, Any] = {}
        self.spec: FeatureSpec | None = None
        for f in files:
            p = Predictor(f, threads, what="affect model")
            if p.task is None or p.task.name not in HEADS or "features" not in p.task.extra:
                raise ModelError(f"{f}: not an affect head (made by content.affect.train_affect)")
            self.heads.setdefault(p.task.name, p)
            self.spec = self.spec or FeatureSpec.from_dict(p.task.extra["features"])
        fear = self.heads.get("fear")
        self.fear_threshold = float(fear.task.thresholds[0]) if fear and fear.task.thresholds else 0.5

    def predict_matrix(self, x: np.ndarray) -> np.ndarray:
        """Outputs of the one head loaded (valence/arousal, or fear probability)."""
        (p,) = self.heads.values() if len(self.heads) == 1 else (None,)
        if p is None:
            raise InputError("predict_matrix needs a single head")
        return p.predict(x)

    def predict(self, seconds: Signals) -> tuple[Signals, Signals | None]:
        """Per-second ``valence``, ``arousal_learned``, ``fear_p``, ``fear`` (0/1) columns for a
        movie table, and the fear intervals (events) when the fear head is loaded."""
        cols: dict[str, Any] = {"time": seconds.time}
        units: dict[str, str] = {}
        intervals = None
        if "valence_arousal" in self.heads:
            h = self.heads["valence_arousal"]
            out = h.predict(FeatureSpec.from_dict(h.task.extra["features"]).matrix(seconds))
            cols["valence"], cols[LEARNED_AROUSAL] = np.round(out[:, 0], 4), np.round(out[:, 1], 4)
            units.update({"valence": "-1..1", LEARNED_AROUSAL: "-1..1"})
        if "fear" in self.heads:
            h = self.heads["fear"]
            prob = h.predict(FeatureSpec.from_dict(h.task.extra["features"]).matrix(seconds))[:, 0]
            cols["fear_p"], cols["fear"] = np.round(prob, 4), (prob >= self.fear_threshold).astype(np.int8)
            units.update(fear_p="probability", fear="0/1")
            spans = seconds_to_intervals(cols["fear"])
            t0 = float(seconds.time[0]) if len(seconds) else 0.0
            intervals = Signals.from_columns("fear_intervals", "events", {
                "time": np.asarray([s + t0 for s, _ in spans], np.float64),
                "end": np.asarray([e + t0 for _, e in spans], np.float64)},
                units={"time": "s", "end": "s"})
        return Signals.from_columns("affect", "seconds", cols, units=units), intervals


@ANALYZERS.register("affect", help="valence, arousal and fear per second from trained affect "
                    "heads (needs model=FOLDER; none shipped)")
class AffectAnalyzer(DerivedAnalyzer):
    """Applies :class:`AffectHeads` to the joined per-second table after the pass."""

    name = "affect"
    columns = {"valence": "-1..1", "arousal_learned": "-1..1", "fear_p": "probability",
               "fear": "0/1"}
    default = False
    defaults = {"model": None}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        if self._settings["model"] is None:
            raise InputError("the affect analyzer needs a trained model (model=FOLDER with "
                             "valence_arousal.onnx / fear.onnx); none is shipped")
        self._heads = AffectHeads(self._settings["model"])

    def derive(self, results: Mapping[str, list[Signals]], seconds: Signals,
               run: PassInfo) -> list[Signals]:
        table, intervals = self._heads.predict(seconds)
        if not run.complete:  # never a clean result for the part not analyzed
            keep = table.time < run.analyzed_until
            table = table.with_columns(**{c: np.where(keep, table[c], np.nan)
                                          for c in table.columns if c != "time"})
        self._summary = {"fear_intervals": 0 if intervals is None else len(intervals),
                         "complete": run.complete}
        return [table] + ([intervals] if intervals is not None else [])

    def summary(self) -> dict[str, Any]:
        return getattr(self, "_summary", {})


def write_annotations(folder: str | os.PathLike[str], movie: str, valence: np.ndarray,
                      arousal: np.ndarray, fear: Sequence[tuple[float, float]]) -> list[Path]:
    """Write a movie's annotations in the MediaEval 2018 layout (tests, exports)."""
    from moviemotion.io import atomic_write_text

    folder = Path(folder)
    va = "Time\tValence\tArousal\n" + "".join(
        f"{t}\t{v:.6f}\t{a:.6f}\n" for t, (v, a) in enumerate(zip(valence, arousal, strict=True)))
    fe = "Start\tEnd\n" + "".join(f"{s:g}\t{e:g}\n" for s, e in fear)
    return [atomic_write_text(folder / f"{movie}_Valence-Arousal.txt", va),
            atomic_write_text(folder / f"{movie}_Fear.txt", fe)]


__all__ = ["AffectAnalyzer", "AffectHeads", "FeatureSpec", "fear_seconds", "load_mediaeval",
           "read_fear", "read_valence_arousal", "seconds_to_intervals", "train_affect",
           "write_annotations"]
