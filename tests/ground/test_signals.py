"""The one time table: resampling, joining, writing and reading back."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from moviemotion.signals import END, TIME, Signals, clock


def frames_table() -> Signals:
    t = np.arange(0, 3.0, 0.25)  # 4 frames a second, 3 seconds
    return Signals.from_columns("motion", "frames", {TIME: t, "speed": t * 2, "label": [
        f"f{i}" for i in range(t.size)]}, units={"speed": "px/s"}, rate=4.0)


def test_per_second_means_and_text_takes_last():
    s = frames_table().per_second()
    assert s.kind == "seconds" and s.rate == 1.0
    assert s.time.tolist() == [0.0, 1.0, 2.0]
    # mean of 2*t over t = 0, .25, .5, .75 is 0.75
    np.testing.assert_allclose(s["speed"], [0.75, 2.75, 4.75])
    assert s["label"].tolist() == ["f3", "f7", "f11"]
    assert s.units["speed"] == "px/s"


def test_per_second_max_and_gaps_are_nan():
    s = Signals.from_columns("x", "frames", {TIME: [0.1, 0.9, 2.5], "v": [1.0, 4.0, 2.0]})
    m = s.per_second(4, how="max")
    assert m["v"][:3].tolist()[:1] == [4.0]
    assert math.isnan(m["v"][1]) and m["v"][2] == 2.0 and math.isnan(m["v"][3])
    with pytest.raises(ValueError, match="unknown reduction"):
        s.per_second(how="median-ish")


def test_events_per_second_takes_event_at_middle_and_coverage():
    ev = Signals.from_columns("shots", "events", {TIME: [0.0, 1.7, 3.0], END: [1.7, 3.0, 4.2],
                                                  "shot": [1, 2, 3]})
    s = ev.per_second()
    assert s.time.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    # second 1's middle (1.5) is in shot 1, second 2's (2.5) in shot 2
    assert s["shot"].tolist() == [1, 1, 2, 3, None] or s["shot"][:4].tolist() == [1, 1, 2, 3]
    np.testing.assert_allclose(s["coverage"], [1, 1, 1, 1, 0.2], atol=1e-9)


def test_join_on_seconds_prefixes_sources():
    a = Signals.from_columns("audience", "seconds", {TIME: [0.0, 1.0, 2.0], "happy": [.1, .2, .3]})
    b = frames_table()
    j = a.join(b)
    assert j.columns[:2] == [TIME, "audience.happy"]
    assert "motion.speed" in j.columns and j.units["motion.speed"] == "px/s"
    np.testing.assert_allclose(j["motion.speed"], [0.75, 2.75, 4.75])
    short = Signals.from_columns("s", "seconds", {TIME: [0.0], "v": [9]})
    k = a.join(short)
    assert k["s.v"][0] == 9 and np.isnan(k["s.v"][1])
    with pytest.raises(ValueError, match="twice"):
        a.join(Signals.from_columns("x", "seconds", {TIME: [0.0], "happy": [1.0]}), prefix=False)


def test_write_read_roundtrip_keeps_metadata(tmp_path):
    s = frames_table()
    s2 = Signals.from_columns("x", "seconds", {TIME: [0.0, 1.0], "a": [1.0, 2.0], "b": [3.0, 4.0]},
                              groups={"ab": ["a", "b"]}, units={"a": "LUFS"})
    s.write(tmp_path / "m.parquet")
    back = Signals.read(tmp_path / "m.parquet")
    assert back.source == "motion" and back.kind == "frames" and back.rate == 4.0
    assert back.units == {"speed": "px/s"}
    assert back.table.equals(s.table)
    s2.write(tmp_path / "x.parquet")
    assert Signals.read(tmp_path / "x.parquet").group("ab") == ("a", "b")
    s2.write(tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text().splitlines()[0] == '"time","a","b"'
    assert Signals.read(tmp_path / "x.csv", kind="seconds")["a"].tolist() == [1.0, 2.0]


def test_time_column_is_required_and_cast_to_float():
    with pytest.raises(ValueError, match="time"):
        Signals.from_columns("x", "frames", {"t": [0.0]})
    s = Signals.from_columns("x", "seconds", {TIME: [0, 1, 2]})
    assert s.table.schema.field(TIME).type == pa.float64()
    with pytest.raises(ValueError, match="end"):
        Signals.from_columns("x", "events", {TIME: [0.0]})


def test_between_and_select():
    ev = Signals.from_columns("lines", "events", {TIME: [0.0, 2.0, 5.0], END: [1.5, 4.0, 6.0],
                                                  "text": ["a", "b", "c"]})
    assert ev.between(1.0, 2.5)["text"].tolist() == ["a", "b"]
    assert ev.select(["text"]).columns == [TIME, END, "text"]


def test_clock_strings_only_for_reports():
    assert clock(0) == "00:00" and clock(65.9) == "01:05" and clock(3725) == "1:02:05"
    assert clock(float("nan")) == ""
