"""The whole job on a small synthetic screening (with a stand-in classifier): outputs,
resume, privacy, and bad recordings among good ones."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
from audience_helpers import BrightnessClassifier

from moviemotion.audience import RecordingSettings, collect_recordings
from moviemotion.audience.purge import purge
from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError
from moviemotion.jobs.audience import run_audience
from moviemotion.samples import clips as synth
from moviemotion.samples.faces import background
from moviemotion.signals import Signals


def run(screening, out, **kw):
    recs = kw.pop("recs", None) or collect_recordings([screening["manifest"].parent / "seats"],
                                                      manifest=screening["manifest"])
    return run_audience(recs, out, movie=screening["movie"], factory=BrightnessClassifier,
                        show_progress=False, **kw)


def test_outputs_have_one_viewer_per_seat_and_documented_columns(screening, tmp_path):
    out = tmp_path / "out"
    res = run(screening, out)
    assert not res.failures
    names = {p.name for p in out.iterdir()}
    assert {"timeline.parquet", "timeline.csv", "viewers.parquet", "peaks.csv", "run.json",
            "report.html", "recordings"} <= names
    tl = pq.read_table(out / "timeline.parquet")
    assert tl.num_rows == 8 and tl.column("time").to_pylist() == list(range(8))
    assert {"viewers", "coverage", "dominant", "agreement", *EMOTIONS,
            *(f"{e}_smooth" for e in EMOTIONS)} <= set(tl.column_names)
    assert b"moviemotion.time_base" in tl.schema.metadata
    sig = Signals.read(out / "timeline.parquet")
    assert sig.kind == "seconds" and sig.units["happy"] == "probability" and sig.group("emotions") == EMOTIONS
    vw = pq.read_table(out / "viewers.parquet").to_pydict()
    assert sorted(set(vw["viewer"])) == ["seat01-v1", "seat02-v1"]
    # Seat 1 starts recording 2 s before the movie (offset -2): still covers every movie second.
    s1 = [c for v, c in zip(vw["viewer"], vw["coverage"], strict=True) if v == "seat01-v1"]
    assert len(s1) == 8 and np.mean(s1) > 0.9
    probs = np.array([vw[e] for e in EMOTIONS]).T
    np.testing.assert_allclose(np.nansum(probs, 1), 1.0, atol=1e-4)
    info = json.loads((out / "run.json").read_text())
    assert info["movie"]["duration"] == pytest.approx(8.0, abs=0.1)
    assert {r["status"] for r in info["recordings"]} == {"analyzed"}
    assert info["privacy"]["crops_kept"] is False and "numpy" in info["versions"]
    assert info["settings"]["analysis"]["fps"] == 2.0
    # Privacy: no image files anywhere in the output.
    assert not [p for p in out.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".npy")]
    assert (out / "timeline.csv").read_text().splitlines()[0].startswith('"time","viewers","recorded"')


def test_rerun_resumes_finished_recordings_and_redoes_changed_settings(screening, tmp_path):
    out = tmp_path / "out"
    run(screening, out)
    stored = sorted((out / "recordings").glob("*.parquet"))
    mtimes = [p.stat().st_mtime_ns for p in stored]
    again = run(screening, out)
    assert all(o.reused for o in again.outcomes)
    assert [p.stat().st_mtime_ns for p in stored] == mtimes
    finer = run(screening, out, settings=RecordingSettings(fps=3.0))
    assert not any(o.reused for o in finer.outcomes)
    assert finer.outcomes[0].faces.stats["samples"] > again.outcomes[0].faces.stats["samples"]


def test_corrupt_and_faceless_recordings_are_reported_while_the_others_finish(screening, tmp_path):
    seats = tmp_path / "seats"
    shutil.copytree(screening["manifest"].parent / "seats", seats)
    (seats / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    synth.write_video(seats / "empty_seat.mp4", [background((320, 240))] * 12, fps=6)
    good = (seats / "seat01.mp4").read_bytes()
    (seats / "cut.mp4").write_bytes(good[: len(good) // 2])
    res = run(screening, tmp_path / "out", recs=collect_recordings([seats]))
    assert set(res.failures) == {"broken"} and "broken.mp4" in res.failures["broken"]
    assert any("empty_seat: no face found" in w for w in res.warnings)
    assert any(w.startswith("cut:") and "truncated" in w for w in res.warnings)
    assert {s["recording"] for s in res.timeline.summaries} >= {"seat01", "seat02"}
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert {r["label"]: r["status"] for r in info["recordings"]}["broken"] == "failed"


def test_offset_beyond_the_movie_is_refused_before_anything_is_written(screening, tmp_path):
    recs = collect_recordings([screening["manifest"].parent / "seats"], offsets={"seat02": 30.0})
    with pytest.raises(InputError, match="beyond the movie's end"):
        run(screening, tmp_path / "out", recs=recs)
    assert not (tmp_path / "out").exists()


def test_keep_crops_writes_crops_and_purge_removes_them(screening, tmp_path):
    out = tmp_path / "out"
    res = run(screening, out, keep_crops=True)
    crops = list((out / "crops").rglob("*.png"))
    assert len(crops) >= sum(o.faces.stats["faces"] for o in res.outcomes) > 0
    info = json.loads((out / "run.json").read_text())
    assert info["privacy"]["crops_kept"] is True
    assert purge(out, older_than_days=1) == []  # all fresh
    listed = purge(out, older_than_days=0, dry_run=True, now=2e10)
    assert len(listed) == len(crops) + 2 and (out / "crops").exists()
    purge(out, older_than_days=0, now=2e10)
    assert not (out / "crops").exists() and not (out / "recordings").exists()
    assert (out / "timeline.parquet").exists()
    with pytest.raises(InputError, match="not a moviemotion audience output"):
        purge(tmp_path, 1)
