"""``--reidentify``: one viewer who leaves and comes back elsewhere in the frame, or shows up
in another recording of the run, gets one viewer id; different faces stay apart; and no face
embedding reaches any output file."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from audience_helpers import BrightnessClassifier

from moviemotion.audience import RecordingSettings, collect_recordings
from moviemotion.audience.recording import analyze_recording
from moviemotion.errors import ModelError
from moviemotion.jobs.audience import run_audience
from moviemotion.samples import clips
from moviemotion.samples.facegen import FaceModel
from moviemotion.samples.faces import HAIRS, TONES, background, paste_face

SIZE = (480, 240)
FPS = 5.0
# Two looks of the generative face model that the shipped embedding tells apart clearly
# (shipped Tan-Triggs model: cosine similarity about 0.4, threshold about 0.69); one look is one identity.
ALICE, BOB = 0, 8


def wide_camera(visits, seed=0):
    """``t -> RGB frame`` of a wide camera: ``visits`` are (start, end, look, x center as a
    fraction of the width); the same look is drawn the same way (same face, tone, hair)."""
    back = background(SIZE, seed)
    model = FaceModel.load()

    def frame(t: float) -> np.ndarray:
        img = back.copy()
        for start, end, look, xc in visits:
            if start <= t < end:
                side = 150
                cx = xc * SIZE[0] + 4 * math.sin(t)
                paste_face(img, model.viewer(look)["neutral"], (cx - side / 2, 40, side, side),
                           tone=TONES[look % len(TONES)], hair=HAIRS[look % len(HAIRS)], whole=True)
        return img

    return frame


def record(path, visits, duration=11.0):
    clips.write_video(path, clips.render(wide_camera(visits), FPS, duration), fps=FPS)
    return path


def viewers_of(out) -> dict[str, set[str]]:
    """viewer id -> the recordings it was seen in (from viewers.parquet)."""
    t = pq.read_table(out / "viewers.parquet").to_pydict()
    seen: dict[str, set[str]] = {}
    for v, r, f in zip(t["viewer"], t["recording"], t["faces"], strict=True):
        if f > 0:
            seen.setdefault(v, set()).add(r)
    return seen


def job(tmp_path, name, paths, **kw):
    recs = collect_recordings(paths, offsets=kw.pop("offsets", {}))
    out = tmp_path / name
    res = run_audience(recs, out, factory=BrightnessClassifier, show_progress=False,
                       settings=RecordingSettings(fps=2.0), **kw)
    assert not res.failures
    return out, res


def test_a_viewer_who_leaves_and_returns_elsewhere_is_one_viewer_only_with_reidentify(tmp_path):
    # Alice on the left for 3 s, away 5 s (longer than the tracker's 2 s gap), back on the right.
    same = record(tmp_path / "wide.mp4", [(0, 3, ALICE, 0.2), (8, 11, ALICE, 0.8)])
    out, _ = job(tmp_path, "plain", [same])
    assert len(viewers_of(out)) == 2                     # position tracking alone: two people
    out, res = job(tmp_path, "reid", [same], reidentify=True)
    assert list(viewers_of(out)) == ["wide-v1"]
    run = json.loads((out / "run.json").read_text())
    assert run["settings"]["reidentify"]["tracks_merged"] == 1
    assert 0.5 < run["settings"]["reidentify"]["threshold"] < 1
    assert "no embedding" in run["privacy"]["embeddings"]
    assert all(o.faces.embeddings is None for o in res.outcomes)   # forgotten after linking

    # Alice, then Bob where Alice sat: two different people stay two viewers.
    pair = record(tmp_path / "pair.mp4", [(0, 3, ALICE, 0.2), (8, 11, BOB, 0.8)])
    out, res = job(tmp_path, "pair", [pair], reidentify=True)
    assert len(viewers_of(out)) == 2, res.outcomes[0].faces.table["track"].to_pylist()


def test_a_bad_embedding_model_is_refused_before_any_work(tmp_path, monkeypatch):
    import moviemotion.faceid.verifier as verifier

    rec = record(tmp_path / "wide.mp4", [(0, 3, ALICE, 0.5)], duration=3.0)
    bad = tmp_path / "faceid.onnx"
    bad.write_bytes(b"not a model")
    monkeypatch.setattr(verifier, "MODEL", bad)
    with pytest.raises(ModelError):
        job(tmp_path, "out", [rec], reidentify=True)
    assert not (tmp_path / "out").exists()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviemotion", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def two_recordings(tmp_path_factory):
    """Run A: Alice for 4 s. Run B, 6 s later in movie time: Alice again, Bob beside her.
    Analyzed by the CLI with two workers and --reidentify (then once more: resumed)."""
    d = tmp_path_factory.mktemp("two")
    a = record(d / "A.mp4", [(0, 4, ALICE, 0.25)], duration=4.0)
    b = record(d / "B.mp4", [(0, 4, ALICE, 0.25), (0, 4, BOB, 0.75)], duration=4.0)
    out = d / "out"
    args = ("audience", str(a), str(b), "--offset", "B=6", "-o", str(out), "--fps", "2", "-j", "2",
            "--no-progress", "--reidentify")
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    seen = viewers_of(out)
    again = cli(*args)
    return {"dir": d, "out": out, "first": first, "again": again, "seen": seen,
            "recordings": {"A": a, "B": b}}


def test_reidentify_links_one_viewer_across_two_recordings_of_a_run(two_recordings):
    seen = two_recordings["seen"]
    assert seen == {"A-v1": {"A", "B"}, "B-v2": {"B"}}, seen
    assert "2 viewers in 2 recordings" in two_recordings["first"].stderr
    # Resume: stored results carry no embeddings, so they are analyzed again, with the same result.
    again = two_recordings["again"]
    assert again.returncode == 0, again.stderr
    assert "2 stored recording(s) are analyzed again" in again.stderr
    assert viewers_of(two_recordings["out"]) == seen


def _embeddings(two_recordings) -> np.ndarray:
    """The track embeddings of the run, recomputed the same way (they are deterministic)."""
    from moviemotion.audience.runner import load_embedder, load_predictor

    emb = load_embedder()
    found = [analyze_recording(p, load_predictor(), RecordingSettings(fps=2.0), embedder=emb).embeddings
             for p in two_recordings["recordings"].values()]
    vectors = np.stack([v for f in found for v in f.values()])
    assert vectors.shape == (3, emb.dim)
    return vectors


def _numbers(obj, out: list) -> None:
    """Every number and every list of numbers in a JSON value; keys named like embedding."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if "embed" in k.lower() and not isinstance(v, str):
                out.append(("key", k))
            _numbers(v, out)
    elif isinstance(obj, list):
        if obj and all(isinstance(x, int | float) and not isinstance(x, bool) for x in obj):
            out.append(("list", len(obj)))
        for x in obj:
            _numbers(x, out)
    elif isinstance(obj, float):
        out.append(("float", obj))


