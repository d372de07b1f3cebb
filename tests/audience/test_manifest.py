"""Recordings, labels and offsets from files, folders, manifests and flags; bad input."""

from __future__ import annotations

import json

import pytest

from moviemotion.audience.manifest import clean_label, collect_recordings, read_manifest
from moviemotion.errors import InputError


@pytest.fixture
def seats(tmp_path):
    d = tmp_path / "seats"
    d.mkdir()
    for name in ("a.mp4", "b.mov", "notes.txt"):
        (d / name).write_bytes(b"x")
    return d


def test_folder_files_get_stem_labels_and_zero_offsets(seats):
    recs = collect_recordings([seats])
    assert [(r.path.name, r.label, r.offset) for r in recs] == [("a.mp4", "a", 0.0), ("b.mov", "b", 0.0)]


def test_csv_manifest_sets_labels_and_offsets_by_file_name(seats, tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("recording,label,offset\nseats/a.mp4,Seat 1,-2.5\nb.mov,,3\n")
    recs = collect_recordings([seats], manifest=m)
    assert [(r.label, r.offset) for r in recs] == [("Seat_1", -2.5), ("b", 3.0)]


def test_manifest_alone_resolves_paths_relative_to_itself(seats):
    m = seats.parent / "m.json"
    m.write_text(json.dumps({"recordings": [{"recording": "seats/b.mov", "label": "B", "offset": 1.5}]}))
    recs = collect_recordings([], manifest=m)
    assert [(r.path, r.label, r.offset) for r in recs] == [(seats / "b.mov", "B", 1.5)]


def test_offset_flags_override(seats):
    recs = collect_recordings([seats], offsets={"b": 4.0})
    assert [r.offset for r in recs] == [0.0, 4.0]
    with pytest.raises(InputError, match="unknown recording"):
        collect_recordings([seats], offsets={"zz": 1.0})


@pytest.mark.parametrize("text, match", [
    ("file,offset\na.mp4,1\n", "'recording' column"),
    ("recording,offset\na.mp4,soon\n", "not a number"),
    ("recording,offset\n", "no recordings"),
    ("recording,offset\nzz.mp4,1\n", "not among the inputs"),
])
def test_bad_manifests_say_what_is_wrong(seats, tmp_path, text, match):
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        collect_recordings([seats], manifest=m)
    assert "m.csv" in err.value.message


def test_bad_inputs(tmp_path, seats):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="contains no video files"):
        collect_recordings([empty])
    with pytest.raises(InputError, match="no such file"):
        collect_recordings([tmp_path / "nope.mp4"])
    with pytest.raises(InputError, match="no recordings given"):
        collect_recordings([])
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.mp4").write_bytes(b"x")
    with pytest.raises(InputError, match="share the label"):
        collect_recordings([seats, tmp_path / "x"])
    bad = tmp_path / "m.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_manifest(bad)


def test_clean_label():
    assert clean_label(" Row 3 / seat 7 ") == "Row_3_seat_7"
    assert clean_label("///") == "recording"
