"""The job end to end with the shipped emotion model on the synthetic screening.

The scenes of the screening's movie are scripted (neutral, happy, neutral, surprise, sad,
happy); the drawn viewers react to them after their own delays. With the real model,
the audience's rise above baseline must follow the script where the model can read the
drawn faces: more surprise in the surprise scene and a surprise peak there. (Drawn faces are
far from FER2013's photographs; how strongly a given model reads the drawn smiles varies from
model to model, so the happy scenes are only asserted to rise above the neutral ones. Agreement with a script is
measured on real faces in test_fer_script.py.) Also: a corrupt recording among good ones
makes the CLI exit non-zero after writing the others.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from moviemotion.errors import ModelError
from moviemotion.samples.screening import make_screening


@pytest.fixture(scope="module")
def predictor_available():
    from moviemotion.emotion import Predictor

    try:
        Predictor()
    except ModelError as exc:
        pytest.skip(f"no shipped emotion model yet: {exc.message}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, predictor_available):
    root = tmp_path_factory.mktemp("demo")
    s = make_screening(root / "screening", seats=4, duration=24.0, fps=6)
    seats = s["manifest"].parent / "seats"
    (seats / "seat05.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 500)
    cmd = [sys.executable, "-m", "moviemotion", "audience", str(seats), "--manifest", str(s["manifest"]),
           "--movie", str(s["movie"]), "-o", str(root / "out"), "--no-progress", "--jobs", "2"]
    # The manifest does not list seat05: it gets label seat05 and offset 0.
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return s, root / "out", proc


def test_cli_reports_the_corrupt_recording_and_writes_the_others(demo):
    _, out, proc = demo
    assert proc.returncode == 1, proc.stderr
    assert "1 recording(s) failed" in proc.stderr and "seat05.mp4" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "report.html").is_file() and (out / "timeline.csv").is_file()


def test_audience_timeline_follows_the_scripted_scenes(demo):
    _, out, _ = demo
    tl = pq.read_table(out / "timeline.parquet").to_pydict()
    second = np.array(tl["time"])
    happy = np.array(tl["happy_rise"])
    surprise = np.array(tl["surprise_rise"])
    happy_scenes = ((second >= 6) & (second < 10)) | (second >= 20)
    neutral_scenes = (second < 5) | ((second >= 10) & (second < 12))
    surprise_scene = (second >= 13) & (second < 16)
    assert surprise[surprise_scene].mean() > surprise[neutral_scenes | happy_scenes].mean() + 0.1
    # The smiles are read weakly by FER models, but they must still lift the happy rise above
    # what the neutral scenes give (a model that cannot tell them apart fails here).
    assert happy[happy_scenes].mean() > happy[neutral_scenes].mean() + 0.01
    assert (happy >= 0).all() and (surprise >= 0).all()  # a rise above baseline is never negative
    import csv

    with open(out / "peaks.csv") as f:
        peaks = list(csv.DictReader(f))
    surprise_peaks = [int(float(p["time"])) for p in peaks if p["emotion"] == "surprise"]
    assert any(13 <= t < 17 for t in surprise_peaks), peaks
    assert sorted(set(pq.read_table(out / "viewers.parquet")["viewer"].to_pylist())) == [
        "seat01-v1", "seat02-v1", "seat03-v1", "seat04-v1"]