def _numbers_in_text(text: str) -> set[float]:
    """Every decimal number written in ``text``, as the float32 it would read back as."""
    found = re.findall(r"-?\d*\.\d+(?:[eE][-+]?\d+)?", text)
    return set(np.asarray([float(x) for x in found], np.float64).astype(np.float32).tolist())


def test_no_embedding_in_any_output_file(two_recordings):
    vectors = _embeddings(two_recordings)
    d = vectors.shape[1]
    values32 = set(vectors.astype(np.float32).ravel().tolist())
    raw32 = [vectors[i].astype(np.float32).tobytes()[:16] for i in range(len(vectors))]
    raw64 = [vectors[i].astype(np.float64).tobytes()[:32] for i in range(len(vectors))]
    files = [p for p in two_recordings["out"].rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".parquet", ".csv", ".json", ".html"} <= kinds, kinds
    for p in files:
        data = p.read_bytes()
        assert not any(r in data for r in raw32 + raw64), p
        if p.suffix == ".parquet":
            t = pq.read_table(p)
            meta = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()}
            for field in t.schema:
                assert "embed" not in field.name.lower(), (p, field.name)
                assert not pa.types.is_list(field.type) and not pa.types.is_fixed_size_list(field.type), (p, field)
                if pa.types.is_floating(field.type):
                    col = t[field.name].to_numpy(zero_copy_only=False).astype(np.float32)
                    assert not np.isin(col[np.isfinite(col)], list(values32)).any(), (p, field.name)
            for k, v in meta.items():
                found = []
                try:
                    _numbers(json.loads(v), found)
                except ValueError:
                    found = []
                assert ("key", "embedding") not in found and ("list", d) not in found, (p, k)
                assert not _numbers_in_text(v) & values32, (p, k)
        elif p.suffix == ".json":
            found = []
            _numbers(json.loads(p.read_text()), found)
            assert not [f for f in found if f[0] == "key" or f == ("list", d)], (p, found)
            assert not values32 & {np.float32(f[1]).item() for f in found if f[0] == "float"}, p
        elif p.suffix == ".csv":
            rows = list(csv.reader(p.read_text().splitlines()))
            assert not any("embed" in h.lower() for h in rows[0]), p
            assert not _numbers_in_text(p.read_text()) & values32, p
        else:
            assert not _numbers_in_text(data.decode("utf-8", "replace")) & values32, p
