"""Every number and every manifest row is checked before any work (sweep D7, D12, D16)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audience_helpers import fake_faces, onehot

from moviemotion.audience import (
    RecordingSettings,
    TimelineSettings,
    build_timeline,
    collect_recordings,
)
from moviemotion.audience.manifest import Recording, clean_label
from moviemotion.audience.purge import purge
from moviemotion.errors import InputError


@pytest.fixture
def seats(tmp_path):
    d = tmp_path / "seats"
    d.mkdir()
    for name in ("seat01.mp4", "seat02.mp4"):
        (d / name).write_bytes(name.encode())
    return d


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e300, -1e9])
def test_offset_flags_must_be_finite_and_within_a_day(seats, value):
    with pytest.raises(InputError, match="offset") as err:
        collect_recordings([seats], offsets={"seat01": value})
    assert "seat01" in err.value.message


@pytest.mark.parametrize("offset", ["nan", "inf", "1e300", "-90000"])
def test_manifest_offsets_must_be_finite_and_within_a_day(seats, tmp_path, offset):
    m = tmp_path / "m.csv"
    m.write_text(f"recording,label,offset\nseat01.mp4,a,{offset}\n")
    with pytest.raises(InputError, match="offset"):
        collect_recordings([seats], manifest=m)


@pytest.mark.parametrize("row, match", [
    ({"recording": "seat01.mp4", "offset": True}, "not a number"),
    ({"recording": "seat01.mp4", "offset": [1]}, "not a number"),
    ({"recording": "seat01.mp4", "label": {"a": 1}}, "label must be text"),
    ({"recording": "seat01.mp4", "label": False}, "label must be text"),
    ({"recording": 7}, "recording must be a file path"),
])
def test_json_manifest_types_are_not_coerced(seats, tmp_path, row, match):
    m = tmp_path / "m.json"
    m.write_text(json.dumps([row]))
    with pytest.raises(InputError, match=match):
        collect_recordings([seats], manifest=m)


def test_the_same_recording_under_two_labels_is_refused(seats, tmp_path):
    m = tmp_path / "twice.csv"
    s = seats / "seat01.mp4"
    m.write_text(f"recording,label,offset\n{s},a,0\n{s},b,0\n")
    with pytest.raises(InputError, match="listed twice, as 'a' and 'b'"):
        collect_recordings([], manifest=m)
    (seats / "link.mp4").symlink_to(s)  # another name for the same file
    with pytest.raises(InputError, match="listed twice"):
        collect_recordings([seats])


def test_non_ascii_labels_stay_distinct_and_collisions_name_what_was_written(seats, tmp_path):
    m = tmp_path / "uni.csv"
    m.write_text("recording,label,offset\nseat01.mp4,映画,0\nseat02.mp4,ü,0\n", encoding="utf-8")
    assert [r.label for r in collect_recordings([seats], manifest=m)] == ["映画", "ü"]
    assert clean_label("u\u0308") == "ü"  # decomposed and composed forms are one label
    m.write_text("recording,label,offset\nseat01.mp4,row 1,0\nseat02.mp4,row/1,0\n")
    with pytest.raises(InputError, match=r"'row 1', 'row/1' \(all become 'row_1'\)"):
        collect_recordings([seats], manifest=m)


@pytest.mark.parametrize("fps", [math.inf, math.nan, 0.0, -1.0, 1e6])
def test_sampling_rate_must_be_finite_and_sane(fps):
    with pytest.raises(InputError, match="--fps"):
        RecordingSettings(fps=fps)


def test_detector_numbers_must_be_finite():
    with pytest.raises(InputError, match="--min-face"):
        RecordingSettings(detector_knobs={"min_face": math.nan})


@pytest.mark.parametrize("field, value", [("smooth", math.nan), ("smooth", math.inf), ("smooth", 1e9),
                                          ("calibration", -1.0), ("calibration", math.nan),
                                          ("peak_min_share", 2.0), ("reaction_threshold", math.nan)])
def test_timeline_numbers_must_be_finite_and_in_range(field, value):
    with pytest.raises(InputError, match=f"--{field.replace('_', '-')}"):
        TimelineSettings(**{field: value})


def test_the_longest_smoothing_window_is_quick_and_equals_a_window_over_everything():
    t = np.arange(0, 40, 0.5)
    probs = np.array([onehot("happy" if 10 <= x < 20 else "neutral") for x in t])
    rows = [(Recording(Path("a.mp4"), "a"), fake_faces(t, probs))]
    whole = build_timeline(rows, 40.0, TimelineSettings(smooth=81))
    longest = build_timeline(rows, 40.0, TimelineSettings(smooth=86400))
    np.testing.assert_allclose(longest.audience["happy_smooth"], whole.audience["happy_smooth"])
    assert np.ptp(longest.audience["happy_smooth"]) < 1e-9  # one value: the mean over everything


@pytest.mark.parametrize("days", [math.nan, math.inf, -1.0])
def test_purge_refuses_days_that_are_not_finite_and_positive(tmp_path, days):
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "a.parquet").write_bytes(b"x")
    with pytest.raises(InputError, match="--older-than"):
        purge(tmp_path, days)
    assert (tmp_path / "recordings" / "a.parquet").exists()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviemotion", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_refuses_bad_numbers_in_one_line_before_writing_anything(screening, tmp_path):
    seats = screening["manifest"].parent / "seats"
    out = tmp_path / "out"
    for args, match in ((["--offset", "seat01=nan"], "not finite"), (["--fps", "inf"], "--fps"),
                        (["--smooth", "nan"], "--smooth")):
        r = cli("audience", str(seats), *args, "--no-progress", "-o", str(out))
        assert r.returncode == 2 and match in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert not out.exists()
    out.mkdir()
    (out / "run.json").write_text("{}")
    r = cli("purge", str(out), "--older-than", "nan")
    assert r.returncode == 2 and "--older-than" in r.stderr
