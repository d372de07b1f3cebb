"""The worker pool under faults (sweep D2, D3, D4, D10): a dead worker costs only its
recording, workers die with the job, a bad model is one line before any work, and
SIGINT/SIGTERM stop the job at once keeping the finished recordings."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from audience_helpers import CrashingClassifier, DiesAtStartup

from moviemotion.audience import RecordingSettings, collect_recordings
from moviemotion.errors import ModelError, MovieMotionError
from moviemotion.jobs.audience import run_audience

HELPERS = Path(__file__).parent


def seats_named(screening, folder: Path, names: list[str]) -> Path:
    """Copies of the screening's seat recordings under new names (labels)."""
    folder.mkdir()
    src = sorted((screening["manifest"].parent / "seats").glob("*.mp4"))
    for i, name in enumerate(names):
        shutil.copy(src[i % len(src)], folder / f"{name}.mp4")
    return folder


def test_a_dead_worker_costs_only_its_recording_which_is_retried_once(screening, tmp_path):
    seats = seats_named(screening, tmp_path / "seats", ["a", "b", "crashonce", "crashalways"])
    (tmp_path / "markers").mkdir()
    factory = functools.partial(CrashingClassifier, always=("crashalways",), once=("crashonce",),
                                marker_dir=str(tmp_path / "markers"))
    res = run_audience(collect_recordings([seats]), tmp_path / "out", factory=factory, jobs=2,
                       show_progress=False, write_report=False)
    assert set(res.failures) == {"crashalways"}
    assert "died (killed by SIGKILL) on each of 2 tries" in res.failures["crashalways"]
    by = {o.recording.label: o for o in res.outcomes}
    assert by["crashonce"].faces is not None and by["crashonce"].attempts == 2
    assert by["a"].faces is not None and by["b"].faces is not None
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert {r["label"]: r["status"] for r in info["recordings"]} == {
        "a": "analyzed", "b": "analyzed", "crashonce": "analyzed", "crashalways": "failed"}
    assert sorted(p.stem for p in (tmp_path / "out" / "recordings").glob("*.parquet")) == ["a", "b", "crashonce"]


def test_workers_that_never_start_stop_the_job_instead_of_respawning(screening, tmp_path):
    t = time.monotonic()
    with pytest.raises(MovieMotionError, match="die while starting up") as err:
        run_audience(collect_recordings([screening["manifest"].parent / "seats"]), tmp_path / "out",
                     factory=DiesAtStartup, jobs=2, show_progress=False, write_report=False)
    assert err.value.exit_code == 1 and "exit status 1, 2 in a row" in err.value.message
    assert time.monotonic() - t < 60


def test_a_bad_model_is_one_line_and_exit_4_before_any_work_with_workers(screening, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(os.urandom(3000))
    seats = screening["manifest"].parent / "seats"
    r = subprocess.run([sys.executable, "-m", "moviemotion", "audience", str(seats), "--model", str(bad),
                        "-j", "2", "--no-progress", "-o", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 4, r.stderr
    assert "Traceback" not in r.stderr and "bad.onnx" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_factory_that_fails_is_a_model_error_before_any_work(screening, tmp_path):
    def broken():
        raise RuntimeError("no weights")

    with pytest.raises(ModelError, match="no weights"):
        run_audience(collect_recordings([screening["manifest"].parent / "seats"]), tmp_path / "out",
                     factory=broken, jobs=2, show_progress=False)
    assert not (tmp_path / "out").exists()


JOB_SCRIPT = textwrap.dedent("""
    import functools, sys
    sys.path.insert(0, {helpers!r})
    from audience_helpers import SlowClassifier
    from moviemotion.audience import RecordingSettings, collect_recordings
    from moviemotion.errors import MovieMotionError
    from moviemotion.jobs.audience import run_audience
    try:
        run_audience(collect_recordings([{seats!r}]), {out!r}, factory=functools.partial(SlowClassifier, {delay}),
                     settings=RecordingSettings(batch=2), jobs=2, show_progress=False, write_report=False)
    except MovieMotionError as exc:
        print("error:", exc.message, file=sys.stderr)
        sys.exit(exc.exit_code)
""")


def start_job(seats: Path, out: Path, delay: float) -> subprocess.Popen:
    script = JOB_SCRIPT.format(helpers=str(HELPERS), seats=str(seats), out=str(out), delay=delay)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, grandchildren ...), from /proc."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(d.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        todo += list(kids - out)
        out |= kids
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stored(out: Path) -> list[Path]:
    """Finished recordings (not the hidden temporary files of one being written)."""
    return sorted(p for p in (out / "recordings").glob("*.parquet") if not p.name.startswith("."))


def wait_for(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_die_with_a_killed_job(screening, tmp_path):
    seats = seats_named(screening, tmp_path / "seats", ["s1", "s2", "s3", "s4"])
    job = start_job(seats, tmp_path / "out", delay=2.0)
    procs: set[int] = set()
    try:
        assert wait_for(lambda: len(descendants(job.pid)) >= 2, 60), "the workers did not start"
        time.sleep(1.0)
        procs = descendants(job.pid)
        job.send_signal(signal.SIGKILL)
        job.wait(10)
        assert wait_for(lambda: not any(alive(p) for p in procs), 10), \
            f"left behind: {[p for p in procs if alive(p)]}"
    finally:
        job.kill()
        for p in procs:  # orphans (before the fix) hold the job's pipes open: end them
            if alive(p):
                os.kill(p, signal.SIGKILL)
        job.communicate(timeout=30)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_to_the_job_stops_it_at_once_and_keeps_finished_recordings(screening, tmp_path, sig, code):
    procs: set[int] = set()
    seats = seats_named(screening, tmp_path / "seats", ["s1", "s2", "s3", "s4", "s5", "s6"])
    out = tmp_path / "out"
    job = start_job(seats, out, delay=0.4)
    try:
        assert wait_for(lambda: stored(out), 120), "nothing finished"
        procs = descendants(job.pid)
        t0 = time.monotonic()
        job.send_signal(sig)  # to the main process only, as kill/timeout/supervisors do
        _, err = job.communicate(timeout=60)
        took = time.monotonic() - t0
    finally:
        job.kill()
        for p in procs:
            if alive(p):
                os.kill(p, signal.SIGKILL)
    kept = stored(out)
    assert job.returncode == code, err
    assert took < 5, f"took {took:.1f} s to stop"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert f"interrupted by {sig.name}" in lines[0] and f"{len(kept)} of 6 recordings" in lines[0]
    assert 1 <= len(kept) < 6
    assert wait_for(lambda: not any(alive(p) for p in procs), 10)
    assert not [p for p in out.rglob(".*") if ".tmp-" in p.name]
    # The re-run resumes: the kept recordings are reused.
    res = run_audience(collect_recordings([seats]), out, factory=CrashingClassifier,
                       settings=RecordingSettings(batch=2), jobs=1, show_progress=False, write_report=False)
    assert sum(o.reused for o in res.outcomes) == len(kept) and not res.failures
