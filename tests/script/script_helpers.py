"""Audience output folders built in code with known answers, for the script tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.io import write_table


def feelings_at(t: np.ndarray, plan: list[tuple[float, float, str]], strength: float = 0.8
                ) -> np.ndarray:
    """``(n, 7)`` probabilities: ``strength`` on the planned emotion, the rest spread evenly."""
    p = np.full((t.size, len(EMOTIONS)), 0.0)
    p[:, EMOTIONS.index("neutral")] = 1.0
    for a, b, e in plan:
        m = (t >= a) & (t < b)
        p[m] = (1 - strength) / (len(EMOTIONS) - 1)
        p[m, EMOTIONS.index(e)] = strength
    return p


def write_audience(folder: Path, duration: int, plan: list[tuple[float, float, str]],
                   viewers: int = 3, noise: float = 0.0, seed: int = 0, shift: float = 0.0,
                   peaks: list[tuple[float, str]] = ()) -> Path:
    """An audience output folder: every viewer feels ``plan`` (plus noise; ``shift`` added to
    the planned emotion's probability, renormalized)."""
    rng = np.random.default_rng(seed)
    t = np.arange(duration, dtype=np.float64)
    rows = {"viewer": [], "time": [], **{e: [] for e in EMOTIONS}}
    per_viewer = []
    for v in range(viewers):
        p = feelings_at(t, plan)
        if shift:
            for a, b, e in plan:
                m = (t >= a) & (t < b)
                p[m, EMOTIONS.index(e)] += shift
        p = np.clip(p + rng.normal(0, noise, p.shape), 1e-4, None)
        p /= p.sum(1, keepdims=True)
        per_viewer.append(p)
        rows["viewer"] += [f"seat{v + 1:02d}-v1"] * duration
        rows["time"] += t.tolist()
        for i, e in enumerate(EMOTIONS):
            rows[e] += p[:, i].tolist()
    mean = np.mean(per_viewer, axis=0)
    tl = {"time": t, "viewers": np.full(duration, viewers, np.int64)}
    for i, e in enumerate(EMOTIONS):
        tl[e] = mean[:, i]
    tl["intensity"] = 1 - mean[:, EMOTIONS.index("neutral")]
    tl["agreement"] = np.ones(duration)
    for i, e in enumerate(EMOTIONS):
        if e != "neutral":
            tl[f"{e}_rise"] = np.maximum(mean[:, i] - np.median(mean[:, i]), 0)
    folder.mkdir(parents=True, exist_ok=True)
    write_table(pa.table(tl), folder / "timeline.parquet")
    write_table(pa.table({k: pa.array(v) for k, v in rows.items()}), folder / "viewers.parquet")
    write_table(pa.table({"time": pa.array([float(x) for x, _ in peaks], pa.float64()),
                          "emotion": pa.array([e for _, e in peaks], pa.string()),
                          "strength": pa.array([0.5] * len(peaks), pa.float64()),
                          "share": pa.array([1.0] * len(peaks), pa.float64()),
                          "viewers": pa.array([viewers] * len(peaks), pa.int64())}),
                folder / "peaks.csv")
    (folder / "run.json").write_text(json.dumps({"movie": {"path": None, "duration": duration}}))
    return folder
