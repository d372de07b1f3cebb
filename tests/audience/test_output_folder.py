"""The output folder as a whole (sweep D8, D13, D14, D18, D22): a privacy record true of
everything in it, one job at a time, no stale temporary files, no traceback for odd states."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from audience_helpers import BrightnessClassifier

from moviemotion.audience import collect_recordings
from moviemotion.audience.purge import purge
from moviemotion.errors import OutputError
from moviemotion.io import folder_lock
from moviemotion.jobs.audience import run_audience


def run(screening, out, **kw):
    recs = collect_recordings([screening["manifest"].parent / "seats"], manifest=screening["manifest"])
    return run_audience(recs, out, factory=BrightnessClassifier, show_progress=False, write_report=False, **kw)


def privacy(out):
    return json.loads((out / "run.json").read_text())["privacy"]


def test_privacy_record_counts_crops_left_by_an_earlier_run(screening, tmp_path):
    out = tmp_path / "out"
    run(screening, out, keep_crops=True)
    n = len(list((out / "crops").rglob("*.png")))
    assert n > 0 and privacy(out)["crops_in_folder"] == n
    res = run(screening, out)  # no --keep-crops this time: the old crops are still there
    p = privacy(out)
    assert p["crops_kept"] is False and p["crops_in_folder"] == n
    assert "no pixels" not in p["stored"] and f"{n} face crop images" in p["stored"]
    assert "earlier --keep-crops run" in p["stored"]
    assert any("face crop images from an earlier --keep-crops run" in w for w in res.warnings)
    purge(out, 0, now=2e10)
    run(screening, out)
    assert privacy(out)["crops_in_folder"] == 0 and "no pixels" in privacy(out)["stored"]


def test_keep_crops_on_a_reused_recording_writes_its_crops(screening, tmp_path):
    out = tmp_path / "out"
    run(screening, out)
    res = run(screening, out, keep_crops=True)
    assert not any(o.reused for o in res.outcomes)  # redone so that the crops exist
    for o in res.outcomes:
        assert list((out / "crops" / o.recording.label).glob("*.png"))
    again = run(screening, out, keep_crops=True)
    assert all(o.reused for o in again.outcomes)  # crops there: reuse is fine


def test_stored_recordings_keep_a_hash_of_the_source_path_not_the_path(screening, tmp_path):
    out = tmp_path / "out"
    run(screening, out)
    seats = (screening["manifest"].parent / "seats").resolve()
    for f in (out / "recordings").glob("*.parquet"):
        meta = pq.read_schema(f).metadata
        assert not any(str(seats).encode() in v or b"seat0" in v for v in meta.values())
        key = json.loads(meta[b"moviemotion.key"])
        assert set(key) == {"path_sha256", "size", "mtime_ns"}
    assert "SHA-256" in privacy(out)["paths"]


def test_a_second_job_on_a_busy_folder_is_refused_in_one_line(screening, tmp_path):
    out = tmp_path / "out"
    run(screening, out)
    before = (out / "run.json").read_bytes()
    with folder_lock(out, "another job"):
        with pytest.raises(OutputError, match="in use by another moviemotion job") as err:
            run(screening, out)
        assert "another job" in err.value.message
        with pytest.raises(OutputError, match="in use"):
            purge(out, 0, now=2e10)
        assert (out / "run.json").read_bytes() == before and list((out / "recordings").iterdir())
    res = run(screening, out)  # free again
    assert not res.failures and not (out / ".moviemotion.lock").exists()


def test_stale_temporary_files_are_removed_by_the_rerun_and_by_purge(screening, tmp_path):
    out = tmp_path / "out"
    run(screening, out)
    stale = [out / ".timeline.parquet.tmp-ab12cd34.parquet", out / "recordings" / ".seat01.parquet.tmp-x1y2z3w4.parquet",
             out / ".report.html.tmp-00aa11bb.html"]
    for f in stale:
        f.write_bytes(b"left by a killed job")
    keep = out / ".notes"
    keep.write_text("not ours")
    run(screening, out)
    assert not any(f.exists() for f in stale) and keep.exists()
    for f in stale:
        f.write_bytes(b"again")
    removed = purge(out, 30)
    assert sorted(removed) == sorted(stale) and not any(f.exists() for f in stale)


def test_a_folder_in_place_of_an_output_file_is_one_line_before_any_work(screening, tmp_path):
    out = tmp_path / "out"
    (out / "recordings" / "seat01.parquet").mkdir(parents=True)
    with pytest.raises(OutputError, match="seat01.parquet: a folder"):
        run(screening, out)
    assert list(out.rglob("*.parquet")) == [out / "recordings" / "seat01.parquet"]


def test_purge_leaves_a_fresh_symlinked_folder_in_crops(tmp_path):
    out = tmp_path / "out"
    (out / "crops").mkdir(parents=True)
    (out / "run.json").write_text("{}")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (out / "crops" / "link").symlink_to(target, target_is_directory=True)
    assert purge(out, 30) == []
    assert (out / "crops" / "link").is_symlink() and target.is_dir()
    assert purge(out, 0, now=2e10) == [out / "crops" / "link"]
    assert target.is_dir() and not (out / "crops").exists()
