"""Recordings analyzed in worker processes (and on local Ray) give the same results as in-process."""

from __future__ import annotations

import os
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
from audience_helpers import BrightnessClassifier

from moviemotion.audience import collect_recordings
from moviemotion.jobs.audience import run_audience


def recordings(screening):
    return collect_recordings([screening["manifest"].parent / "seats"], manifest=screening["manifest"])


def test_process_pool_matches_in_process(screening, tmp_path):
    one = run_audience(recordings(screening), tmp_path / "one", factory=BrightnessClassifier,
                       show_progress=False, write_report=False)
    two = run_audience(recordings(screening), tmp_path / "two", factory=BrightnessClassifier, jobs=2,
                       show_progress=False, write_report=False)
    assert not two.failures
    a = pq.read_table(tmp_path / "one" / "viewers.parquet")
    b = pq.read_table(tmp_path / "two" / "viewers.parquet")
    assert a.num_rows == b.num_rows > 0
    np.testing.assert_allclose(a["happy"].to_numpy(), b["happy"].to_numpy())
    assert [o.faces.stats["samples"] for o in one.outcomes] == [o.faces.stats["samples"] for o in two.outcomes]


@pytest.mark.slow
def test_local_ray_matches_in_process(screening, tmp_path):
    ray = pytest.importorskip("ray")
    run_audience(recordings(screening), tmp_path / "one", factory=BrightnessClassifier,
                 show_progress=False, write_report=False)
    # The stand-in classifier lives in the tests folder: let Ray's workers import it.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(sys.path)}})
    try:
        res = run_audience(recordings(screening), tmp_path / "ray", factory=BrightnessClassifier, jobs=2,
                           use_ray=True, show_progress=False, write_report=False)
    finally:
        ray.shutdown()
    assert not res.failures
    a = pq.read_table(tmp_path / "one" / "viewers.parquet")
    b = pq.read_table(tmp_path / "ray" / "viewers.parquet")
    np.testing.assert_allclose(a["happy"].to_numpy(), b["happy"].to_numpy())
    assert {s["viewer"] for s in res.timeline.summaries} == {"seat01-v1", "seat02-v1"}
